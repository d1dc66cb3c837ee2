#!/usr/bin/env bash
# Installs everything normrt's build, tests and benchmarks need on Debian 12.
# Idempotent: when every package is already installed, apt is not touched.
# Runs as root (CI); otherwise uses sudo when it is available.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++
  libdnnl-dev libxsimd-dev
  # Debian's dnnl-config.cmake requires OpenCL (find_package(OpenCL REQUIRED));
  # libdnnl-dev only recommends it, and recommends are not installed.
  ocl-icd-opencl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  g++-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user
  python3-torch python3-torchvision python3-onnx
  gnuplot-nox
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and neither root nor sudo" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# The main job: install what is missing, build normrt (Release) into build/,
# then show what this machine runs (normrt info) and a quick benchmark pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "${NORMRT_JOBS:-$(nproc)}"

build/tools/normrt info
build/tools/normrt bench --quick

#!/usr/bin/env bash
# The main job: install what is missing, build normrt (Release) into build/,
# show what this machine runs (normrt info), then the demo: three
# normalization-heavy models folded, fused, checked and timed on every ISA
# (normrt demo, exits 1 if any check fails), then a quick benchmark pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "${NORMRT_JOBS:-$(nproc)}"

build/tools/normrt info && build/tools/normrt demo
# One thread: per-ISA differences stay readable on a busy or shared machine,
# where OpenMP threads of an oversubscribed run wait out scheduler ticks.
build/tools/normrt bench --quick --threads 1

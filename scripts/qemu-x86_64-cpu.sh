#!/usr/bin/env bash
# Runs an x86-64 program on an emulated CPU model, NORMRT_QEMU_CPU (default
# Haswell: AVX2 + FMA, no AVX-512). scripts/test.sh configures it as the test
# emulator (NORMRT_TEST_EMULATOR) of its -O0 build, so that one build runs its
# suite both on Haswell and on Nehalem (SSE4.2, no AVX at all).
exec qemu-x86_64 -cpu "${NORMRT_QEMU_CPU:-Haswell}" "$@"

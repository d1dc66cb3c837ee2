#!/bin/sh
# Checks of `normrt demo`: cli_demo_test.sh CASE PATH_TO_NORMRT.
# The demo must pass, show the passes' work on each model and print a latency
# row per model for every ISA this CPU runs; and it must fail when its
# comparison is made impossible to meet.
. "$(dirname "$0")/../tests/cli_lib.sh"
case_name=$1 normrt=$2
require_binary "$normrt"

# The ISAs `normrt info` lists as usable ("  avx2: yes").
usable_isas() {
  "$normrt" info | sed -n 's/^  \(scalar\|avx2\|avx512\|neon\): yes$/\1/p'
}

case $case_name in
  demo)
    unset NORMRT_ISA
    isas=$(usable_isas)
    [ -n "$isas" ] || fail "normrt info lists no usable ISA"
    expect 0 '^all outputs agree' "$normrt" demo --quick
    # What the passes did (columns: nodes, BN folded, BN left, norms fused,
    # residual+norm, epilogues): every BN but the input one folds; both
    # LayerNorms and all four GroupNorms are fused.
    has '^resnet  *[0-9]* -> [0-9]*  *9  *1 '
    has '^transformer  *[0-9]* -> [0-9]*  *0  *0  *2  *2 '
    has '^unet  *[0-9]* -> [0-9]*  *0  *0  *4 '
    has 'bn-left.*not folded\|not folded'
    has '^Latency per ISA'
    for isa in $isas; do
      for model in resnet transformer unet; do
        has "^$model  *$isa  *[0-9.]*  *[0-9.]*  *[0-9.]*x "
      done
    done
    has '^What folding and fusion gained'
    has 'normrt demo: \[[0-9]*/[0-9]*\] unet' ;;
  demo_isa_cap)
    # NORMRT_ISA caps the ISAs the demo runs.
    NORMRT_ISA=scalar expect 0 '^all outputs agree' "$normrt" demo --quick
    has '^resnet  *scalar '
    lacks '^resnet  *avx2 '
    lacks '^resnet  *neon ' ;;
  demo_mismatch)
    # Zero tolerance: folded weights round differently, so the check must fail.
    expect 1 '^FAILED: [0-9]* comparisons outside tolerance' \
      "$normrt" demo --quick --isa scalar --rtol 0 --atol 0
    has '^MISMATCH: .*optimized vs unoptimized on scalar' ;;
  demo_usage)
    expect 1 "unknown option '--bogus'" "$normrt" demo --bogus
    expect 1 "ISA" "$normrt" demo --isa bogus
    expect 1 '--rtol needs a number' "$normrt" demo --rtol -1
    expect 0 'usage: normrt demo' "$normrt" demo --help ;;
  *)
    unknown_case "$case_name" ;;
esac

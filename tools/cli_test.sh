#!/bin/sh
# Checks of the `normrt` CLI's contract: cli_test.sh CASE PATH_TO_NORMRT.
# Each case asserts the exit status and what the output must name.
set -u
case_name=$1
normrt=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect STATUS PATTERN COMMAND...: runs COMMAND, stdout+stderr into $out.
expect() {
  want_status=$1 pattern=$2
  shift 2
  "$@" >"$out" 2>&1
  status=$?
  if [ "$status" -ne "$want_status" ]; then
    echo "FAIL: '$*' exited $status, expected $want_status"; cat "$out"; exit 1
  fi
  if ! grep -q -- "$pattern" "$out"; then
    echo "FAIL: '$*' output lacks '$pattern'"; cat "$out"; exit 1
  fi
  cat "$out"
}

case $case_name in
  info)
    unset NORMRT_ISA
    expect 0 '^ISA chosen: \(scalar\|avx2\|avx512\|neon\)$' "$normrt" info
    # The cap is honoured: scalar is always runnable.
    NORMRT_ISA=scalar expect 0 '^ISA chosen: scalar$' "$normrt" info ;;
  bogus_isa)
    NORMRT_ISA=bogus expect 1 'NORMRT_ISA' "$normrt" info ;;
  bench_quick)
    unset NORMRT_ISA
    expect 0 '^layer_norm/512x768 .*GB/s' "$normrt" bench --quick --ops layer_norm ;;
  list)
    # Every workload of workloads.md, each label once: 74 BatchNorm, 20 LN/RMS rows
    # (4 with residual), LN over C, 28 GroupNorm, 4 InstanceNorm, 8 LRN.
    expect 0 '^group_norm/nhwc_silu/8x128x128x128/g32 ' "$normrt" bench --list >/dev/null
    total=$(wc -l <"$out") unique=$(cut -d' ' -f1 "$out" | sort -u | wc -l)
    if [ "$total" -ne 135 ] || [ "$unique" -ne 135 ]; then
      echo "FAIL: expected 135 distinct workloads, got $total lines, $unique labels"; exit 1
    fi
    expect 0 '^layer_norm/nchw_over_c/1x96x56x56 .*not available' "$normrt" bench --list --ops layer_norm
    ;;
  unknown_command)
    expect 1 "unknown command 'frobnicate'" "$normrt" frobnicate ;;
  unknown_option)
    expect 1 "unknown option '--bogus'" "$normrt" bench --bogus
    expect 1 "unknown op 'nope'" "$normrt" bench --quick --ops nope ;;
  help)
    expect 0 'bench' "$normrt" --help
    expect 1 'usage: normrt' "$normrt" ;;
  *)
    echo "unknown case $case_name"; exit 1 ;;
esac

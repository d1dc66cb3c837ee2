#!/bin/sh
# Checks of the `normrt` CLI's contract: cli_test.sh CASE PATH_TO_NORMRT.
# Each case asserts the exit status and what the output must name.
. "$(dirname "$0")/../tests/cli_lib.sh"
case_name=$1 normrt=$2
require_binary "$normrt"

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
    expect 0 '^layer_norm/512x768 .*GB/s .*%' "$normrt" bench --quick --ops layer_norm
    expect 0 '^memory roofline at 1 thread' "$normrt" bench --quick --ops lrn --threads 1 ;;
  list)
    # Every workload of workloads.md, each label once: 74 BatchNorm, 20 LN/RMS rows
    # (4 with residual), LN over C, 28 GroupNorm, 4 InstanceNorm, 8 LRN.
    expect 0 '^group_norm/nhwc_silu/8x128x128x128/g32 ' "$normrt" bench --list >/dev/null
    total=$(wc -l <"$out") unique=$(cut -d' ' -f1 "$out" | sort -u | wc -l)
    if [ "$total" -ne 135 ] || [ "$unique" -ne 135 ]; then
      fail "expected 135 distinct workloads, got $total lines, $unique labels"
    fi
    # LayerNorm over C (ConvNeXt) is implemented: listed, available.
    expect 0 '^layer_norm/nchw_over_c/1x96x56x56 [0-9.]* MB$' "$normrt" bench --list --ops layer_norm
    ;;
  bench_csv)
    # One line per (threads, workload, ISA), every field numeric where it must be.
    "$normrt" bench --quick --ops layer_norm --isa scalar --threads 1 --format csv >"$out" || exit 1
    cat "$out"
    /usr/bin/python3 - "$out" <<'PY' || exit 1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows, "no rows"
for r in rows:
    assert r["status"] == "ok" and r["isa"] == "scalar" and r["threads"] == "1", r
    assert r["level"] in ("L2", "L3", "DRAM"), r
    for key in ("bytes", "roofline_gbps", "seconds", "gbps", "roofline_pct"):
        assert float(r[key]) > 0, (key, r)
assert any(r["workload"] == "layer_norm/512x768" for r in rows), rows
PY
    ;;
  bench_json)
    "$normrt" bench --quick --ops layer_norm --isa scalar --threads 1 --format json >"$out" || exit 1
    /usr/bin/python3 -m json.tool "$out" || fail_showing_output "not JSON"
    /usr/bin/python3 - "$out" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
levels = [l["level"] for l in d["rooflines"][0]["levels"]]
assert levels == ["L2", "L3", "DRAM"], levels
assert all(l["copy_gbps"] > 0 and l["nt_copy_gbps"] > 0 and l["triad_gbps"] > 0
           for l in d["rooflines"][0]["levels"]), d["rooflines"]
ok = [r for r in d["results"] if r["status"] == "ok"]
assert ok and all(r["isas"][0]["roofline_pct"] > 0 for r in ok), d["results"]
PY
    ;;
  bench_plot)
    png=$dir/plot.png
    "$normrt" bench --quick --ops rms_norm --threads 1 --plot "$png" >"$out" 2>&1 || { cat "$out"; exit 1; }
    signature=$(od -An -tx1 -N8 "$png" | tr -d ' \n')
    if [ "$signature" != 89504e470d0a1a0a ]; then
      fail "'$png' is not a PNG (starts with '$signature')"
    fi
    # Without gnuplot: a clear error before anything is measured.
    expect 1 'needs gnuplot' env PATH=/nonexistent "$normrt" bench --quick --plot "$png" ;;
  bench_bad_format)
    expect 1 "--format: expected table, csv or json, got 'xml'" "$normrt" bench --format xml
    expect 1 "--threads: expected a positive integer, got 'x'" "$normrt" bench --threads 1,x ;;
  unknown_command)
    expect 1 "unknown command 'frobnicate'" "$normrt" frobnicate ;;
  unknown_option)
    expect 1 "unknown option '--bogus'" "$normrt" bench --bogus
    expect 1 "unknown op 'nope'" "$normrt" bench --quick --ops nope ;;
  help)
    expect 0 'bench' "$normrt" --help
    expect 1 'usage: normrt' "$normrt" ;;
  *)
    unknown_case "$case_name" ;;
esac

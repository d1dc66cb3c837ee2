#!/bin/bash
# Whole-model comparison: normrt vs ONNX Runtime 1.30 (CPU EP, graph
# optimizations on) on the models of shared/workloads.md, same input files,
# same thread count, timed in turn on the same machine.
#
#   perf/models/compare.sh [--threads "1 2"] [--repeat K] [--models "a b"] [--normrt BIN]
#
# Exports the models into build/models/ (perf/models/export_bench_models.py,
# Debian's python3-torch), installs onnxruntime-node@1.30.0 into build/ort/
# (npm, --ignore-scripts: its prebuilt binaries ship in the package), runs
# `normrt run MODEL --input ... --threads T --repeat K --profile` and
# `ort_bench.js` per model and thread count, and prints a table. Per-node
# profiles go to build/models/<model>.t<T>.profile.txt.
#
# cpu% is the process's (user+sys)/wall time as /usr/bin/time reports it, for
# the whole invocation including loading: well under 100*T means the machine
# was busy with something else and the numbers are noisy.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
threads="1"
repeat=10
models="resnet50_b1 resnet50_b8 mobilenet_v2 bert_base_s128 unet_gn_blocks llama_rms_blocks"
normrt="$root/build/tools/normrt"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --normrt) normrt="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done

out="$root/build/models"
ort_dir="$root/build/ort"
[ -x "$normrt" ] || { echo "compare.sh: no normrt binary at $normrt (build it, or pass --normrt)" >&2; exit 1; }

if [ ! -d "$ort_dir/node_modules/onnxruntime-node" ]; then
  echo "installing onnxruntime-node@1.30.0 into $ort_dir" >&2
  mkdir -p "$ort_dir"
  [ -f "$ort_dir/package.json" ] || echo '{"name":"normrt-ort-bench","private":true}' >"$ort_dir/package.json"
  (cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 >&2)
fi
export NODE_PATH="$ort_dir/node_modules"
node -e "require('onnxruntime-node')" || { echo "compare.sh: onnxruntime-node does not load" >&2; exit 1; }

# shellcheck disable=SC2086
/usr/bin/python3 "$root/perf/models/export_bench_models.py" "$out" $models >&2

# Runs a command under /usr/bin/time; prints its stdout, leaves cpu% in $cpu.
timed() {
  local tfile
  tfile=$(mktemp)
  /usr/bin/time -f '%P' -o "$tfile" "$@"
  cpu=$(tail -n 1 "$tfile")
  rm -f "$tfile"
}

json_field() { node -e "process.stdout.write(String(JSON.parse(process.argv[1])[process.argv[2]]))" "$1" "$2"; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cpus; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "normrt: $normrt; ONNX Runtime: onnxruntime-node 1.30.0 (CPU EP, graph optimizations all)"
echo "median and p90 of $repeat runs after one warm-up run each; load average before each row in the last column"
echo
printf '%-18s %3s %11s %9s %6s %11s %9s %6s %8s  %s\n' model thr "normrt ms" "p90" "cpu%" "ORT ms" "p90" "cpu%" speedup "load avg"
for model in $models; do
  for t in $threads; do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    inputs="$out/${model}_inputs"
    profile="$out/$model.t$t.profile.txt"
    timed "$normrt" run "$out/$model.onnx" --input "$inputs/input_0.pb" --threads "$t" \
      --repeat "$repeat" --profile --top 25 >"$profile"
    n_cpu=$cpu
    latency=$(grep '^latency over' "$profile")
    n_med=$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$latency")
    n_p90=$(sed -E 's/.*p90 ([0-9.]+) ms.*/\1/' <<<"$latency")
    ort_json=$(mktemp)
    timed node "$root/perf/models/ort_bench.js" "$out/$model.onnx" --inputs "$inputs" \
      --threads "$t" --repeat "$repeat" --warmup 1 >"$ort_json"
    o_cpu=$cpu
    o_med=$(json_field "$(cat "$ort_json")" median_ms)
    o_p90=$(json_field "$(cat "$ort_json")" p90_ms)
    rm -f "$ort_json"
    speedup=$(awk -v n="$n_med" -v o="$o_med" 'BEGIN { printf "%.2fx", o / n }')
    printf '%-18s %3s %11.1f %9.1f %6s %11.1f %9.1f %6s %8s  %s\n' "$model" "$t" "$n_med" "$n_p90" \
      "$n_cpu" "$o_med" "$o_p90" "$o_cpu" "$speedup" "$load"
  done
done
echo
echo "speedup = ORT median / normrt median (> 1: normrt is faster). Profiles: $out/<model>.t<T>.profile.txt"

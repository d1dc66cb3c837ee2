#!/usr/bin/env bash
# usage: cli_fold_test.sh NORMRT MODEL_DIR WORK_DIR
# `normrt fold` on an exported model (onnx::checker, names kept, outputs
# verified on random inputs; every BatchNorm of expect.txt folded, none left),
# then `normrt test-data` runs the folded model on PyTorch's reference data.
set -euo pipefail
normrt=$1 model_dir=$2 work=$3

[ -f "$model_dir/model.onnx" ] || {
  echo "FAIL: $model_dir/model.onnx missing (python3-torch missing: run scripts/setup.sh)" >&2
  exit 1
}
rm -rf "$work"
mkdir -p "$work"
"$normrt" fold "$model_dir/model.onnx" "$work/model.onnx" | tee "$work/fold.log"

grep -q '^onnx::checker: ok$' "$work/fold.log" || { echo "FAIL: no checker line" >&2; exit 1; }
grep -q '^outputs match the original' "$work/fold.log" || { echo "FAIL: not verified" >&2; exit 1; }
bns=$(awk '$1 == "batch_norms" { print $2 }' "$model_dir/expect.txt")
folded=$(grep -c '^\[bn-fold\] ' "$work/fold.log" || true)
if [ "${bns:-0}" != "$folded" ]; then
  echo "FAIL: expected ${bns:-0} BatchNorms folded, the report shows $folded" >&2
  exit 1
fi
if grep -q '^\[bn-left\] ' "$work/fold.log"; then
  echo "FAIL: a BatchNorm was left unfolded" >&2
  exit 1
fi

cp -r "$model_dir/test_data_set_0" "$work/"
"$normrt" test-data "$work"

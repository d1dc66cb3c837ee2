#!/bin/sh
# `normrt run` and `normrt test-data` contracts: cli_runtime_test.sh CASE NORMRT TESTDATA.
. "$(dirname "$0")/../cli_lib.sh"
case_name=$1 normrt=$2 data=$3
require_binary "$normrt"

t=$data/node/test_gemm_alpha

# test_data_dir DEST EXPECTED_OUTPUT_PB: a test-data directory holding $t's
# model and inputs with EXPECTED_OUTPUT_PB as its expected output.
test_data_dir() {
  mkdir -p "$1/test_data_set_0"
  cp "$t/model.onnx" "$1/"
  cp "$t"/test_data_set_0/input_*.pb "$1/test_data_set_0/"
  cp "$2" "$1/test_data_set_0/output_0.pb"
}

case $case_name in
  test_data_pass)
    expect 0 '^passed: 1 of 1 outputs' "$normrt" test-data "$t" ;;
  test_data_mismatch)
    # The same model against another test's expected output must fail.
    test_data_dir "$dir/wrong" "$data/node/test_gemm_beta/test_data_set_0/output_0.pb"
    expect 1 'FAIL: test_data_set_0 output' "$normrt" test-data "$dir/wrong" ;;
  run_save_outputs)
    # Saved outputs are TensorProto files named after the outputs that
    # test-data accepts as expected outputs.
    expect 0 "^output 'y': float32 \[3,4\]" "$normrt" run "$t/model.onnx" \
      --input "$t/test_data_set_0/input_0.pb" --input b="$t/test_data_set_0/input_1.pb" \
      --input "$t/test_data_set_0/input_2.pb" --save-outputs "$dir/saved"
    test_data_dir "$dir/copy" "$dir/saved/output_0.pb"
    expect 0 '^passed' "$normrt" test-data "$dir/copy" ;;
  run_random_repeat)
    expect 0 '^latency over 5 runs: median' "$normrt" run "$t/model.onnx" --random-inputs 1 \
      --repeat 5 --threads 1 --isa scalar ;;
  run_profile)
    # One Gemm node, profiled in each of the 6 timed runs.
    expect 0 '^Gemm  *6 ' "$normrt" run "$t/model.onnx" --random-inputs 1 --repeat 6 --profile
    expect 0 'top 1 of 1 nodes by time' "$normrt" run "$t/model.onnx" --random-inputs 1 --profile ;;
  run_errors)
    expect 1 "input 'a'" "$normrt" run "$t/model.onnx"
    expect 1 "cannot open model file" "$normrt" run "$dir/none.onnx"
    expect 1 "unknown option" "$normrt" run "$t/model.onnx" --bogus ;;
  *) unknown_case "$case_name" ;;
esac

#!/usr/bin/env bash
# The whole test suite, in four builds (five test runs):
#   1. release   Release, -Werror, everything (ops, runtime, tools, perf, tests)
#   2. o0-avx2   -O0 kernels with the AVX-512 code compiled in, tests run under
#                `qemu-x86_64 -cpu Haswell` (an AVX2-only CPU): proves the ODR
#                trap (DESIGN.md section 2) is closed; a leaked -mavx512f copy
#                of an inline function would die with SIGILL
#      o0-sse4   the same binaries under `-cpu Nehalem` (no AVX at all): at -O0
#                GCC encodes -mavx512f scalar code with VEX, which Haswell runs,
#                so a leaked avx2/avx512 copy in the scalar path shows up here
#   3. asan      ASan + UBSan (leak detection on), RelWithDebInfo: kernels, the
#                graph runtime (ONNX conformance, bad models, the fuzzer's seed
#                corpus and crash reproducers) and the CLI
#   4. aarch64   cross build of simd/ + ops/ + tests, run under qemu-aarch64
# Every stage runs even when an earlier one failed; the last line is the
# aggregate "N passed, N failed[, N skipped]" and the exit status is non-zero
# if any stage failed. Tests skipped because this CPU lacks an ISA are counted
# as skipped, and ctest lists them.
#   NORMRT_JOBS=<n>          parallel build and test jobs (default: nproc)
#   NORMRT_STAGES="a b ..."  run only these stages (default: all five)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh || { echo "test.sh: setup failed" >&2; exit 1; }

JOBS=${NORMRT_JOBS:-$(nproc)}
STAGES=${NORMRT_STAGES:-release o0-avx2 o0-sse4 asan aarch64}
TOTAL_PASSED=0 TOTAL_FAILED=0 TOTAL_SKIPPED=0 ANY_STAGE_FAILED=0
REPORT=()

# Counts ctest's per-test result lines in a log: "passed failed skipped total"
# and, on a second line, the per-ISA breakdown of the parameterized tests.
count_results() {
  awk '
    /^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: / {
      name = $0
      sub(/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: /, "", name); sub(/ .*/, "", name)
      isa = ""
      if (match(name, /\/(scalar|avx2|avx512|neon)$/)) isa = substr(name, RSTART + 1)
      if ($0 ~ /\*\*\*Skipped|\(Disabled\)/) { s++; if (isa != "") is[isa]++ }
      else if ($0 ~ / Passed +[0-9.]+ sec/) { p++; if (isa != "") ip[isa]++ }
      else f++
    }
    /tests? failed out of [0-9]+/ { total = $NF }
    END {
      printf "%d %d %d %d\n", p, f, s, total
      line = ""
      split("scalar avx2 avx512 neon", order, " ")
      for (k = 1; k <= 4; k++) {
        i = order[k]
        if (ip[i] + is[i] == 0) continue
        line = line sprintf("%s%s %d passed", line == "" ? "" : ", ", i, ip[i])
        if (is[i] > 0) line = line sprintf(" (%d skipped)", is[i])
      }
      print (line == "" ? "none" : line)
    }' "$1"
}

# isa_passed <per-ISA line> <isa>: how many tests of that ISA passed.
isa_passed() {
  local n
  n=$(sed -nE "s/(^|.*, )$2 ([0-9]+) passed.*/\2/p" <<<"$1")
  echo "${n:-0}"
}

# run_stage <name> <check> <build dir> [cmake args...]
# <check> is an extra assertion on the per-ISA counts ("-" for none).
run_stage() {
  local name=$1 check=$2 dir=$3
  shift 3
  local t0=$SECONDS ok=1 configured=1 note=""
  echo
  echo "=================== stage $name: $dir ==================="
  if ! cmake -S . -B "$dir" -G Ninja -DNORMRT_WERROR=ON "$@"; then
    configured=0 ok=0 note="configure failed"
  elif ! cmake --build "$dir" -j "$JOBS" -- -k 0; then
    ok=0 note="build failed"
  fi
  local t_build=$((SECONDS - t0)) log=$dir/ctest-$name.log
  local passed=0 failed=0 skipped=0 total=0 per_isa="none"
  if [ $configured -eq 1 ]; then
    echo "--- stage $name: ctest ---"
    (cd "$dir" && ctest --output-on-failure -j "$JOBS" --timeout 900) 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || ok=0
    { read -r passed failed skipped total; read -r per_isa; } < <(count_results "$log")
    if [ "$total" != "$((passed + failed + skipped))" ]; then
      note="${note:+$note; }ctest ran $total tests, $((passed + failed + skipped)) result lines"
      ok=0
    fi
  fi
  if [ "$check" != "-" ] && ! $check "$per_isa"; then
    ok=0 note="${note:+$note; }$CHECK_MSG"
  fi
  # A stage that failed without a failing test (build error, missing ISA) counts as one failure.
  if [ $ok -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  [ $ok -eq 1 ] || ANY_STAGE_FAILED=1
  local t_test=$((SECONDS - t0 - t_build))
  local line
  line=$(printf '%-8s %-4s %4d passed, %d failed, %d skipped  [%s]  build %ds, test %ds%s' \
    "$name" "$([ $ok -eq 1 ] && echo ok || echo FAIL)" "$passed" "$failed" "$skipped" \
    "$per_isa" "$t_build" "$t_test" "${note:+  ($note)}")
  echo "--- stage $line"
  REPORT+=("$line")
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
}

# Per-stage assertions that the emulators really did what the stage claims.
CHECK_MSG=""
check_emulated_avx2() {  # AVX2 kernels ran; AVX-512 ones were hidden by qemu
  CHECK_MSG="expected avx2 tests to pass and avx512 to be skipped under -cpu Haswell"
  [ "$(isa_passed "$1" avx2)" -gt 0 ] && [ "$(isa_passed "$1" avx512)" -eq 0 ]
}
check_emulated_sse4() {  # only the scalar kernels can run without AVX
  CHECK_MSG="expected scalar tests to pass and avx2/avx512 to be skipped under -cpu Nehalem"
  [ "$(isa_passed "$1" scalar)" -gt 0 ] && [ "$(isa_passed "$1" avx2)" -eq 0 ] &&
    [ "$(isa_passed "$1" avx512)" -eq 0 ]
}
check_runtime_ran() {  # the runtime, not only the kernels, ran under the sanitizers
  CHECK_MSG="expected the runtime's ONNX conformance tests and fuzz.loader_replay to pass"
  local log=build-test-asan/ctest-asan.log
  grep -qE "Test +#[0-9]+: Onnx/Conformance\..* Passed" "$log" &&
    grep -qE "Test +#[0-9]+: fuzz\.loader_replay .* Passed" "$log"
}
check_neon_ran() {
  CHECK_MSG="no neon test passed"
  [ "$(isa_passed "$1" neon)" -gt 0 ]
}

stage_release() {
  run_stage release - build-test-release -DCMAKE_BUILD_TYPE=Release
}
# Kernels only: the per-ISA objects live in ops/, and nothing else is compiled
# with ISA flags; the runtime under emulation would only add time. Both -O0
# stages share one build; the emulated CPU is chosen when ctest runs.
O0_ARGS=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g" -DNORMRT_KERNELS_ONLY=ON
         "-DNORMRT_TEST_EMULATOR=$PWD/scripts/qemu-x86_64-cpu.sh")
stage_o0-avx2() {
  NORMRT_QEMU_CPU=Haswell run_stage o0-avx2 check_emulated_avx2 build-test-o0 "${O0_ARGS[@]}"
}
stage_o0-sse4() {
  NORMRT_QEMU_CPU=Nehalem run_stage o0-sse4 check_emulated_sse4 build-test-o0 "${O0_ARGS[@]}"
}
stage_asan() {
  # Benchmarks are not tests: no point instrumenting them. Line tables only
  # (-g1): reports still give file:line, and the build, the longest step of
  # the suite, is ~18% shorter than with full debug info (-g).
  ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_stage asan check_runtime_ran build-test-asan \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    -DNORMRT_SANITIZE=ON -DNORMRT_BUILD_PERF=OFF
}
stage_aarch64() {
  run_stage aarch64 check_neon_ran build-test-aarch64 -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake -DNORMRT_KERNELS_ONLY=ON
}

T0=$SECONDS
for stage in $STAGES; do
  if ! declare -F "stage_$stage" >/dev/null; then
    echo "test.sh: unknown stage '$stage'" >&2
    ANY_STAGE_FAILED=1
    continue
  fi
  "stage_$stage"
done

echo
echo "=================== summary ($((SECONDS - T0))s) ==================="
for line in "${REPORT[@]}"; do echo "$line"; done
SUMMARY="$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_SKIPPED" -eq 0 ] || SUMMARY="$SUMMARY, $TOTAL_SKIPPED skipped"
echo "$SUMMARY"
exit $ANY_STAGE_FAILED

# Shared helpers of the CLI contract tests (tools/cli_test.sh,
# tools/cli_demo_test.sh, tests/runtime/cli_runtime_test.sh); POSIX sh.
# Source it first thing: `. "$(dirname "$0")/../tests/cli_lib.sh`.
# It makes $out (the last command's stdout+stderr) and $dir (a scratch
# directory), both removed at exit. Every check exits 1 on the first failure,
# so a script fails whenever any of its checks does.
set -u
out=$(mktemp) dir=$(mktemp -d)
trap 'rm -rf "$out" "$dir"' EXIT

# fail MESSAGE: reports and exits. fail_showing_output MESSAGE: also shows $out.
# Both write to stderr, so a check whose output is redirected still reports.
fail() {
  echo "FAIL: $1" >&2; exit 1
}
fail_showing_output() {
  echo "FAIL: $1" >&2; cat "$out" >&2; exit 1
}

# require_binary PATH: the binary under test must exist and be executable.
require_binary() {
  [ -x "$1" ] || fail "'$1' is not an executable (is the normrt_cli target built?)"
}

# expect STATUS PATTERN COMMAND...: runs COMMAND (stdout+stderr into $out),
# asserts its exit status and that its output matches PATTERN, then shows it.
expect() {
  want_status=$1 pattern=$2
  shift 2
  "$@" >"$out" 2>&1
  status=$?
  [ "$status" -eq "$want_status" ] ||
    fail_showing_output "'$*' exited $status, expected $want_status"
  grep -q -- "$pattern" "$out" || fail_showing_output "'$*' output lacks '$pattern'"
  cat "$out"
}

# has PATTERN / lacks PATTERN: about the last command's output.
has() {
  grep -q -- "$1" "$out" || fail_showing_output "output lacks '$1'"
}
lacks() {
  if grep -q -- "$1" "$out"; then fail_showing_output "output has '$1'"; fi
}

# unknown_case NAME: a case CMake registers but the script lacks is an error.
unknown_case() {
  echo "unknown case $1"; exit 2
}

#!/usr/bin/env bash
# Proves the ODR-trap fix on one localized per-ISA object (<isa>_kernels.o):
#  1. every defined global symbol is an entry point of that ISA (*kernels_<isa>*),
#  2. no weak / COMDAT symbol is left for the final link to pick across ISAs,
#  3. there is no static initializer (.init_array / .ctors) to run on every CPU.
set -euo pipefail
obj=$1; nm=${2:-nm}; objdump=${3:-objdump}
# "sanitize": an ASan build adds a module constructor per object that only
# registers its globals with the ASan runtime; that one is allowed (see below).
sanitize=${4:-}
isa=$(basename "$obj" _kernels.o)
fail=0
globals=$("$nm" -g --defined-only "$obj" | awk '{print $3}')
[ -n "$globals" ] || { echo "FAIL: $obj exports no entry point"; exit 1; }
for s in $globals; do
  case "$s" in
    *kernels_${isa}*) ;;
    *) echo "FAIL: $obj exports non-entry symbol $s"; fail=1 ;;
  esac
done
weak=$("$nm" "$obj" | awk '$2 ~ /^[VvWwu]$/ {print $3}')
if [ -n "$weak" ]; then echo "FAIL: weak symbols left in $obj:"; echo "$weak" | head; fail=1; fi
# Only the sanitizer's constructors: priority 99 and calling nothing but __asan_*/__ubsan_*.
sanitizer_ctors_only() {
  [ "$sanitize" = sanitize ] || return 1
  "$objdump" -h "$obj" | awk '{print $2}' | grep -E '\.(init_array|ctors)' |
    grep -qvx '\.init_array\.00099' && return 1
  local calls
  calls=$("$objdump" -r -j .text.startup "$obj" | awk 'NF == 3 && $1 ~ /^[0-9a-f]+$/ {print $3}' |
          sed 's/[-+]0x[0-9a-f]*$//' | grep -v '^\.' | sort -u)
  echo "$calls" | grep -qx '__asan_init' || return 1
  [ -z "$(echo "$calls" | grep -Ev '^__(asan|ubsan)_')" ] || return 1
  echo "note: $obj has sanitizer module constructors only ($(echo $calls))"
}
if "$objdump" -h "$obj" | grep -Eq '\.(init_array|ctors)' && ! sanitizer_ctors_only; then
  echo "FAIL: $obj has a static initializer section"; fail=1
fi
if "$objdump" -h "$obj" | grep -q 'GROUP\|\.group'; then
  echo "FAIL: $obj still has COMDAT groups"; fail=1
fi
n=$(echo "$globals" | wc -w)
[ $fail -eq 0 ] && echo "OK: $obj exports only its $n ${isa} entry points, no weak symbols, no initializers"
exit $fail

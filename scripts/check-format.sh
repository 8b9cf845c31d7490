#!/usr/bin/env bash
# Fails, listing the files, if any tracked C++ file differs from .clang-format.
# ctest runs it (test `clang_format`), so CI checks the style too.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed" >&2; exit 1; }
off=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || off+=("$f")
done < <(git ls-files '*.cpp' '*.hpp')
if ((${#off[@]})); then
  printf 'check-format: %d file(s) differ from .clang-format (run clang-format -i on them):\n' "${#off[@]}" >&2
  printf '  %s\n' "${off[@]}" >&2
  exit 1
fi
echo "check-format: every C++ file follows .clang-format"

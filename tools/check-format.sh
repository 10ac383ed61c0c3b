#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Checks that every C/C++ source is formatted as .clang-format says (Google
# for C++, kernel style for bpf/ and shared/). --fix rewrites the files.
set -u
cd "$(dirname "$(readlink -f "$0")")/.."
CF=${CLANG_FORMAT:-clang-format-19}
command -v "$CF" >/dev/null || { echo "check-format: $CF not found (run tools/setup.sh)" >&2; exit 2; }
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.cc' '*.h' 2>/dev/null)
[ ${#files[@]} -gt 0 ] || { echo "check-format: no sources found" >&2; exit 2; }
if [ "${1:-}" = --fix ]; then "$CF" -i "${files[@]}"; exit $?; fi
bad=()
for f in "${files[@]}"; do
  "$CF" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: not formatted (run tools/check-format.sh --fix): ${bad[*]}"
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"

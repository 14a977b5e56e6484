#!/usr/bin/env bash
# Runs every test file of the project with node:test. Node 20 runs nothing when given a folder,
# so the files are listed one by one. Extra arguments narrow the run: `npm test -- src/layer`.
set -euo pipefail
cd "$(dirname "$0")/.."
roots=("$@")
[ ${#roots[@]} -gt 0 ] || roots=(src test)
mapfile -t files < <(find "${roots[@]}" -name '*.test.ts' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files under ${roots[*]}" >&2; exit 1; fi
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"

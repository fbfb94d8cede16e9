#!/usr/bin/env bash
# npm run examples: build and pack ai-vcr as it would be published, then install the tarball
# into each example from a clean state and run the example's tests (offline, in replay mode),
# checking that ai-vcr's run summary is printed. Then the vitest example again on the floor of
# the declared `vitest >=3.2` peer range.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
rm -f examples/ai-vcr*.tgz
tarball=$(npm pack --silent --pack-destination examples)
mv "examples/$tarball" examples/ai-vcr.tgz

SUMMARY='ai-vcr: 2 replayed, 0 recorded, 0 missed (mode replay, dir recordings)'

# Runs an example's tests and fails unless they pass and end with the summary.
run_example() {
  local output
  output=$(cd "examples/$1" && env -u AI_VCR_MODE -u AI_VCR_DIR npm test 2>&1) || { echo "$output"; return 1; }
  echo "$output"
  grep -qxF "$SUMMARY" <<<"$output" || { echo "examples/$1: the run summary is missing" >&2; return 1; }
}

for example in vitest jest; do
  echo "== examples/$example"
  rm -rf "examples/$example/node_modules"
  (cd "examples/$example" && npm install --no-audit --no-fund)
  run_example "$example"
done

# --no-save: package.json keeps vitest 4, and the next run installs it afresh.
echo "== examples/vitest on vitest 3.2"
(cd examples/vitest && npm install --no-save --no-audit --no-fund vitest@~3.2.0 && npx vitest --version | grep '^vitest/3\.2\.')
run_example vitest

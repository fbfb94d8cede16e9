#!/usr/bin/env bash
# npm run examples: build and pack llm-vcr as it would be published, then install the tarball
# into each example from a clean state and run the example's tests (offline, in replay mode).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
rm -f examples/llm-vcr*.tgz
tarball=$(npm pack --silent --pack-destination examples)
mv "examples/$tarball" examples/llm-vcr.tgz
for example in vitest jest; do
  echo "== examples/$example"
  rm -rf "examples/$example/node_modules"
  (cd "examples/$example" && env -u LLM_VCR_MODE -u LLM_VCR_DIR npm install --no-audit --no-fund && npm test)
done

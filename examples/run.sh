#!/usr/bin/env bash
# npm run examples [-- --only vitest|jest] [package@version ...]
#
# Builds and packs ai-vcr as it would be published (AI_VCR_TARBALL=<file> reuses one), copies each
# example into a fresh directory outside the repository, so that nothing resolves from the
# repository's own node_modules, installs the tarball there next to the versions npm picks on
# this Node for the example's ranges (and any packages given, such as vitest@~3.2.0, on top),
# then runs the example's tests three times, each of which must pass and end with ai-vcr's run
# summary:
#   1. replay, offline, from the committed recordings;
#   2. record (AI_VCR_MODE=record) into a fresh directory, from examples/upstream.mjs, a loopback
#      stand-in for the API that answers as the committed recordings do;
#   3. replay from that fresh directory, offline.
# Two of each example's recordings are llama-stack's, under its own file names, unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

examples=(vitest jest)
if [[ "${1:-}" == --only ]]; then
  examples=("$2")
  shift 2
fi

if [[ -n "${AI_VCR_TARBALL:-}" ]]; then
  tarball=$(realpath "$AI_VCR_TARBALL")
else
  npm run build
  rm -f examples/ai-vcr*.tgz
  tarball="$PWD/examples/ai-vcr.tgz"
  mv "examples/$(npm pack --silent --pack-destination examples)" "$tarball"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$tarball" "$work/ai-vcr.tgz"

# Runs an example's tests and fails unless they pass and print this summary line.
run_example() {
  local example=$1 summary=$2 output
  shift 2
  output=$(cd "$work/$example" && env -u AI_VCR_MODE -u AI_VCR_DIR "$@" npm test 2>&1) || { echo "$output"; return 1; }
  echo "$output"
  grep -qxF "$summary" <<<"$output" || { echo "examples/$example: expected the summary line: $summary" >&2; return 1; }
}

for example in "${examples[@]}"; do
  echo "== examples/$example on Node $(node --version)${*:+ with $*}"
  # The example's package.json names the tarball as file:../ai-vcr.tgz.
  dir="$work/$example"
  rm -rf "$dir"
  mkdir "$dir"
  (cd "examples/$example" && tar -c --exclude=node_modules --exclude=rerecorded .) | tar -x -C "$dir"
  install_log=$(cd "$dir" && npm install --no-audit --no-fund --no-save "$@" 2>&1) || { echo "$install_log"; exit 1; }
  echo "$install_log"
  # The peer ranges must admit what npm picks: no ERESOLVE, no --legacy-peer-deps.
  if grep -qiE 'ERESOLVE|conflicting peer|invalid: ' <<<"$install_log"; then echo "examples/$example: npm reported a peer conflict" >&2; exit 1; fi
  (cd "$dir" && npm ls --depth=0 ai-vcr msw openai vitest jest 2>/dev/null | tail -n +2) || true
  count=$(find "$dir/recordings" -name '*.json' | wc -l | tr -d ' ')

  run_example "$example" "ai-vcr: $count replayed, 0 recorded, 0 missed (mode replay, dir recordings)"

  upstream_log="$work/upstream.log"
  rm -f "$upstream_log"
  node examples/upstream.mjs "$dir/recordings" >"$upstream_log" &
  upstream=$!
  trap 'kill $upstream 2>/dev/null || true; rm -rf "$work"' EXIT
  until [[ -s "$upstream_log" ]]; do sleep 0.1; done
  run_example "$example" "ai-vcr: 0 replayed, $count recorded, 0 missed (mode record, dir rerecorded)" \
    AI_VCR_MODE=record AI_VCR_DIR=rerecorded OPENAI_BASE_URL="$(cat "$upstream_log")"
  kill "$upstream"
  trap 'rm -rf "$work"' EXIT

  run_example "$example" "ai-vcr: $count replayed, 0 recorded, 0 missed (mode replay, dir rerecorded)" AI_VCR_DIR=rerecorded
done

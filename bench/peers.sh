#!/usr/bin/env bash
# Runs the peer benchmark (PouchDB, default and fastest configuration) and then
# xinfang-bench on the very same documents, one after the other on this machine,
# and prints every row beside the peers as a ratio to the best configuration.
#
#   bench/peers.sh                     # 100,000 documents, SQLite
#   N=10000 bench/peers.sh --lang en   # extra arguments go to xinfang-bench
#
# Env: PEERS (the peer benchmark's folder; default ../shared/peers beside this
# repository), N (100000 or 10000), RUNS (peer runs per configuration, default 1),
# WORK (scratch folder, default a new temporary one, removed afterwards), BENCH
# (an xinfang-bench already built, to compare builds against the same peer runs).
# The peers need Node.js >= 20; their packages are installed once from the npm
# registry into the scratch copy (the only step that reaches beyond this machine).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$repo/../shared/peers}
N=${N:-100000}
RUNS=${RUNS:-1}
case "$N" in
  100000) step=pouch100k ;;
  10000) step=pouch10k ;;
  *) echo "N must be 100000 or 10000 (the peer benchmark's sizes), not $N" >&2; exit 2 ;;
esac
[ -f "$PEERS/pouch_bench.js" ] || { echo "PEERS=$PEERS is not the peer benchmark's folder" >&2; exit 2; }
command -v node >/dev/null || { echo "the peers need Node.js >= 20 (node not found)" >&2; exit 2; }
if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
peers="$WORK/peers"
if [ ! -d "$peers/node_modules" ]; then
  rm -rf "$peers"
  cp -r "$PEERS" "$peers"
  (cd "$peers" && npm install --no-audit --no-fund >/dev/null)
fi
rm -f "$peers/results/pouch.jsonl"
echo "== PouchDB, default configuration" >&2
(cd "$peers" && DATA="$WORK/data" RUNS=$RUNS ./run_all.sh "$step" pouchchain) >&2
echo "== PouchDB, fastest configuration (batch 500, no gzip)" >&2
(cd "$peers" && DATA="$WORK/data" RUNS=$RUNS EXTRA_POUCH="--batch-size 500 --no-compression" \
  ./run_all.sh "$step" pouchchain) >&2
echo "== the peers' documents" >&2
(cd "$peers" && node docgen.js --export "$N") > "$WORK/cases.ndjson"
echo "== xinfang" >&2
if [ -z "${BENCH:-}" ]; then
  cargo build --quiet --release --bin xinfang-bench --manifest-path "$repo/Cargo.toml"
  BENCH="$repo/target/release/xinfang-bench"
fi
"$BENCH" --store sqlite --docs "$N" \
  --corpus "$WORK/cases.ndjson" --peers "$peers/results/pouch.jsonl" "$@"

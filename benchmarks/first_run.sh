#!/usr/bin/env bash
# The newcomer's first command, timed: a fresh clone of HEAD in a temporary folder, a new .venv,
# `bash scripts/demo.sh` (cold), then the same command again (warm). Prints wall and CPU seconds
# and the 1-minute load average before and after each, as benchmarks/README.md records them.
#   bash benchmarks/first_run.sh                 # pip's wheel cache as it is (say whether warm)
#   PIP_NO_CACHE_DIR=1 bash benchmarks/first_run.sh   # no pip cache at all
# HARNESS_CACHE_DIR is a fresh folder too (numba, Lucene index, embeddings), unless set.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/first-run.XXXXXX)
git clone -q "$src" "$work/repo"
export HARNESS_CACHE_DIR=${HARNESS_CACHE_DIR:-$work/cache}
load() { cut -d' ' -f1 /proc/loadavg; }
for pass in cold warm; do
  before=$(load)
  /usr/bin/time -f "$pass: wall %e s, user %U s, sys %S s" -o "$work/$pass.time" \
    bash "$work/repo/scripts/demo.sh" > "$work/$pass.out" 2> "$work/$pass.err"
  echo "$(cat "$work/$pass.time"), load $before -> $(load)"
  grep -E "recall@2|│ +[0-9]" "$work/$pass.out" | head -4
done
echo "logs: $work"

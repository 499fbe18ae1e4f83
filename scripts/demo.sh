#!/usr/bin/env bash
# Set up (the demo profile: no LLM, Ray, mteb or dev extras; scripts/test.sh installs those), then run the main job on the embedded default: BM25 and dense retrieval on a LIMIT-style
# task generated in code, results stored in demo-results/, leaderboard built in demo-site/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
.venv/bin/harness demo --results demo-results --out demo-site "$@"

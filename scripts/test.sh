#!/usr/bin/env bash
# Set up, then run the CI matrix (tox): lint, types (mypy over every package), the whole test
# suite in .venv (tests that need ../shared/data skip when it is absent) and the minimal env.
# Arguments go to pytest, e.g. `bash scripts/test.sh tests/harness -k api`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/setup-browser.sh ]; then bash scripts/setup-browser.sh || echo "browser set-up failed: site tests will skip"; fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
.venv/bin/python -m tox -e lint,types,py311,minimal -- "$@"

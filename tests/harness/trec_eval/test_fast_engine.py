"""The vectorised engine against the reference (pure-Python) engine: for seeded random qrels
and runs and many flag and measure combinations, stdout and the exit status must be the same
bytes, and the vectorised engine must really run where it claims to (it may hand odd input to
the reference engine, which then gives the output)."""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import pytest

from ir_harness.trec_eval import fast_main
from ir_harness.trec_eval.fast_read import parse_run_fast
from ir_harness.trec_eval.main import run_command
from ir_harness.trec_eval.readers import parse_run

sys.path.insert(0, str(Path(__file__).parent))
from random_cases import MEASURE_FLAGS, SCORES, write_case  # noqa: E402

EXTRA_FLAGS = [
    ["-q", "-m", "all_trec", "-l", "3"],
    ["-q", "-m", "all_trec", "-J", "-M", "7"],
    ["-q", "-m", "all_trec", "-n"],
    ["-q", "-m", "all_trec", "-D", "0.q1"],
    ["-q", "-m", "yaap", "-m", "dcg", "-m", "ideal_dcg", "-m", "set_F.0.5", "-m", "utility"],
    ["-q", "-m", "P.3,1", "-m", "ndcg_cut.4", "-m", "relstring.0", "-m", "Rprec_mult.3.5"],
    ["-q", "-m", "utility.1,-1%d,0,0", "-m", "set_F.2%s"],  # '%' in printed measure names
]


@pytest.fixture
def engines(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, per fast attempt, whether the vectorised engine produced the output."""
    taken: list[bool] = []
    real = fast_main.evaluate_fast

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        done = real(*args, **kwargs)
        taken.append(done)
        return done

    monkeypatch.setattr(fast_main, "evaluate_fast", spy)
    return taken


def both(argv: list[str]) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    """(status, stdout) of the default (vectorised first) and of the reference engine."""
    fast: list[str] = []
    ref: list[str] = []
    rc_fast = run_command(argv, fast.append, lambda s: None)
    rc_ref = run_command(argv, ref.append, lambda s: None, fast=False)
    enc = "latin-1"
    return (rc_fast, "".join(fast).encode(enc)), (rc_ref, "".join(ref).encode(enc))


def write_odd_case(folder: Path, seed: int) -> tuple[Path, Path]:
    """Cases ``write_case`` leaves out: queries judged only with negative grades, judged
    queries missing from the run, long docnos, heavy ties and ``-0`` scores, runs in
    query-interleaved order, queries only the run has."""
    rng = random.Random(1000 + seed)
    long_names = rng.random() < 0.5
    pool = [f"{'document-number-' if long_names else 'd'}{i}" for i in range(rng.randint(2, 30))]
    qrels: list[str] = []
    run: list[str] = []
    missing = rng.random() < 0.3
    for q in range(rng.randint(1, 7)):
        qid = f"q{q}"
        judged = rng.sample(pool, rng.randint(1, len(pool)))
        kind = rng.random()
        for d in judged:
            grade = rng.randint(-3, -1) if kind < 0.2 else rng.choice([-1, 0, 0, 1, 2, 3, 12])
            qrels.append(f"{qid} 0 {d} {grade}")
        if missing and q == 0:
            continue
        for rank, d in enumerate(rng.sample(pool, rng.randint(1, len(pool))), 1):
            score = rng.choice(["1", "1.0", "0.5", "-0", "0", "2", "0.50"])
            run.append(f"{qid} Q0 {d} {rank} {score} r{seed}")
    run.append(f"zz Q0 {pool[0]} 1 3 last")
    rng.shuffle(run)
    (folder / f"oqrels.{seed}").write_text("\n".join(qrels) + "\n", encoding="latin-1")
    (folder / f"orun.{seed}").write_text("\n".join(run) + "\n", encoding="latin-1")
    return folder / f"oqrels.{seed}", folder / f"orun.{seed}"


@pytest.mark.parametrize("seed", range(20))
def test_random_cases_match_the_reference(tmp_path: Path, seed: int, engines: list[bool]) -> None:
    qrels, run = write_case(tmp_path, seed)
    for flags in MEASURE_FLAGS + EXTRA_FLAGS:
        for complete in (["-c"], []):
            argv = [*complete, *flags, str(qrels), str(run)]
            fast, ref = both(argv)
            assert fast == ref, argv
    assert engines and all(engines)  # every judged query is in these runs: no hand-over


@pytest.mark.parametrize("seed", range(30))
def test_odd_cases_match_the_reference(tmp_path: Path, seed: int, engines: list[bool]) -> None:
    qrels, run = write_odd_case(tmp_path, seed)
    for flags in MEASURE_FLAGS[:4] + MEASURE_FLAGS[9:12] + EXTRA_FLAGS:
        for complete in (["-c"], []):
            argv = [*complete, *flags, str(qrels), str(run)]
            fast, ref = both(argv)
            assert fast == ref, argv


def test_odd_cases_mostly_take_the_fast_engine(tmp_path: Path, engines: list[bool]) -> None:
    for seed in range(30):
        qrels, run = write_odd_case(tmp_path, seed)
        both(["-q", "-m", "all_trec", str(qrels), str(run)])
    assert sum(engines) >= 15, engines


@pytest.mark.parametrize(
    "run_text",
    [
        "q0\tQ0 d1 1 1 r\nq0 Q0 d2 2 0.5 r\n",  # a tab: still one byte of whitespace
        "q0 Q0 d1 1 1 r\n# comment\nq0 Q0 d2 2 0.5 r\n",
        "q0 Q0 d1 1 1 r\n\nq0 Q0 d2 2 0.5 r\n",
        "q0 Q0 d1 1 1 r x\nq0 Q0 d2 2 0.5 r\n",
        "q0  Q0 d1 1 1 r\nq0 Q0 d2 2 0.5 r",
        "q0 Q0 d1 1 1 r\nq0 Q0 d1 2 0.5 r\n",  # a duplicate document
        "q0 Q0 d1 1 nan r\nq0 Q0 d2 2 0.5 r\n",
        "q0 Q0 d1 1 1 r\nq1 Q0 d2 2 0.5 r\n",  # a judged query missing from the run
        "q0 Q0 d1 1 1\n",
    ],
)
def test_odd_runs_give_the_reference_output_or_error(tmp_path: Path, run_text: str) -> None:
    (tmp_path / "qrels").write_text("q0 0 d1 1\nq0 0 d2 0\nq0 0 d3 2\nq1 0 d2 1\nq2 0 d1 1\n")
    (tmp_path / "run").write_bytes(run_text.encode())
    for flags in (["-q", "-m", "all_trec"], ["-c", "-q", "-m", "all_trec"], []):
        fast, ref = both([*flags, str(tmp_path / "qrels"), str(tmp_path / "run")])
        assert fast == ref, flags


def test_fast_reader_reads_scores_as_strtod(tmp_path: Path) -> None:
    tokens = [*SCORES, "0.000000000000000000001", "9007199254740993", "-.5", "5.", ".", "-"]
    tokens += ["123456789012345678", "1234567890123456789", "+0.25", "1.2.3", "1-2"]
    data = "".join(f"q Q0 d{i} 1 {t} r\n" for i, t in enumerate(tokens)).encode()
    fast = parse_run_fast(data)
    ref = parse_run("run", data)
    assert fast is not None
    got = fast.sims.tolist()
    want = ref.sims["q"]
    assert len(got) == len(want)
    for g, w, t in zip(got, want, tokens, strict=True):
        same = (math.isnan(g) and math.isnan(w)) or (
            g == w and math.copysign(1, g) == math.copysign(1, w)
        )
        assert same, t
    assert fast.docnos.byteswap().view("S8").tolist() == ref.docs["q"]


def test_fast_reader_declines_what_it_does_not_read() -> None:
    for data in (b"", b"q Q0 d 1 1 r\n\n", b"#x\nq Q0 d 1 1 r\n", b"q Q0 d\x00 1 1 r\n"):
        assert parse_run_fast(data) is None

"""Run one trec_eval command line: mark and set up the measures, evaluate every judged query
(qrels order), print per-query lines with ``-q`` and the summary over queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.trec_eval import params as P
from ir_harness.trec_eval.errors import TrecEvalError, TrecEvalInputError, TrecEvalUsageError
from ir_harness.trec_eval.judged import DuplicateDocError, JudgedState, form_judged, rank
from ir_harness.trec_eval.measures import (
    MEASURES,
    NICKNAMES,
    UNSUPPORTED,
    Active,
    Ctx,
    Measure,
    relstring_text,
)
from ir_harness.trec_eval.options import USAGE, VERSION, Options, parse_args
from ir_harness.trec_eval.output import fmt_double, fmt_long, line
from ir_harness.trec_eval.output import summary as _summary
from ir_harness.trec_eval.readers import (
    Qrels,
    Run,
    find_line,
    parse_run,
    read_qrels,
    read_run_bytes,
)

if TYPE_CHECKING:
    from collections.abc import Callable

BOGUS_DOCNO = b"ceci_nest_pas_un_docno"
KNOWN = {m.name for m in MEASURES} | UNSUPPORTED


def mark_measures(specs: list[str]) -> tuple[set[str], list[tuple[str, str]]]:
    """Measure names to compute, and the (name, parameters) given with ``name.params``."""
    marked: set[str] = set()
    args: list[tuple[str, str]] = []
    for spec in specs or ["official"]:
        name, dot, params = spec.partition(".")
        if dot:
            if params == "":
                raise TrecEvalUsageError(f"illegal measure '{name}': empty parameters after '.'")
            args.append((name, params))
        names = NICKNAMES.get(name, [name])
        for n in names:
            if n not in KNOWN:
                raise TrecEvalUsageError(f"illegal measure '{name}'")
            marked.add(n)
    return marked, args


def setup(measure: Measure, given: str | None) -> Active:
    """Parse the measure's parameters (or take its defaults) and name its values."""
    name = measure.name
    shape = measure.shape
    if shape == "cut_long":
        cuts = measure.default if given is None else P.long_cutoffs(given, name)
        return Active(measure, cuts, [P.name_with_long(name, c) for c in cuts])
    if shape == "cut_double":
        fr = measure.default if given is None else P.double_cutoffs(given, name)
        return Active(measure, fr, [P.name_with_double(name, c) for c in fr])
    full = name if given is None else f"{name}_{given}"
    if shape == "p_double":
        vals = measure.default if given is None else P.double_params(given)
        if name == "utility" and len(vals) != 4:
            raise TrecEvalError(
                f"measure 'utility': improper number of coefficients in '{given}' (expected 4)",
                4,
            )
        return Active(measure, vals, [full])
    if shape == "p_pair":
        pairs = measure.default if given is None else P.param_pairs(given, name)
        return Active(measure, pairs, [full])
    return Active(measure, None, [name])


def _bogus_cleanup(active: Active, values: list[float]) -> None:
    """What trec_eval resets after scoring a query missing from the run (``-c``)."""
    for k, vname in enumerate(active.names):
        if vname in ("num_ret", "utility", "rbp_resid") or vname.startswith("unj"):
            values[k] = 0.0


def _fast_covers(opts: Options, marked: set[str], meas_args: list[tuple[str, str]]) -> bool:
    from ir_harness.trec_eval.fast_main import covers

    return covers(opts, marked, meas_args)


def evaluate(opts: Options, write: Callable[[str], None], *, fast: bool = True) -> None:
    """Evaluate and write trec_eval's output through ``write``; raises ``TrecEvalError``.

    With ``fast`` the vectorised engine (``fast_main``) runs where it covers the command line
    and the input; the pure-Python engine (``_run_queries``) is the reference it matches."""
    marked, meas_args = mark_measures(opts.measures)
    if len(opts.files) != 2:
        raise TrecEvalUsageError(
            f"expected two files, rel_info_file and results_file, got {len(opts.files)}\n{USAGE}".rstrip(
                "\n"
            )
        )
    if opts.rel_format != "qrels":
        raise TrecEvalError(
            f"rel_info format '{opts.rel_format}' is not supported (only 'qrels')", 2
        )
    if opts.results_format != "trec_results":
        raise TrecEvalError(
            f"results format '{opts.results_format}' is not supported (only 'trec_results')", 2
        )
    if opts.zscore_file is not None:
        raise TrecEvalError("-Z (z-scores) is not supported by this trec_eval drop-in", 2)
    if opts.debug_level > 0:
        raise TrecEvalError("-D with a debug level above 0 is not supported", 2)
    qrels_path, run_path = opts.files
    qrels = read_qrels(qrels_path)
    data = read_run_bytes(run_path)
    fast_run = None
    if fast and _fast_covers(opts, marked, meas_args):
        from ir_harness.trec_eval.fast_read import parse_run_fast

        width = max(len(d) for docs in qrels.docs.values() for d in docs)
        fast_run = parse_run_fast(data, width)
    run = parse_run(run_path, data) if fast_run is None else None
    unsupported = sorted(marked & UNSUPPORTED)
    if unsupported:
        raise TrecEvalError(
            f"measure '{unsupported[0]}' needs preference or multi-judge qrels (-R prefs, "
            "qrels_prefs, qrels_jg), which this drop-in does not read",
            2,
        )
    given: dict[str, str] = {}
    for name, p in meas_args:
        given.setdefault(name, p)
    actives = [setup(m, given.get(m.name)) for m in MEASURES if m.name in marked]
    if fast_run is not None:
        from ir_harness.trec_eval.fast_main import evaluate_fast

        if evaluate_fast(opts, qrels, fast_run, actives, write):
            return
        run = parse_run(run_path, data)
    assert run is not None
    _run_queries(opts, qrels, run, actives, write)


def _run_queries(
    opts: Options, qrels: Qrels, run: Run, actives: list[Active], write: Callable[[str], None]
) -> None:
    ctx = Ctx(opts.relevance_level, opts.num_docs_in_coll)
    state = JudgedState()
    totals = [[0.0] * len(a.names) for a in actives]
    num_queries = 0
    for qid in qrels.qids:
        if opts.debug_query is not None and qid != opts.debug_query:
            continue
        found = run.docs.get(qid)
        bogus = found is None
        if found is None:
            if not opts.complete:
                raise TrecEvalError(
                    f"{qrels.path}: query '{qid}' is judged but has no results in "
                    f"{run.path} (add -c to count it as 0)",
                    4,
                )
            docs, sims = [BOGUS_DOCNO], [1.0]
        else:
            docs, sims = found, run.sims[qid]
        ranked = rank(docs, sims, opts.max_docs)
        try:
            jr = form_judged(
                ranked, qrels.docs[qid], qrels.rels[qid], ctx.relevance_level,
                opts.judged_only, state,
            )  # fmt: skip
        except DuplicateDocError as e:
            path = qrels.path if e.in_qrels else run.path
            at = find_line(path, qid, e.docno, qrels=e.in_qrels)
            where = f"{path}:{at}" if at else path
            raise TrecEvalInputError(
                f"{where}: duplicate document '{e.docno}' for query '{qid}'", 4
            ) from None
        out: list[str] = []
        for a, tot in zip(actives, totals, strict=True):
            m = a.measure
            if m.shape == "runid":
                continue
            vals = m.calc(ctx, jr, a.params)
            if bogus:
                _bogus_cleanup(a, vals)
            for k, v in enumerate(vals):
                tot[k] += v
            if not opts.query_flag or not m.per_query:
                continue
            if m.name == "relstring":
                text = "" if bogus and a.names[0] == "relstring" else relstring_text(jr, a.params)
                out.append(line(a.names[0], qid, f"'{text}'"))
            elif m.shape == "long":
                out.append(line(a.names[0], qid, fmt_long(vals[0])))
            else:
                out.extend(line(n, qid, fmt_double(v)) for n, v in zip(a.names, vals, strict=True))
        write("".join(out))
        num_queries += 1
    if num_queries == 0:
        raise TrecEvalError("no queries with both results and relevance info", 7)
    _summary(opts, qrels, run, actives, totals, num_queries, write)


def run_command(
    argv: list[str], write: Callable[[str], None], err: Callable[[str], None], *, fast: bool = True
) -> int:
    """The whole command: returns the exit status; output through ``write``, errors through
    ``err`` (one line each); ``fast=False`` runs the reference engine only."""
    try:
        opts = parse_args(argv)
        if opts.version:
            err(f"trec_eval version {VERSION}\n")
            return 0
        if opts.help:
            write(HELP)
            return 0
        evaluate(opts, write, fast=fast)
    except TrecEvalError as e:
        err(f"trec_eval: {e}\n")
        return e.status
    return 0


HELP = f"""harness trec-eval: trec_eval {VERSION} (NIST) command line and output.

{USAGE}
Options (long forms in brackets):
 -q [--query_eval_wanted]      per-query values before the summary ('all')
 -m M[.params] [--measure]     measure or nickname: official (default), all_trec, set
 -c [--complete_rel_info_wanted]  judged queries missing from the run count as 0
 -l N [--level_for_rel]        minimum grade counted as relevant (default 1)
 -n [--nosummary]              no summary lines
 -J [--Judged_docs_only]       drop unjudged documents from the ranking first
 -M N [--Max_retrieved_per_topic]  evaluate only the top N documents per query
 -N N [--Number_docs_in_coll]  collection size (used by utility)
 -D 0.QID [--Debug_level]      evaluate only query QID
 -v [--version]                print the trec_eval version it reproduces
A results file '-' is read from standard input.
Measures: {", ".join(m.name for m in MEASURES)}.
Not supported: -R prefs/qrels_prefs/qrels_jg and their measures, -Z, -D levels above 0.
"""

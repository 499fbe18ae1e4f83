"""trec_eval's command line, parsed the way GNU ``getopt_long`` does: options may follow the
file names, short options bundle (``-qc``, ``-mP.5``, ``-l2``), long options take ``=value``
or the next word and may be abbreviated to a unique prefix, ``--`` ends the options and a
lone ``-`` is a file name (standard input, for the run)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ir_harness.trec_eval.cnum import atol
from ir_harness.trec_eval.errors import TrecEvalUsageError

VERSION = "10.0-rc3"

USAGE = (
    "Usage: harness trec-eval [-h] [-q] {-m measure}* trec_rel_file trec_top_file\n"
    "   -h: full help\n"
    "   -q: also print the value of every measure for each query\n"
    "   -m: measure or nickname to print ('official' by default, 'all_trec' for all)\n"
)

SHORT_WITH_ARG = set("mlDNMRTZ")
SHORT_FLAGS = set("hvqcnJo")
LONG = {
    "help": ("h", False),
    "version": ("v", False),
    "query_eval_wanted": ("q", False),
    "measure": ("m", True),
    "complete_rel_info_wanted": ("c", False),
    "level_for_rel": ("l", True),
    "nosummary": ("n", False),
    "Debug_level": ("D", True),
    "Judged_docs_only": ("J", False),
    "Number_docs_in_coll": ("N", True),
    "Max_retrieved_per_topic": ("M", True),
    "Rel_info_format": ("R", True),
    "Results_format": ("T", True),
    "Output_old_results_format": ("o", True),
    "Zscore": ("Z", True),
}
MAXLONG = 2147483647


@dataclass
class Options:
    """The settings of one trec_eval command line."""

    query_flag: bool = False
    complete: bool = False
    judged_only: bool = False
    summary: bool = True
    relevance_level: int = 1
    num_docs_in_coll: int = 0
    max_docs: int = MAXLONG
    debug_level: int = 0
    debug_query: str | None = None
    rel_format: str = "qrels"
    results_format: str = "trec_results"
    zscore_file: str | None = None
    help: bool = False
    version: bool = False
    measures: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _apply(opts: Options, letter: str, value: str | None) -> None:
    if letter == "h":
        opts.help = True
    elif letter == "v":
        opts.version = True
    elif letter == "q":
        opts.query_flag = True
    elif letter == "m":
        assert value is not None
        opts.measures.append(value)
    elif letter == "c":
        opts.complete = True
    elif letter == "l":
        opts.relevance_level = atol(value or "")
    elif letter == "n":
        opts.summary = False
    elif letter == "D":
        level, dot, qid = (value or "").partition(".")
        opts.debug_level = atol(level)
        opts.debug_query = qid if dot else None
    elif letter == "J":
        opts.judged_only = True
    elif letter == "N":
        opts.num_docs_in_coll = atol(value or "")
    elif letter == "M":
        opts.max_docs = atol(value or "")
    elif letter == "R":
        opts.rel_format = value or ""
    elif letter == "T":
        opts.results_format = value or ""
    elif letter == "Z":
        opts.zscore_file = value


def _long_option(word: str) -> tuple[str, bool]:
    name = word.split("=", 1)[0]
    if name in LONG:
        return LONG[name]
    hits = {LONG[k] for k in LONG if k.startswith(name)}
    if len(hits) != 1:
        how = "ambiguous" if hits else "unrecognized"
        raise TrecEvalUsageError(f"{how} option '--{name}'\n{USAGE}".rstrip("\n"))
    return hits.pop()


def parse_args(argv: list[str]) -> Options:
    """Options and the two file names; ``-v`` stops the scan as trec_eval exits there."""
    opts = Options()
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "--":
            opts.files.extend(argv[i:])
            break
        if word.startswith("--"):
            letter, takes = _long_option(word[2:])
            value = None
            if takes:
                if "=" in word:
                    value = word.split("=", 1)[1]
                elif i < len(argv):
                    value = argv[i]
                    i += 1
                else:
                    raise TrecEvalUsageError(f"option '{word}' requires an argument")
            elif "=" in word:
                raise TrecEvalUsageError(f"option '{word.split('=')[0]}' takes no argument")
            _apply(opts, letter, value)
            if opts.version:
                return opts
            continue
        if word.startswith("-") and word != "-":
            j = 1
            while j < len(word):
                letter = word[j]
                j += 1
                if letter in SHORT_WITH_ARG:
                    if j < len(word):
                        value = word[j:]
                    elif i < len(argv):
                        value = argv[i]
                        i += 1
                    else:
                        raise TrecEvalUsageError(f"option requires an argument -- '{letter}'")
                    _apply(opts, letter, value)
                    break
                if letter not in SHORT_FLAGS:
                    raise TrecEvalUsageError(f"invalid option -- '{letter}'")
                _apply(opts, letter, None)
                if opts.version:
                    return opts
            continue
        opts.files.append(word)
    return opts

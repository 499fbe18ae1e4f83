"""What the oracle knows, and how it finds it again in a prompt's text.

The oracle never receives ids: it reads the query and candidate texts each call's ask carries
(the texts its prompt shows) and matches them back to the task's queries and corpus. Text is compared after collapsing
whitespace; a prompt passage may be a truncated prefix of the corpus text (systems cut passages
to a word or character budget). Described groups of documents (a tree's internal nodes, read
from the files of the registered group sources and ``tree=FILE``) are graded with the best
grade among their member documents, from the tree files, not from the description's text.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Qrels, Queries
    from ir_harness.llm.oracle.reading import GroupSource

KEY_WORDS = 6  # words of a text's start used as its lookup key


def norm(text: str) -> str:
    """Whitespace collapsed to single spaces, so texts match however a prompt re-spaced them."""
    return " ".join(text.split())


class PrefixIndex:
    """Normalised texts -> ids, found by exact text or by a (truncated) prefix of it."""

    def __init__(self) -> None:
        self.exact: dict[str, list[str]] = {}
        self.by_key: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def add(self, ident: str, text: str) -> None:
        """Index ``text`` (normalised) under ``ident`` by its full text and by its first
        ``KEY_WORDS`` words; one text may carry several ids."""
        t = norm(text)
        self.exact.setdefault(t, []).append(ident)
        self.by_key.setdefault(tuple(t.split(" ")[:KEY_WORDS]), []).append((t, ident))

    def find(self, text: str) -> list[str]:
        """Ids whose text equals ``text``, else those it is a prefix of (at a word or not)."""
        t = norm(text)
        if not t:
            return []
        hit = self.exact.get(t)
        if hit:
            return list(hit)
        words = t.split(" ")
        if len(words) > KEY_WORDS:
            cands = self.by_key.get(tuple(words[:KEY_WORDS]), [])
        else:  # a very short prefix: scan the keys that start with it
            cands = [c for k, v in self.by_key.items() if " ".join(k).startswith(t) for c in v]
        return [i for full, i in cands if full.startswith(t)]


def qrels_hash(qrels: Qrels) -> str:
    """Order-free sha256 of graded judgements (``qid docid grade`` lines, sorted)."""
    lines = sorted(f"{q} {d} {int(g)}" for q, r in qrels.items() for d, g in r.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass
class Knowledge:
    """Queries, passages and graded judgements of one task, indexed for matching.

    ``groups``: the group sources to read (default: every registered one); their files for
    this corpus are looked up under ``cache_dir``, plus ``tree_files`` given explicitly.
    """

    queries: Queries
    corpus: Corpus
    qrels: Qrels
    source: str = ""
    corpus_hash: str = ""
    cache_dir: Path | None = None
    tree_files: list[Path] = field(default_factory=list)
    groups: list[GroupSource] | None = None

    def __post_init__(self) -> None:
        self.max_grade = max((g for r in self.qrels.values() for g in r.values()), default=1) or 1
        self.qrels_hash = qrels_hash(self.qrels)
        if self.groups is None:
            from ir_harness.llm.oracle.reading import registered_group_sources

            self.groups = registered_group_sources()
        self.query_index = PrefixIndex()
        for q, text in self.queries.items():
            self.query_index.add(q, text)
        self.doc_index = PrefixIndex()
        for d in self.corpus.ids():
            self.doc_index.add(d, self.corpus[d].full_text)
        # group description -> "n<k>", and "n<k>" -> member document ids
        self._groups: tuple[PrefixIndex, dict[str, set[str]]] = (PrefixIndex(), {})
        self._seen_trees: dict[Path, tuple[int, int]] = {}
        self._file_groups: dict[Path, list[tuple[str, set[str]]]] = {}
        self.group_files: dict[str, str] = {}  # file read -> sha256 of its bytes
        self._lock = threading.Lock()
        self.reload_trees()

    # ---------------------------------------------------------------- groups (tree nodes)
    def _files(self) -> list[tuple[Path, list[GroupSource]]]:
        sources = list(self.groups or [])
        out = [(f, sources) for f in self.tree_files]
        if self.cache_dir is not None:
            for g in sources:
                out += [(f, [g]) for f in g.files(Path(self.cache_dir), self.corpus_hash)]
        return out

    def reload_trees(self) -> bool:
        """Index the groups of new or changed group files for this corpus; True if any were read.

        A changed file replaces its old groups (a rebuilt tree keeps no stale members)."""
        changed = False
        with self._lock:
            for f, sources in self._files():
                try:
                    st = f.stat()
                    stamp = (st.st_mtime_ns, st.st_size)
                    if self._seen_trees.get(f) == stamp:
                        continue
                    self._seen_trees[f] = stamp
                    raw = f.read_bytes()
                except OSError:
                    continue
                for g in sources:
                    try:
                        groups = list(g.read(f, self.corpus.ids()))
                    except (OSError, ValueError, KeyError, TypeError, IndexError):
                        continue
                    self._file_groups[f] = groups
                    self.group_files[str(f)] = hashlib.sha256(raw).hexdigest()
                    changed = True
                    break
            if changed:
                index, leaves = PrefixIndex(), dict[str, set[str]]()
                for groups in self._file_groups.values():
                    for desc, members in groups:
                        key = f"n{len(leaves)}"
                        leaves[key] = set(members)
                        index.add(key, desc)
                self._groups = (index, leaves)  # one assignment: readers see old or new
        return changed

    @property
    def trees_identity(self) -> str:
        """sha256 over the group files read so far (name and content): a rebuilt tree differs."""
        with self._lock:
            items = sorted(self.group_files.items())
        return hashlib.sha256(json.dumps(items).encode()).hexdigest()

    # ---------------------------------------------------------------- matching
    def find_query(self, text: str) -> list[str]:
        """Ids of the queries whose text is, or begins with, the asked query text; empty when it is
        no query of this task."""
        return self.query_index.find(text)

    def find_passage(self, text: str) -> list[str]:
        """Ids of the documents whose full text is, or begins with, the shown passage (systems
        truncate passages)."""
        return self.doc_index.find(text)

    def grade(self, qids: list[str], docids: list[str]) -> int:
        """Best judged grade of any matching document for any matching query (unjudged: 0)."""
        best = 0
        for q in qids:
            r = self.qrels.get(q, {})
            for d in docids:
                best = max(best, int(r.get(d, 0)))
        return best

    def grade_desc(self, qids: list[str], desc: str, lookup: tuple[str, ...]) -> tuple[int, bool]:
        """Grade of a candidate: a passage's grade, or a group's best member grade.

        Returns (grade, matched). ``lookup`` is the order tried (the ask's: groups first on
        slates of groups), so a group description that begins like a passage is not mistaken.
        """
        for kind in lookup:
            if kind == "passage":
                docs = self.find_passage(desc)
                if docs:
                    return self.grade(qids, docs), True
            else:
                index, members = self._groups
                nodes = index.find(desc)
                if nodes:
                    leaves = set().union(*(members[n] for n in nodes))
                    return self.grade(qids, sorted(leaves)), True
        return 0, False


_CACHE: dict[tuple[Any, ...], Knowledge] = {}
_CACHE_LOCK = threading.Lock()


def load_knowledge(
    task: str,
    data_dir: str | Path | None = None,
    *,
    qrels_file: str | None = None,
    cache_dir: Path | None = None,
    tree: str | None = None,
) -> Knowledge:
    """The task's queries, corpus and qrels (or ``qrels_file``), loaded once per process."""
    stamp = None
    if qrels_file:  # an edited qrels file is new knowledge, also within one process
        try:
            st = Path(qrels_file).stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
    key = (task, str(data_dir), qrels_file, stamp, str(cache_dir), tree)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    from ir_harness.run.context import default_cache_dir
    from ir_harness.run.runner import load_task

    _, data = load_task(task, data_dir)
    qrels = data.qrels
    source = data.source
    if qrels_file:
        from ir_harness.data.formats import read_trec_qrels

        qrels = read_trec_qrels(Path(qrels_file))
        source = str(qrels_file)
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    k = Knowledge(
        queries=data.queries,
        corpus=data.corpus,
        qrels=qrels,
        source=source,
        corpus_hash=data.corpus.content_hash,
        cache_dir=cache,
        tree_files=[Path(tree)] if tree else [],
    )
    with _CACHE_LOCK:
        _CACHE[key] = k
    return k

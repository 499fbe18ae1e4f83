"""What the oracle knows, and how it finds it again in a prompt's text.

The oracle never receives ids: it reads the query and passage texts our prompt builders wrote
and matches them back to the task's queries and corpus. Text is compared after collapsing
whitespace; a prompt passage may be a truncated prefix of the corpus text (RankGPT's 300 words,
LATTICE's ``max_desc_chars``). LATTICE's internal nodes are matched to the nodes of the task's
stored trees (its tree cache and ``tree=FILE``) and graded with the best grade below them.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Qrels, Queries

KEY_WORDS = 6  # words of a text's start used as its lookup key


def norm(text: str) -> str:
    return " ".join(text.split())


class PrefixIndex:
    """Normalised texts -> ids, found by exact text or by a (truncated) prefix of it."""

    def __init__(self) -> None:
        self.exact: dict[str, list[str]] = {}
        self.by_key: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def add(self, ident: str, text: str) -> None:
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


@dataclass
class Knowledge:
    """Queries, passages and graded judgements of one task, indexed for matching."""

    queries: Queries
    corpus: Corpus
    qrels: Qrels
    source: str = ""
    corpus_hash: str = ""
    tree_dirs: list[Path] = field(default_factory=list)
    tree_files: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.max_grade = max((g for r in self.qrels.values() for g in r.values()), default=1) or 1
        self.query_index = PrefixIndex()
        for q, text in self.queries.items():
            self.query_index.add(q, text)
        self.doc_index = PrefixIndex()
        for d in self.corpus.ids():
            self.doc_index.add(d, self.corpus[d].full_text)
        self.node_index = PrefixIndex()  # LATTICE internal node desc -> "n<k>"
        self.node_leaves: dict[str, set[str]] = {}
        self._seen_trees: dict[Path, float] = {}
        self._lock = threading.Lock()
        self.reload_trees()

    # ---------------------------------------------------------------- trees
    def reload_trees(self) -> bool:
        """Index internal nodes of new or changed trees for this corpus; True if any were read."""
        from ir_harness.data.semtree import Node, leaf_doc_id

        files = list(self.tree_files)
        for d in self.tree_dirs:
            if d.is_dir():
                files += sorted(d.glob(f"{self.corpus_hash[:16]}-*.json"))
        changed = False
        with self._lock:
            for f in files:
                try:
                    mtime = f.stat().st_mtime
                except OSError:
                    continue
                if self._seen_trees.get(f) == mtime:
                    continue
                self._seen_trees[f] = mtime
                try:
                    payload = json.loads(f.read_text(encoding="utf-8"))
                    root = Node.from_dict(payload["root"])
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                ids = self.corpus.ids()
                stack = [root]
                while stack:
                    n = stack.pop()
                    if n.is_leaf:
                        continue
                    stack.extend(n.child)
                    key = f"n{len(self.node_leaves)}"
                    self.node_leaves[key] = {leaf_doc_id(x.id, ids) for x in n.leaves()}
                    self.node_index.add(key, n.desc)
                changed = True
        return changed

    # ---------------------------------------------------------------- matching
    def find_query(self, text: str) -> list[str]:
        return self.query_index.find(text)

    def find_passage(self, text: str) -> list[str]:
        return self.doc_index.find(text)

    def grade(self, qids: list[str], docids: list[str]) -> int:
        """Best judged grade of any matching document for any matching query (unjudged: 0)."""
        best = 0
        for q in qids:
            r = self.qrels.get(q, {})
            for d in docids:
                best = max(best, int(r.get(d, 0)))
        return best

    def grade_desc(self, qids: list[str], desc: str, *, nodes_first: bool) -> tuple[int, bool]:
        """Grade of a LATTICE candidate: a tree node's best leaf grade, or a passage's grade.

        Returns (grade, matched). Internal nodes are tried first on internal slates, passages
        first on leaf slates, so a node summary that begins like a passage is not mistaken.
        """
        order = ("node", "doc") if nodes_first else ("doc", "node")
        for kind in order:
            if kind == "doc":
                docs = self.find_passage(desc)
                if docs:
                    return self.grade(qids, docs), True
            else:
                nodes = self.node_index.find(desc)
                if nodes:
                    leaves = set().union(*(self.node_leaves[n] for n in nodes))
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
    key = (task, str(data_dir), qrels_file, str(cache_dir), tree)
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
        tree_dirs=[cache / "lattice" / "trees"],
        tree_files=[Path(tree)] if tree else [],
    )
    with _CACHE_LOCK:
        _CACHE[key] = k
    return k

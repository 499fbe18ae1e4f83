"""LATTICE traversal pinned on a hand-worked tree with a deterministic scorer.

Tree (preorder registry ids in brackets)::

    root[0]
    ├── A[1]: a1[2] a2[3]
    ├── B[4]: b1[5] b2[6]
    └── C[7]
        ├── C1[8]: c1[9] c2[10]
        └── C2[11]: c3[12] c4[13]

The scorer answers every candidate with a fixed score looked up by its description, so the
expected beams, path scores and final scores below are worked out by hand (alpha 0.5, cut-off
0.09): e.g. path(A) = 0.5*0.8 + 0.5*1 = 0.9, B's local 0.05 cuts its path to 0.05.
"""

from __future__ import annotations

import pytest

from ir_harness.systems.lattice.traverse import Slate, Traversal, TraversalParams, chain
from ir_harness.systems.lattice.tree import NO_DESCRIPTION, FlatTree, Node

SCORES = {
    "A": 0.8, "B": 0.05, "C": 0.6, "C1": 0.9, "C2": 0.3,
    "a1": 0.7, "a2": 0.2, "b1": 0.9, "b2": 0.1,
    "c1": 0.95, "c2": 0.4, "c3": 0.5, "c4": 0.0,
}  # fmt: skip


def leaf(name: str) -> Node:
    return Node(id=f"doc-{name}", desc=name)


def hand_tree() -> FlatTree:
    root = Node(
        id="root",
        desc="root",
        child=[
            Node("A", "A", [leaf("a1"), leaf("a2")]),
            Node("B", "B", [leaf("b1"), leaf("b2")]),
            Node(
                "C",
                "C",
                [
                    Node("C1", "C1", [leaf("c1"), leaf("c2")]),
                    Node("C2", "C2", [leaf("c3"), leaf("c4")]),
                ],
            ),
        ],
    )
    return FlatTree(root)


def scorer_from(table: dict[str, float], log: list[list[Slate]] | None = None):
    def score(slates: list[Slate]) -> list[dict[int, float] | None]:
        if log is not None:
            log.append(slates)
        return [{k: table.get(d, 0.0) for k, d in enumerate(s.descs)} for s in slates]

    return score


RAW = TraversalParams(beam=2, iterations=20, calib_leaves=0, calibrator="none")


def test_chain_cutoff() -> None:
    assert chain(0.8, 1.0, 0.5, 0.09) == pytest.approx(0.9)
    assert chain(0.09, 1.0, 0.5, 0.09) == 0.09  # at the cut-off: the path is cut
    assert chain(0.1, 0.5, 0.75, 0.09) == pytest.approx(0.2)


def test_flat_tree_registry_is_preorder() -> None:
    t = hand_tree()
    assert [n.desc for n in t.nodes][:8] == ["root", "A", "a1", "a2", "B", "b1", "b2", "C"]
    assert t.children[7] == [8, 11] and t.parent[12] == 11 and t.depth[12] == 3
    assert t.leaf_cluster(1) and not t.leaf_cluster(7) and not t.leaf_cluster(0)
    assert t.leaf_of["doc-c3"] == 12


def test_beam_order_and_path_scores_by_hand() -> None:
    t = hand_tree()
    tr = Traversal(t, RAW)
    log: list[list[Slate]] = []
    score = scorer_from(SCORES, log)
    beams = []
    while tr.beam:
        beams.append([t.nodes[i].desc for i in tr.beam])
        slates = tr.next_slates()
        tr.update(slates, score(slates))
    # global best-first: A (0.9) and C (0.8) beat B (0.05); then C1 (.85), C2 (.55) beat B
    assert beams == [["root"], ["A", "C"], ["C1", "C2"], ["B"]]
    assert tr.iterations == 4 and sum(len(s) for s in log) == 6
    path = {t.nodes[i].desc: round(v, 6) for i, v in tr.path.items()}
    assert path == {
        "root": 1.0, "A": 0.9, "B": 0.05, "C": 0.8, "a1": 0.8, "a2": 0.55,
        "C1": 0.85, "C2": 0.55, "c1": 0.9, "c2": 0.625, "c3": 0.525,
        "c4": 0.0,  # local 0 cuts the path
        "b1": 0.475, "b2": 0.075,
    }  # fmt: skip
    final = tr.leaf_scores()
    # (1 - alpha) * path(parent) + alpha * local (no calibrator)
    assert final["doc-c1"] == pytest.approx(0.9)
    assert final["doc-a1"] == pytest.approx(0.8)
    assert final["doc-c4"] == pytest.approx(0.275)
    order = [t.nodes[i].desc for i in tr.ranked_leaves()]
    assert order == ["c1", "a1", "c2", "a2", "c3", "b1", "c4", "b2"]


def test_iteration_budget_limits_calls_and_scored_leaves() -> None:
    t = hand_tree()
    tr = Traversal(t, TraversalParams(beam=2, iterations=2, calib_leaves=0, calibrator="none"))
    log: list[list[Slate]] = []
    tr.run(scorer_from(SCORES, log))
    assert tr.iterations == 2
    assert sum(len(s) for s in log) == 3 <= 2 * 2
    assert set(tr.leaf_scores()) == {"doc-a1", "doc-a2"}  # only A's leaves were reached


def test_excluded_leaves_hidden_and_zeroed_fully_excluded_subtree() -> None:
    t = hand_tree()
    mask = t.excluded_mask({"doc-a1", "doc-c3", "doc-c4"})
    assert mask[2] and mask[12] and mask[13] and mask[11]  # C2: all its leaves excluded
    assert not mask[1] and not mask[7] and not mask[0]
    # an LLM that would love hidden items: excluded ones must still get local 0
    table = {**SCORES, NO_DESCRIPTION: 1.0}
    log: list[list[Slate]] = []
    tr = Traversal(t, RAW, mask)
    tr.run(scorer_from(table, log))
    shown = [d for batch in log for s in batch for d in s.descs]
    assert "a1" not in shown and "C2" not in shown and "c3" not in shown
    assert shown.count(NO_DESCRIPTION) >= 2
    assert tr.local[2] == 0.0 and tr.local[11] == 0.0 and tr.path[11] == 0.0
    assert tr.local[3] == pytest.approx(0.2)  # its sibling is scored as usual


def test_calibration_leaves_and_anchor_join_slates() -> None:
    t = hand_tree()
    params = TraversalParams(
        beam=2, iterations=3, calib_leaves=10, calibrator="mse", calib_steps=50
    )
    tr = Traversal(t, params)
    log: list[list[Slate]] = []
    tr.run(scorer_from(SCORES, log))
    first, second, third = log
    assert [s.items for s in first] == [[1, 4, 7]]  # root: no anchor at depth 0
    a_slate, c_slate = second
    assert a_slate.leaf and a_slate.items == [2, 3]  # no scored leaves yet
    assert not c_slate.leaf and c_slate.items == [8, 11, 1]  # anchor: best at depth 1 is A
    # third iteration: leaf clusters C1, C2 get the scored leaves a1, a2 as calibration items
    for s in third:
        assert s.leaf and s.items[:2] == t.children[s.node] and set(s.items[2:]) == {2, 3}
    assert len(tr.calib.slates) == 5  # type: ignore[union-attr]
    # calibrated scores: normalised to max 1 and ordered like the raw scores of the leaves
    cal = {t.nodes[i].desc: tr.calibrated[i] for i in tr.scored_leaves()}
    assert max(tr.calibrated[i] for i in tr.explored() if i) == pytest.approx(1.0)
    assert cal["c1"] > cal["a1"] > cal["c3"] > cal["c4"]


def test_calibration_leaves_sampled_when_more_than_c() -> None:
    leaves = [Node(f"d{i}", f"x{i}") for i in range(30)]
    root = Node(
        "root", "root", [Node(f"g{j}", f"g{j}", leaves[j * 5 : j * 5 + 5]) for j in range(6)]
    )
    t = FlatTree(root)
    tr = Traversal(t, TraversalParams(beam=6, iterations=1, calib_leaves=4, calibrator="none"))
    tr.run(lambda slates: [{k: 0.5 for k in range(len(s.items))} for s in slates])
    tr.beam = []  # score every leaf directly: half clearly relevant, half not
    for g in t.children[0]:
        tr.expanded.add(g)
        for j, u in enumerate(t.children[g]):
            tr.local[u] = tr.path[u] = tr.calibrated[u] = 0.9 if j < 2 else 0.05
    picked = tr.calibration_leaves()
    assert len(picked) == 4 and len(set(picked)) == 4
    assert all(tr.calibrated[i] == 0.9 for i in picked)  # 4^(2c) above the GMM threshold


def test_unparseable_answer_leaves_node_for_retry() -> None:
    t = hand_tree()
    tr = Traversal(t, RAW)
    tr.update(tr.next_slates(), [None])
    assert tr.parse_failures == 1 and tr.beam == [0] and 0 not in tr.expanded


def test_parse_scores_tolerates_weak_model_answers() -> None:
    from ir_harness.systems.lattice.prompts import parse_scores

    assert parse_scores('{"relevance_scores": [[0, 80], [1, 150], [7, 5]]}', 3) == {0: 0.8, 1: 1.0}
    # one-based ids (as Qwen2.5 0.5B answers) are shifted, not dropped
    one_based = '{"ranking": [1, 2, 3], "relevance_scores": [[1, 15], [2, 15], [3, 80]]}'
    assert parse_scores(one_based, 3) == {0: 0.15, 1: 0.15, 2: 0.8}
    assert parse_scores('text ```json\n{"relevance_scores": {"1": 40}}\n```', 3) == {1: 0.4}
    assert parse_scores('{"relevance_scores": [10, 20]}', 2) == {0: 0.1, 1: 0.2}
    with pytest.raises(ValueError):
        parse_scores("no idea", 2)

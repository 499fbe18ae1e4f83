"""TREC DL: the online 2021-2023 passage and 2019-2021 document settings (specs and ids)."""

from __future__ import annotations

import pytest

from ir_harness.errors import ConfigError, DataNotFoundError
from ir_harness.tasks import trec_dl
from ir_harness.tasks.trec_dl import TrecDLTask


def test_online_settings_ids_are_registered_in_ir_datasets() -> None:
    ir_datasets = pytest.importorskip("ir_datasets")
    registered = set(ir_datasets.registry._registered)
    for subset, o in trec_dl._ONLINE.items():
        assert o.irds in registered, subset
    assert trec_dl._ONLINE["2021"].irds == "msmarco-passage-v2/trec-dl-2021/judged"
    assert trec_dl._ONLINE["2019-doc"].irds == "msmarco-document/trec-dl-2019/judged"


def test_online_passage_and_document_conventions() -> None:
    t = TrecDLTask()
    for year in ("2021", "2022", "2023"):
        spec = t.spec(year)
        assert spec.relevance_threshold == 2 and spec.main_metric == "ndcg@10"
        assert {"map@100", "mrr@100", "recall@1000"} <= set(spec.metrics)
        assert spec.average_over == "qrels"
    for doc in ("2019-doc", "2020-doc", "2021-doc"):
        spec = t.spec(doc)
        assert spec.relevance_threshold == 1  # document ranking: grade >= 1 is relevant
        assert "map@100" in spec.metrics and "map" not in spec.metrics  # trec_eval -M 100
    assert t.spec("2019").relevance_threshold == 2  # offline settings unchanged
    assert t.spec("2019").metrics == ("ndcg@10", "map", "recall@100", "recall@1000", "mrr@10")
    assert {"2021", "2022", "2023", "2019-doc", "2020-doc"} <= set(t.subsets())
    with pytest.raises(ConfigError):
        t.spec("2024")


def test_online_failure_names_the_ir_datasets_id(monkeypatch: pytest.MonkeyPatch) -> None:
    import ir_harness.tasks._irds

    def offline(dataset: object, **_: object) -> None:
        raise ConnectionError("network is off")

    monkeypatch.setattr(ir_harness.tasks._irds, "load_irds", offline)
    with pytest.raises(DataNotFoundError, match="msmarco-passage-v2/trec-dl-2022/judged") as e:
        TrecDLTask().load("2022", None)
    assert "online only" in str(e.value) and "network is off" in str(e.value)

"""A task in the BEIR layout: <data>/plugin-beir/{corpus.jsonl, queries.jsonl, qrels/test.tsv}."""

from ir_harness.task_kinds import JsonlRankingTask


class PluginBeir(JsonlRankingTask):
    """Scored as BEIR scores (the kind's defaults); no online source."""

    family = "plugin-beir"
    description = "a BEIR-layout folder under the data dir (test plugin)"
    folder = "plugin-beir"

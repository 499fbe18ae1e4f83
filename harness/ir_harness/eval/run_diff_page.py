"""One self-contained HTML page of a ``run_diff`` (no script, no external file; names escaped)."""

from __future__ import annotations

from typing import Any

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ d.b }} against {{ d.a }}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;max-width:80em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}
.num{text-align:right;font-variant-numeric:tabular-nums}.up{color:#070}.down{color:#a00}
.unjudged{color:#888;font-style:italic}.rel{font-weight:bold}.muted{color:#666}
</style></head><body>
<h1><span class="name">{{ d.b }}</span> against <span class="name">{{ d.a }}</span></h1>
<p>{{ d.metric }} over the {{ d.n_queries }} queries both runs were scored on:
<span class="num">{{ '%.4f'|format(d.mean_b) }}</span> against <span class="num">{{ '%.4f'|format(d.mean_a) }}</span>
(Δ <span class="num">{{ '%+.4f'|format(d.mean_b - d.mean_a) }}</span>).
Wins / ties / losses of B: <strong data-wtl>{{ d.wins }} / {{ d.ties }} / {{ d.losses }}</strong>.
Paired {{ d.test }} test p = <span data-p>{{ '%.3g'|format(d.p_value) }}</span>.
Mean RBO@{{ d.depth }} between the runs: <span data-rbo>{{ '%.3f'|format(d.rbo) }}</span>.</p>
{% if d.only_a or d.only_b %}<p class="muted">{{ d.only_a }} queries scored only in A, {{ d.only_b }} only in B (left out).</p>{% endif %}
{% if not d.judgments %}<p class="muted">No judgments at hand: the top lists are not marked.</p>{% endif %}
<h2>Largest differences</h2>
{% for q in d.largest %}
<section class="query">
<h3>{{ q.query }}{% if q.text %}: <q>{{ q.text }}</q>{% endif %}
<span class="num {{ 'up' if q.delta > 0 else 'down' if q.delta < 0 }}">{{ '%+.4f'|format(q.delta) }}</span></h3>
<p class="muted">A {{ '%.4f'|format(q.a) }} · B {{ '%.4f'|format(q.b) }} · RBO@{{ d.depth }} {{ '%.3f'|format(q.rbo) }}</p>
<table><thead><tr><th>rank</th><th class="name">A: {{ d.a }}</th><th class="name">B: {{ d.b }}</th></tr></thead><tbody>
{% for i in range([q.top_a|length, q.top_b|length]|max) %}
<tr><td class="num">{{ i + 1 }}</td>
{% for top in (q.top_a, q.top_b) %}{% set e = top[i] if i < top|length else none %}
<td>{% if e %}{{ e.doc }}{% if d.judgments %} {% if e.judged %}<span class="{{ 'rel' if e.grade > 0 }}">[{{ e.grade }}]</span>{% else %}<span class="unjudged">[unjudged]</span>{% endif %}{% endif %}{% endif %}</td>
{% endfor %}</tr>
{% endfor %}
</tbody></table>
</section>
{% endfor %}
</body></html>
"""


def diff_page(diff: dict[str, Any]) -> str:
    """The page's HTML; every name, id and query text goes through Jinja2's autoescaping."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(PAGE).render(d=diff)

"""The oracle LLM: a simulated model that answers our systems' calls from the qrels.

``spec`` parses ``--llm oracle[noise=SIGMA,seed=S,flip=P,qrels=FILE]`` (light, no data loaded);
``knowledge`` loads what the oracle knows (queries, corpus texts, qrels, the groups of documents
that registered group sources know, e.g. tree nodes) and matches the asked texts back to it;
``reading`` reads the ``Ask`` each call carries (``ir_harness.llm.ask``: the query, the
candidates, the answer's form) and writes the answer in that form; ``backend`` is the ``LLM``
implementation; ``server`` serves it over the OpenAI chat-completions API. Results it produces
are labelled ``oracle`` everywhere and record what it saw (``parameters.llm.sees``).
"""

"""The oracle LLM: a simulated model that answers our systems' real prompts from the qrels.

``spec`` parses ``--llm oracle[noise=SIGMA,seed=S,flip=P,qrels=FILE]`` (light, no data loaded);
``knowledge`` loads what the oracle knows (queries, corpus texts, qrels, the groups of documents
that readers' group sources know, e.g. tree nodes) and matches prompt text back to it;
``reading`` asks the prompt readers that systems register (``harness.prompt_readers``) what a
prompt asks and how to write the answer their parser reads; ``backend`` is the ``LLM``
implementation; ``server`` serves it over the OpenAI chat-completions API. Results it produces
are labelled ``oracle`` everywhere and record what it saw (``parameters.llm.sees``).
"""

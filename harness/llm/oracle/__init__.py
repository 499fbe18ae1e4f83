"""The oracle LLM: a simulated model that answers our systems' real prompts from the qrels.

``spec`` parses ``--llm oracle[noise=SIGMA,seed=S,flip=P,qrels=FILE]`` (light, no data loaded);
``knowledge`` loads what the oracle knows (queries, corpus texts, qrels, LATTICE tree nodes) and
matches prompt text back to it; ``prompts`` recognises each system's prompt and writes the
answer its parser expects; ``backend`` is the ``LLM`` implementation; ``server`` serves it over
the OpenAI chat-completions API. Results it produces are labelled ``oracle`` everywhere.
"""

"""Training dense retrievers (InfoNCE, MW, PG-Rank, Starbucks) behind ``harness train``.

Lives under ``systems/`` because the core harness must not know about systems or torch; the
only link back is the ``train`` command registered at the end of ``harness/cli.py``.
"""

"""Training dense retrievers (InfoNCE, MW, PG-Rank, Starbucks) behind ``harness train``.

Lives under ``systems/`` because the core harness must not know about systems or torch; the
only link to the command line is the ``harness.commands`` entry points in ``cli.py``.
"""

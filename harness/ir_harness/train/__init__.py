"""Training dense retrievers (InfoNCE, MW, PG-Rank, Starbucks) behind ``harness train``.

The generic machinery (data, encoder, losses, loop, checkpoints, report) is the core's; systems
add methods of their own through the ``[training_methods]`` table of ``systems/plugins.toml``
(or the ``harness.training_methods`` entry points). torch is imported only by the modules that
train, and the command is loaded lazily (``ir_harness.cli.LAZY_COMMANDS``), so ``harness list``
imports none of it.
"""

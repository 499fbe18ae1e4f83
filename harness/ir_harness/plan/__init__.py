"""Pre-flight plans: estimated seconds, peak memory and disk of a run, before it runs."""

"""A drop-in for NIST trec_eval 10.0: its command line, its input parsing and its output, byte
for byte.

``readers`` parses qrels and TREC runs with trec_eval's rules, ``judged`` joins one query's
ranking with its judgments, ``measures`` holds the measure table, ``options`` the getopt-style
argument parser and ``main`` runs an evaluation and formats what trec_eval prints.
"""

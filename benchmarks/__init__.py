"""microkeras benchmarks: the framework against hand-written numpy on the same work.

Run ``python -m benchmarks`` (or ``python -m benchmarks --quick``).  Every figure
is a ratio to a hand-written numpy implementation of the same model measured in
the same run, alternately, so that a noisy machine slows both sides alike.
"""

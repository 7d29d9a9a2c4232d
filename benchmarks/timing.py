"""Alternating, repeated timing and the statistics reported from it."""

import statistics
import time


def alternate(candidates, repetitions):
    """Time each ``name -> callable`` ``repetitions`` times, alternating their order.

    Each callable returns the seconds it measured itself (so it can leave out
    its own set-up) or None to be timed whole.  Returns ``name -> [seconds]``.
    """
    names = list(candidates)
    samples = {name: [] for name in names}
    for rep in range(repetitions):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            start = time.perf_counter()
            measured = candidates[name]()
            samples[name].append(measured if measured is not None else time.perf_counter() - start)
    return samples


def summarize(samples, baseline, scale=1.0):
    """Median per candidate and its ratio to ``baseline``.

    The ratio is the median of the per-repetition ratios (each pair measured
    back to back), which is steadier on a noisy machine than a ratio of medians.
    """
    rows = []
    base = samples[baseline]
    for name, values in samples.items():
        paired = [v / b for v, b in zip(values, base)]
        rows.append({"implementation": name, "median": statistics.median(values) * scale,
                     "ratio": statistics.median(paired), "min_ratio": min(paired), "max_ratio": max(paired),
                     "repetitions": len(values)})
    return rows

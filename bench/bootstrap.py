"""The seed bootstrap shared by report.py and head_to_head.py.

A benchmark's claim is a statistic over seeds (a mean over problems of the median score
over seeds; a count of wins). Resampling the seeds with replacement and recomputing the
statistic shows how much of it is the luck of the seeds drawn. One draw picks the seeds
for every problem and every optimizer compared in it, so problems and optimizers stay
paired as they were run.

The generator is `random.Random(RNG_SEED)` unless the caller passes one: a report made
twice from the same results file prints the same intervals.
"""
import random

RNG_SEED = 0
RESAMPLES = 2000
LEVEL = 0.95


def resamples(seeds, count, rng=None):
    """Yields `count` draws of len(seeds) seeds each, with replacement."""
    rng = rng if rng is not None else random.Random(RNG_SEED)
    seeds = list(seeds)
    for _ in range(count):
        yield [rng.choice(seeds) for _ in seeds]


def quantile(sorted_values, q):
    """The value at rank floor(q * (n - 1)) of an ascending list (no interpolation: the
    interval's ends are statistics some resample actually produced). The 1e-9 keeps a
    rank that is whole on paper whole in floating point ((1 - 0.9) / 2 * 100 is 4.99...)."""
    return sorted_values[int(q * (len(sorted_values) - 1) + 1e-9)]


def percentile_interval(values, level=LEVEL):
    """(low, high): the central `level` share of `values`, percentile method."""
    ordered = sorted(values)
    tail = (1.0 - level) / 2.0
    return quantile(ordered, tail), quantile(ordered, 1.0 - tail)


def interval(seeds, statistic, count=RESAMPLES, level=LEVEL, rng=None):
    """Percentile bootstrap interval of statistic(draw) over `count` resamples of
    `seeds`, or None when there is no seed."""
    if not seeds:
        return None
    return percentile_interval([statistic(draw) for draw in resamples(seeds, count, rng)],
                               level)

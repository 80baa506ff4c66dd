"""Optuna's own answers for tests/unit/test_pareto.c and test_hypervolume.c.

    /usr/bin/python3 tests/unit/optuna_pareto.py CASES OUT

CASES holds cases written by the C tests, each a header line and rows of hex floats
(C's %a), every objective minimized:
    hv M N          N point rows, then the reference point's row
    weights M N     N point rows
    rank M N        N point rows
    constrained M N K   N rows of M objectives followed by K constraint values
    crowding M N    N point rows
OUT gets one line per case, hex floats (float.hex) or integers:
    hv           WFG().compute(points, ref)                              (optuna._hypervolume)
    weights      MOTPE's weights of the good group by hypervolume contribution, reference
                 point chosen by Optuna (_calculate_weights_below_for_multi_objective)
    rank         MOTPE's non-domination ranks (_calculate_nondomination_rank)
    constrained  NSGA-II's fronts under constrained domination, as ranks
                 (NSGAIISampler._fast_non_dominated_sort with a constraints_func)
    crowding     NSGA-II's crowding distances (_calc_crowding_distance)
Written for Optuna 3.1 (Debian's python3-optuna); these are private functions, so another
version may have moved them: the script then fails naming what it could not find.
"""
import sys
import types
import warnings

import numpy as np
import optuna
from optuna.samplers._base import _CONSTRAINTS_KEY
from optuna.samplers._tpe import sampler as tpe_sampler
from optuna.samplers.nsgaii import _sampler as nsga2_sampler
from optuna.study import StudyDirection
from optuna.trial import TrialState


def read_rows(lines, count):
    return [[float.fromhex(word) for word in next(lines).split()] for _ in range(count)]


def trials_of(rows, m, k=0):
    return [types.SimpleNamespace(number=i, values=row[:m], state=TrialState.COMPLETE,
                                  system_attrs={_CONSTRAINTS_KEY: row[m:]} if k else {})
            for i, row in enumerate(rows)]


def hypervolume(rows, ref):
    return optuna._hypervolume.WFG().compute(np.asarray(rows), np.asarray(ref))


def motpe_weights(rows):
    loss_vals = [(0.0, row) for row in rows]
    return tpe_sampler._calculate_weights_below_for_multi_objective(
        loss_vals, np.arange(len(rows)), None)


def constrained_ranks(rows, m, k):
    sampler = optuna.samplers.NSGAIISampler(constraints_func=lambda trial: [0.0] * k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fronts = sampler._fast_non_dominated_sort(trials_of(rows, m, k),
                                                  [StudyDirection.MINIMIZE] * m)
    ranks = [0] * len(rows)
    for rank, front in enumerate(fronts):
        for trial in front:
            ranks[trial.number] = rank
    return ranks


def crowding(rows, m):
    distances = nsga2_sampler._calc_crowding_distance(trials_of(rows, m))
    return [distances[i] for i in range(len(rows))]


def answer(kind, numbers, lines):
    m, n = numbers[0], numbers[1]
    if kind == "hv":
        rows = read_rows(lines, n)
        return [hypervolume(rows, read_rows(lines, 1)[0])]
    if kind == "weights":
        return list(motpe_weights(read_rows(lines, n)))
    if kind == "rank":
        return list(tpe_sampler._calculate_nondomination_rank(np.asarray(read_rows(lines, n))))
    if kind == "constrained":
        return constrained_ranks(read_rows(lines, n), m, numbers[2])
    if kind == "crowding":
        return crowding(read_rows(lines, n), m)
    sys.exit(f"optuna_pareto.py: unknown case kind {kind!r}")


def text(value):
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return float(value).hex()


def main():
    cases_path, out_path = sys.argv[1], sys.argv[2]
    with open(cases_path) as f:
        lines = iter(f.read().splitlines())
    out = []
    for header in lines:
        kind, *numbers = header.split()
        out.append(" ".join(text(v) for v in answer(kind, [int(x) for x in numbers], lines)))
    with open(out_path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

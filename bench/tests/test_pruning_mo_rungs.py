"""bench/pruning_mo_rungs.py: MOASHA's order of a rung, the rank correlation and the
replay of asha's stop form, on hand-made points and curves."""
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import pruning_mo_rungs as rungs  # noqa: E402
from pruning_mo import EPOCHS, PARAMS_SCALE  # noqa: E402


def test_order_is_front_then_crowding_extremes_first():
    # three on the first front (0 and 2 its extremes), 3 dominated by 1
    points = [(0.1, 0.9), (0.5, 0.5), (0.9, 0.1), (0.6, 0.6)]
    assert rungs.moasha_order(points) == [0, 2, 1, 3]


def test_spearman_of_same_reversed_and_tied_orders():
    assert rungs.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert rungs.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ties share their mean rank: ranks (0.5, 0.5, 2) against (0, 1, 2)
    assert rungs.spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(1.5 / math.sqrt(1.5 * 2))


def _trial(acc, hidden_params):
    return {"params": hidden_params, "acc": [acc] * EPOCHS}


def test_replay_stops_the_dominated_trial_at_the_first_rung():
    # trial 1 has trial 0's size and a lower accuracy: dominated at every rung, so with
    # rf 2 (the top one of two goes on) it stops at epoch 1; trial 2 is more accurate
    study = {"trials": [_trial(0.90, PARAMS_SCALE // 2), _trial(0.80, PARAMS_SCALE // 2),
                        _trial(0.95, PARAMS_SCALE // 2)]}
    used, complete, gap = rungs.replay(study, 1, 2, budget=1000)
    assert (used, complete) == (EPOCHS + 1 + EPOCHS, 2)
    assert gap == 0.0  # the stopped trial was not on the final front


def test_replay_stops_at_the_budget():
    study = {"trials": [_trial(0.9, PARAMS_SCALE // (i + 2)) for i in range(5)]}
    used, complete, _ = rungs.replay(study, 4, 2, budget=2 * EPOCHS)
    assert used == 2 * EPOCHS and complete == 2  # each is smaller: all on the front

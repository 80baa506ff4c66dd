"""bench/warm_start.py's count of new trials to the old study's best, on hand-made
histories (no training, no hpsearch run)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import warm_start  # noqa: E402


def test_warm_started_trials_are_neither_counted_nor_reaching():
    # three old trials first, one of them at the target itself: they are the old study's
    history = [(True, 0.98), (True, 0.90), (True, 0.95), (False, 0.91), (False, 0.98)]
    assert warm_start.trials_to_reach(history, 0.98, 0.0) == 2


def test_a_tie_reaches_and_the_tolerance_widens_it():
    history = [(False, 0.90), (False, 0.976), (False, 0.98)]
    assert warm_start.trials_to_reach(history, 0.98, 0.0) == 3
    assert warm_start.trials_to_reach(history, 0.98, 0.005) == 2
    assert warm_start.trials_to_reach(history, 0.98, 0.003) == 3


def test_failed_trials_count_but_never_reach():
    history = [(True, 0.99), (False, None), (False, None), (False, 0.99)]
    assert warm_start.trials_to_reach(history, 0.99, 0.0) == 3


def test_none_when_no_new_trial_reaches():
    assert warm_start.trials_to_reach([(True, 0.99), (False, 0.5)], 0.99, 0.005) is None
    assert warm_start.trials_to_reach([], 0.99, 0.005) is None


def test_warm_trials_interleaved_with_new_ones_are_skipped_in_order():
    history = [(False, 0.1), (True, 0.99), (False, 0.2), (True, 0.99), (False, 0.99)]
    assert warm_start.trials_to_reach(history, 0.99, 0.0) == 3


def test_summary_median_and_bar_count():
    def row(reach):
        return {"variants": {v: {"reach": reach, "reach_exact": reach}
                             for v in warm_start.VARIANTS}}
    table = warm_start.summary_table([row(2), row(12), row(None)], 20)
    assert "| warm | 3 | 12 (never) | 1/3 | 12 (never) | 1/3 |" in table

"""bench/mo_floor_verdict.py: the rule of the floor protocol on made-up per-seed rows."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import mo_floor_verdict as v  # noqa: E402


def _rows(label, dtlz2, guard, two=10.0):
    rows = {}
    for s in range(3):
        rows[label, "dtlz2", s] = {"50": dtlz2[0], "100": dtlz2[1]}
        for p in v.GUARDS:
            rows[label, p, s] = {"50": guard[0], "100": guard[1]}
        for p in v.TWO_OBJECTIVES:
            rows[label, p, s] = {"50": two, "100": two}
    return rows


def test_kept_when_dtlz2_rises_and_guards_hold():
    keep, _ = v.verdict(_rows("without", (3, 20), (50, 60)),
                        _rows("with", (15, 60), (48.5, 61)), ["50", "100"])
    assert keep


def test_not_kept_when_a_guard_drops_more_than_two_points():
    keep, reasons = v.verdict(_rows("without", (3, 20), (50, 60)),
                              _rows("with", (15, 60), (47.9, 61)), ["50", "100"])
    assert not keep and any("drops more than 2" in r for r in reasons)


def test_not_kept_when_dtlz2_does_not_rise_at_one_budget():
    keep, _ = v.verdict(_rows("without", (3, 20), (50, 60)),
                        _rows("with", (3, 60), (50, 60)), ["50", "100"])
    assert not keep


def test_not_kept_when_a_two_objective_study_moves_by_a_bit():
    keep, reasons = v.verdict(_rows("without", (3, 20), (50, 60)),
                              _rows("with", (15, 60), (50, 60), two=10.000000000000002),
                              ["50", "100"])
    assert not keep and any("differs" in r for r in reasons)

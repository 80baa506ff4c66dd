"""route_rule.py's statistic (bench/conditional_route.md): medians per problem, their
mean, incomplete problems left out, and the paired per-seed difference."""
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import route_rule  # noqa: E402


def test_statistic_medians_means_and_pairs():
    cand = {("a", 25, 0): 10.0, ("a", 25, 1): 30.0, ("a", 25, 2): 20.0,
            ("b", 25, 0): 0.0, ("b", 25, 1): 100.0, ("b", 25, 2): 50.0,
            ("c", 25, 0): 5.0}  # c lacks seeds 1, 2: left out
    base = {(p, t, s): v - 4.0 for (p, t, s), v in cand.items()}
    base[("b", 25, 1)] = 100.0  # one seed where the candidate is no better
    table = route_rule.statistic([("cand", cand), ("base", base)], [0, 1, 2], 25)
    assert table["problems"] == ["a", "b"]
    assert table["missing"] == ["c"]
    assert table["medians"]["cand"] == [20.0, 50.0]
    assert table["medians"]["base"] == [16.0, 46.0]
    assert table["means"]["cand"] == pytest.approx(35.0)
    label, rule, paired, se = table["differences"][0]
    assert label == "base"
    assert rule == pytest.approx(4.0)
    # per seed, the mean over a and b of cand - base: 4, (4 + 0) / 2, 4
    assert paired == pytest.approx(10.0 / 3)
    assert se == pytest.approx(math.sqrt(4.0 / 3) / math.sqrt(3))


def test_parse_seeds():
    assert route_rule.parse_seeds("5-9") == [5, 6, 7, 8, 9]
    assert route_rule.parse_seeds("0,3-4") == [0, 3, 4]

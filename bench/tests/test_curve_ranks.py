"""bench/curve_ranks.py: the calibration of whether a problem's learning curves cross,
on hand-made curves."""
import json
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import curve_ranks  # noqa: E402


def test_cut_from_top_counts_the_final_best_outside_the_early_best_third():
    # 6 configurations, keep a third = 2 at the early epoch: 4 and 5 are kept there
    early = [0.1, 0.2, 0.3, 0.4, 0.9, 0.8]
    final = [0.9, 0.1, 0.2, 0.3, 0.4, 0.8]
    # the final top 2 are 0 (cut early: 4 better) and 5 (kept)
    assert curve_ranks.cut_from_top(early, final, top=2) == 1
    # the final top 3 adds 4 (kept)
    assert curve_ranks.cut_from_top(early, final, top=3) == 1
    # curves that never cross lose nothing
    assert curve_ranks.cut_from_top(final, final, top=2) == 0


def test_cut_from_top_keeps_ties_at_the_boundary():
    # three tied at the top early: none has 2 (= floor(6 / 3)) strictly better
    early = [0.5, 0.5, 0.5, 0.1, 0.1, 0.1]
    final = [0.1, 0.2, 0.3, 0.9, 0.8, 0.7]
    assert curve_ranks.cut_from_top(early, final, top=3) == 3
    assert curve_ranks.cut_from_top(early, [0.9, 0.8, 0.7, 0.1, 0.2, 0.3], top=3) == 0


def test_cut_from_top_rejects_sequences_of_different_lengths():
    with pytest.raises(ValueError, match="3 early and 2 final"):
        curve_ranks.cut_from_top([1, 2, 3], [1, 2], top=1)


def test_summarize_gives_the_rank_correlation_and_the_cut_per_epoch():
    # 12 curves of 8 epochs; curve i starts at rank i and ends reversed from epoch 4 on
    curves = [[i / 100] * 3 + [(12 - i) / 100] * 5 for i in range(12)]
    rows = curve_ranks.summarize(curves, epochs_k=(1, 3, 4, 8), top=4)
    assert [r["epoch"] for r in rows] == [1, 3, 4, 8]
    assert rows[0]["spearman"] == pytest.approx(-1.0)
    assert rows[1]["spearman"] == pytest.approx(-1.0)
    assert rows[2]["spearman"] == pytest.approx(1.0)
    assert rows[3]["spearman"] == pytest.approx(1.0)
    # the final top 4 (curves 0-3) were the early worst: all cut at epochs 1 and 3
    assert [r["top_cut"] for r in rows] == [4, 4, 0, 0]


def test_summarize_gives_none_for_a_constant_epoch():
    curves = [[0.1, 0.1 * i] for i in range(10)]
    rows = curve_ranks.summarize(curves, epochs_k=(1, 2), top=3)
    assert rows[0]["spearman"] is None
    assert rows[1]["spearman"] == pytest.approx(1.0)
    assert not any(isinstance(r["spearman"], float) and math.isnan(r["spearman"])
                   for r in rows)


def test_pool_tabulates_the_curves_of_several_files(tmp_path, capsys, monkeypatch):
    paths = []
    for seed in (0, 1):
        # 15 curves per file, all reversed between epoch 1 and epoch 2 (the final)
        curves = [[(i + 15 * seed) / 100, (30 - i - 15 * seed) / 100] for i in range(15)]
        path = tmp_path / f"cal{seed}.json"
        path.write_text(json.dumps({"problem": "digits-sgd", "seed": seed, "curves": curves}))
        paths.append(str(path))
    monkeypatch.setattr(sys, "argv", ["curve_ranks.py", "--pool"] + paths)
    curve_ranks.main()
    out = capsys.readouterr().out
    assert "digits-sgd: 30 configurations from 2 files" in out
    assert "| 1 | -1.00 | 10 |" in out  # the final top 10 are the 10 worst at epoch 1
    assert "| 2 | 1.00 | 0 |" in out  # and the top third (10) at the end


def test_pool_refuses_files_of_different_problems(tmp_path, monkeypatch):
    paths = []
    for problem in ("digits-sgd", "digits-adam"):
        path = tmp_path / f"{problem}.json"
        path.write_text(json.dumps({"problem": problem, "curves": [[0.1, 0.2]] * 10}))
        paths.append(str(path))
    monkeypatch.setattr(sys, "argv", ["curve_ranks.py", "--pool"] + paths)
    with pytest.raises(SystemExit, match="different problems"):
        curve_ranks.main()

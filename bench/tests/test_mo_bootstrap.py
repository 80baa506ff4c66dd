"""bench/mo_bootstrap.py: family scores from --per-seed lines, paired on the seeds every
optimizer ran."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import mo_bootstrap  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mo_bootstrap.py")


def test_family_score_is_the_mean_of_per_problem_medians():
    scores = {("a", "zdt1", 0): 10.0, ("a", "zdt1", 1): 30.0, ("a", "zdt1", 2): 20.0,
              ("a", "dtlz2", 0): 0.0, ("a", "dtlz2", 1): 4.0, ("a", "dtlz2", 2): 8.0}
    assert mo_bootstrap.family_score(scores, "a", ["zdt1", "dtlz2"], [0, 1, 2]) == 12.0
    assert mo_bootstrap.family_score(scores, "a", ["zdt1"], [0, 0, 1]) == 10.0


def test_only_seeds_every_optimizer_ran_are_paired(tmp_path):
    rows = [("a", "constr", 0, 50.0), ("a", "constr", 1, 70.0), ("a", "constr", 2, 90.0),
            ("b", "constr", 1, 60.0), ("b", "constr", 2, 40.0),
            ("a", "zdt1", 0, 1.0)]  # the multi-objective set misses zdt2, dtlz2: no seed
    path = tmp_path / "per_seed.jsonl"
    path.write_text("".join(json.dumps({"optimizer": o, "problem": p, "seed": s,
                                        "seconds": 0, "scores": {"50": v}}) + "\n"
                            for o, p, s, v in rows))
    out = subprocess.run([sys.executable, SCRIPT, str(path), "--optimizers", "a,b"],
                         capture_output=True, text=True, check=True).stdout
    constrained = next(line for line in out.splitlines() if "constrained set" in line)
    cells = [c.strip() for c in constrained.strip("|").split("|")]
    assert cells[1] == "1,2"                 # seed 0 only a ran
    assert cells[2].startswith("80.0 [")     # median of a's 70, 90
    assert cells[3].startswith("50.0 [")     # median of b's 60, 40
    assert cells[4].startswith("+30.0 [")
    multi = next(line for line in out.splitlines() if "multi-objective set" in line)
    assert "| none |" in multi

"""Hyperband with promotions from Python (hpsearch only): HyperbandPruner(mode="promotion")
makes each bracket ASHA's promotion form -- a trial's slice ends at its bracket's next
rung (trial.max_step), trial.pause(step) ends it there, and study.ask() resumes the best
paused trial of a bracket (the highest rung step first) from its checkpoint
(trial.resume_step) before it starts anything new."""
import hpsearch
import pytest
from hpsearch.trial import TrialState


def curve(x, step):
    return x + 1.0 / (step + 1)


def hyperband_promotion(**options):
    return hpsearch.pruners.HyperbandPruner(min_resource=1, reduction_factor=2, mode="promotion",
                                            **options)


# PatientPruner around the scheduler must keep its slices and promotions (patience only
# adds a reason to stop; these curves always improve)
@pytest.mark.parametrize("patient", [False, True])
def test_brackets_pause_at_their_rungs_and_promoted_trials_resume_from_them(tmp_path, patient):
    # rf 2, max_resource 8: brackets whose first rungs are 1, 2 and 4, and one (8, the top)
    # whose trials run whole
    pruner = hyperband_promotion(max_resource=8)
    if patient:
        pruner = hpsearch.pruners.PatientPruner(pruner, patience=2)
    study = hpsearch.create_study(storage=f"sqlite:///{tmp_path}/hb.db",
                                  sampler=hpsearch.samplers.RandomSampler(seed=5),
                                  pruner=pruner)
    first_rung = {}   # trial number -> where its first slice ended (None: ran whole)
    checkpoint = {}   # trial number -> the step its last slice paused at
    promoted_from = []
    for _ in range(120):
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        if trial.resume_step is None:
            start = 0
            first_rung[trial.number] = trial.max_step
        else:
            # a promotion: from the step its checkpoint holds, a rung of its own bracket
            assert trial.resume_step == checkpoint[trial.number]
            first = first_rung[trial.number]
            assert trial.resume_step in [first * 2 ** k for k in range(3) if first * 2 ** k < 8]
            promoted_from.append((first, trial.resume_step))
            start = trial.resume_step + 1
        end = trial.max_step if trial.max_step is not None else 8
        assert end > (trial.resume_step if trial.resume_step is not None else -1)
        for step in range(start, end + 1):
            trial.report(curve(x, step), step)
        if trial.max_step is not None:
            trial.pause(end)
            checkpoint[trial.number] = end
        else:
            study.tell(trial, curve(x, end))
    assert set(first_rung.values()) == {1, 2, 4, None}  # every bracket has trials
    # promotions in the brackets with two rungs or more, and from a higher rung
    assert {first for first, _ in promoted_from} >= {1, 2}
    assert any(step >= 2 for _, step in promoted_from)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert any(first_rung[t.number] == 1 for t in complete)  # the most aggressive bracket's
    assert all(sorted(t.intermediate_values) == list(range(9)) for t in complete)


def test_promotions_with_two_objectives():
    """Several objectives: each bracket's rungs order by MOASHA's rule, as asha's
    promotion form does; trials pause, the promoted ones resume from their rung."""
    study = hpsearch.create_study(directions=["minimize", "minimize"],
                                  sampler=hpsearch.samplers.RandomSampler(seed=2),
                                  pruner=hyperband_promotion(max_resource=8))
    checkpoint, promoted = {}, 0
    for _ in range(60):
        trial = study.ask()
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        if trial.resume_step is not None:
            assert trial.resume_step == checkpoint[trial.number]
            promoted += 1
        start = 0 if trial.resume_step is None else trial.resume_step + 1
        end = trial.max_step if trial.max_step is not None else 8
        for step in range(start, end + 1):
            trial.report([curve(x, step), curve(y, step)], step)
        if trial.max_step is not None:
            trial.pause(end)
            checkpoint[trial.number] = end
        else:
            study.tell(trial, [curve(x, end), curve(y, end)])
    assert promoted > 0
    assert study.best_trials  # some trials ran the whole budget


def test_stop_mode_sends_optunas_arguments_only():
    assert "mode" not in hpsearch.pruners.HyperbandPruner()._options()
    assert hyperband_promotion(max_resource=8)._options()["mode"] == "promotion"


def test_promotion_options_are_checked():
    with pytest.raises(ValueError, match="must be 'stop' or 'promotion'"):
        hpsearch.pruners.HyperbandPruner(mode="pause")
    refused = [
        (hyperband_promotion(), "mode promotion needs max_resource"),
        (hyperband_promotion(max_resource=1), r"max_resource \(1\) must be above min_resource"),
        (hyperband_promotion(max_resource=8, bootstrap_count=2),
         "bootstrap_count applies to mode stop only"),
    ]
    for pruner, message in refused:
        with pytest.raises(Exception, match=message):
            hpsearch.create_study(pruner=pruner)

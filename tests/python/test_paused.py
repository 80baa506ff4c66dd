"""Paused and resumed trials from Python (hpsearch only: Optuna has no PAUSED state):
SuccessiveHalvingPruner(mode="promotion") gives each trial its slice (trial.max_step),
trial.pause(step) ends it, and study.ask() hands back the best paused trial with its
trial.resume_step before anything new (with several objectives by MOASHA's order); a
paused trial reads as RUNNING."""
import re

import hpsearch
import pytest
from hpsearch.trial import TrialState


def curve(x, step):
    return x + 1.0 / (step + 1)


def promotion_pruner(reduction_factor, max_resource):
    return hpsearch.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=reduction_factor, mode="promotion",
        max_resource=max_resource)


def run_slice(study, trial, values, budget, first_step=0):
    """Reports values(step) from the step after the trial's checkpoint (first_step for a
    new trial) to the end of its slice (budget when nothing ends it early), then pauses
    the trial there or tells values(budget). Returns the slice's first and last steps."""
    start = first_step if trial.resume_step is None else trial.resume_step + 1
    end = trial.max_step if trial.max_step is not None else budget
    for step in range(start, end + 1):
        trial.report(values(step), step)
    if trial.max_step is not None:
        trial.pause(end)
    else:
        study.tell(trial, values(end))
    return start, end


def pause_two_at_rung_1(study):
    """Trials x=0.5 and x=0.2 run steps 0 and 1 and pause at 1."""
    for x in (0.5, 0.2):
        study.enqueue_trial({"x": x})
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        for step in (0, 1):
            trial.report(curve(x, step), step)
        trial.pause(1)


# PatientPruner around the scheduler must keep its slices and promotions (patience only
# adds a reason to stop; these curves always improve)
@pytest.mark.parametrize("patient", [False, True])
def test_promotion_loop_resumes_from_the_checkpoint_step(tmp_path, patient):
    pruner = promotion_pruner(3, 9)
    if patient:
        pruner = hpsearch.pruners.PatientPruner(pruner, patience=2)
    study = hpsearch.create_study(storage=f"sqlite:///{tmp_path}/p.db", pruner=pruner)
    for x in (0.5, 0.2, 0.9, 0.1):
        study.enqueue_trial({"x": x})
    asked = []
    checkpoints = {}  # trial number -> the step its "checkpoint" holds
    for _ in range(6):
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        asked.append((trial.number, trial.resume_step))
        if trial.resume_step is not None:  # where this trial's last slice saved
            assert checkpoints[trial.number] == trial.resume_step
        _, checkpoints[trial.number] = run_slice(study, trial, lambda s: curve(x, s), 9)
    # three new trials reach step 1, the best of them (x=0.2) goes on to step 3, then a
    # fourth (x=0.1) joins and is promoted at once
    assert asked == [(0, None), (1, None), (2, None), (1, 1), (3, None), (3, 1)]
    states = {t.number: t.state for t in study.get_trials()}
    assert all(state == TrialState.RUNNING for state in states.values())  # PAUSED
    frozen = study.get_trials(states=(TrialState.RUNNING,))
    assert sorted(t.system_attrs["paused_step"] for t in frozen) == [1, 1, 3, 3]
    assert [t.intermediate_values for t in frozen if t.number == 1][0] == {
        s: pytest.approx(curve(0.2, s)) for s in range(4)}
    assert study.get_trials(states=(TrialState.COMPLETE,)) == []


def test_promotions_with_two_objectives_follow_moasha():
    # both minimized; rungs at steps 1 and 2, the full budget 4
    study = hpsearch.create_study(directions=["minimize", "minimize"],
                                  pruner=promotion_pruner(2, 4))
    for x, y in ((0.5, 0.5), (0.2, 0.8), (0.8, 0.2)):
        study.enqueue_trial({"x": x, "y": y})
    asked = []
    for _ in range(6):
        trial = study.ask()
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        asked.append((trial.number, trial.resume_step))
        run_slice(study, trial, lambda s: [curve(x, s), curve(y, s)], 4)
    # 0 leads rung 1 of {0, 1} (equal on crowding, older) and goes on; once 2 joins, 1
    # and 2 end the front and 0 is inside it, so 1 goes on next; at rung 2, 0 again
    assert asked == [(0, None), (1, None), (0, 1), (2, None), (1, 1), (0, 2)]
    assert [t.number for t in study.best_trials] == [0]


def test_promotion_needs_its_budget():
    with pytest.raises(ValueError, match="mode"):
        hpsearch.pruners.SuccessiveHalvingPruner(mode="pause")
    pruner = hpsearch.pruners.SuccessiveHalvingPruner(min_resource=1, mode="promotion")
    with pytest.raises(Exception, match="needs min_resource and max_resource"):
        hpsearch.create_study(pruner=pruner)


def test_a_stopping_pruner_gives_no_slice():
    study = hpsearch.create_study(pruner=hpsearch.pruners.SuccessiveHalvingPruner())
    trial = study.ask()
    assert trial.max_step is None and trial.resume_step is None


def test_ctrl_c_pauses_a_resumed_trial_again(tmp_path):
    """A resumed trial interrupted by KeyboardInterrupt goes back to PAUSED at its last
    reported step (its checkpoint and curve are intact), and optimize stops."""
    study = hpsearch.create_study(storage=f"sqlite:///{tmp_path}/c.db",
                                  pruner=promotion_pruner(2, 4))
    pause_two_at_rung_1(study)

    def objective(trial):
        assert trial.resume_step == 1  # the better one, promoted
        trial.report(curve(0.2, 2), 2)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=1)
    frozen = study.get_trials()
    assert len(frozen) == 2  # nothing queued again
    assert frozen[1].state == TrialState.RUNNING  # PAUSED
    assert frozen[1].system_attrs["paused_step"] == 2
    assert sorted(frozen[1].intermediate_values) == [0, 1, 2]


def test_a_trial_cut_short_on_every_resume_fails(tmp_path):
    """A resumed trial interrupted again and again is not paused forever: without
    retries the first interruption pauses it, the second fails it, saying why."""
    pruner = hpsearch.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=2, mode="promotion", max_resource=4)
    study = hpsearch.create_study(storage=f"sqlite:///{tmp_path}/d.db", pruner=pruner)
    for x in (0.5, 0.2):
        study.enqueue_trial({"x": x})
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        for step in (0, 1):
            trial.report(curve(x, step), step)
        trial.pause(1)

    def dies(trial):
        assert trial.number == 1 and trial.resume_step is not None
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(dies, n_trials=1)
    assert study.get_trials()[1].state == TrialState.RUNNING  # PAUSED
    with pytest.raises(KeyboardInterrupt):
        study.optimize(dies, n_trials=1)
    frozen = study.get_trials()
    assert len(frozen) == 2  # nothing queued again
    assert frozen[1].state == TrialState.FAIL
    assert "cut short 2 times" in frozen[1].system_attrs["fail_reason"]


def test_freeze_thaw_resumes_by_forecast(tmp_path):
    """ForecastPruner(mode="freeze-thaw"): a new trial pauses at step min_points, a
    resumed one slice_steps later; the asks resume paused trials from their checkpoint's
    step (none repeated, none skipped) and finish some at max_step."""
    pruner = hpsearch.pruners.ForecastPruner(mode="freeze-thaw", max_step=12, min_points=4,
                                             slice_steps=4)
    study = hpsearch.create_study(storage=f"sqlite:///{tmp_path}/f.db", pruner=pruner,
                                  sampler=hpsearch.samplers.RandomSampler(seed=1))
    resumed = 0
    reported = {}  # trial number -> the steps it reported, slice after slice
    for _ in range(24):
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        resumed += trial.resume_step is not None
        steps = reported.setdefault(trial.number, [])
        first, end = run_slice(study, trial, lambda s: curve(x, s), 12, first_step=1)
        assert steps == list(range(1, first))
        assert end in (4, 8, 12) and end >= first
        steps.extend(range(first, end + 1))
    assert resumed > 0
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert complete and all(sorted(t.intermediate_values) == list(range(1, 13))
                            for t in complete)


def test_freeze_thaw_options_are_checked():
    with pytest.raises(ValueError, match="mode"):
        hpsearch.pruners.ForecastPruner(mode="freeze")
    for slice_steps in (3, 5):  # 5, the default, is refused too: the engine does
        with pytest.raises(ValueError, match="slice_steps applies to mode 'freeze-thaw'"):
            hpsearch.pruners.ForecastPruner(slice_steps=slice_steps)
    with pytest.raises(ValueError, match="interval_steps applies to mode 'stop'"):
        hpsearch.pruners.ForecastPruner(mode="freeze-thaw", max_step=9, interval_steps=1)
    for bad in (dict(slice_steps=True), dict(max_step=True), dict(slice_steps=2.0)):
        with pytest.raises(ValueError, match="an integer >= 1"):
            hpsearch.pruners.ForecastPruner(mode="freeze-thaw", **{"max_step": 9, **bad})
    with pytest.raises(ValueError, match="interval_steps applies to mode 'stop'"):
        hpsearch.pruners.ForecastPruner(mode="freeze-thaw", max_step=9, interval_steps=2)
    with pytest.raises(Exception, match="mode freeze-thaw needs max_step"):
        hpsearch.create_study(pruner=hpsearch.pruners.ForecastPruner(mode="freeze-thaw"))


class RecordingSampler(hpsearch.samplers.BaseSampler):
    """Takes the middle of every range and records the after_trial calls."""

    def __init__(self):
        self.ended = []

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        return (param_distribution.low + param_distribution.high) / 2

    def after_trial(self, study, trial, state, values):
        self.ended.append((trial.number, state))


def test_ctrl_c_on_a_resumed_trial_does_not_end_it_for_the_sampler(tmp_path):
    """A resumed trial that KeyboardInterrupt sends back to PAUSED has not ended: the
    sampler's after_trial is not called (as for a pause), so an Optuna-style sampler never
    sees it end FAIL and later COMPLETE. A new trial interrupted does end FAIL."""
    sampler = RecordingSampler()
    study = hpsearch.create_study(storage=f"sqlite:///{tmp_path}/s.db", sampler=sampler,
                                  pruner=promotion_pruner(2, 4))
    pause_two_at_rung_1(study)
    assert sampler.ended == []

    def interrupted(trial):
        trial.suggest_float("x", 0, 1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(interrupted, n_trials=1)  # trial 1, resumed
    assert study.get_trials()[1].system_attrs["paused_step"] == 1
    assert sampler.ended == []
    # a new trial interrupted ends FAIL for the sampler, as in Optuna
    fresh = RecordingSampler()
    study = hpsearch.create_study(sampler=fresh)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(interrupted, n_trials=1)
    assert fresh.ended == [(0, TrialState.FAIL)]


def test_freeze_thaw_first_slice_steps():
    """first_slice_steps: a new trial pauses after that many steps (min_points when not
    given); the option belongs to mode freeze-thaw and is checked like slice_steps."""
    pruner = hpsearch.pruners.ForecastPruner(mode="freeze-thaw", max_step=12,
                                             first_slice_steps=1)
    study = hpsearch.create_study(pruner=pruner,
                                  sampler=hpsearch.samplers.RandomSampler(seed=1))
    trial = study.ask()
    assert trial.resume_step is None and trial.max_step == 1
    with pytest.raises(ValueError, match="first_slice_steps applies to mode 'freeze-thaw'"):
        hpsearch.pruners.ForecastPruner(first_slice_steps=1)
    for bad in (0, True, 1.0):
        with pytest.raises(ValueError, match="first_slice_steps must be an integer >= 1"):
            hpsearch.pruners.ForecastPruner(mode="freeze-thaw", max_step=9,
                                            first_slice_steps=bad)


def test_freeze_thaw_new_trial_estimate(tmp_path):
    """new_trial_estimate reaches the engine: with the better half of the finals a good
    paused curve is resumed where all the finals would start a new trial (the case of
    tests/unit/test_freeze_thaw.c); the option belongs to mode freeze-thaw."""
    storage = f"sqlite:///{tmp_path}/e.db"
    # (paused under a pruner that resumes: Python refuses a pause under one that never does)
    study = hpsearch.create_study(storage=storage, study_name="e",
                                  sampler=hpsearch.samplers.RandomSampler(seed=1),
                                  pruner=hpsearch.pruners.ForecastPruner(mode="freeze-thaw",
                                                                         max_step=20))
    for final in (0.50, 0.9, 0.52, 1.5, 2.0):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        for step in range(1, 21):
            trial.report(final - 0.05 + 1.0 / step, step)
        study.tell(trial, final)
    paused = study.ask()
    paused.suggest_float("x", 0, 1)
    for step in range(1, 6):
        paused.report(0.49 + 0.05 / step, step)
    paused.pause(5)

    def first_ask(estimate):
        pruner = hpsearch.pruners.ForecastPruner(mode="freeze-thaw", max_step=20,
                                                 new_trial_estimate=estimate)
        return hpsearch.load_study(study_name="e", storage=storage, pruner=pruner).ask()

    assert first_ask("all").resume_step is None
    trial = first_ask("upper-half")
    assert trial.number == paused.number and trial.resume_step == 5
    with pytest.raises(ValueError, match="new_trial_estimate applies to mode 'freeze-thaw'"):
        hpsearch.pruners.ForecastPruner(new_trial_estimate="all")
    for bad in ("top", "upper_half", 1):
        message = f"new_trial_estimate must be 'all' or 'upper-half' but got {bad!r}"
        with pytest.raises(ValueError, match=re.escape(message)):
            hpsearch.pruners.ForecastPruner(mode="freeze-thaw", max_step=9,
                                            new_trial_estimate=bad)


def test_a_pause_past_the_last_report_is_ranked_at_the_rungs_it_passed():
    """trial.pause(3) after reporting step 2: the checkpoint holds step 3, so the trial
    has reached rung 3 and stands there with its last report (step 2's value) -- it is
    promoted from rung 3 when it leads there, not ranked at rung 1 only, where this
    curve (the worst at step 1, the best by step 2) would never be promoted."""
    study = hpsearch.create_study(pruner=promotion_pruner(3, 9))  # rungs 1, 3; budget 9
    trial = study.ask()
    trial.report(9.0, 1)
    trial.report(0.0, 2)
    trial.pause(3)
    asked = []
    for _ in range(8):
        trial = study.ask()
        asked.append((trial.number, trial.resume_step))
        if trial.number == 0:
            assert trial.max_step is None  # from rung 3, the last, to its full budget
            break
        x = trial.number / 10  # 0.1, 0.2, ...: worse than trial 0 from step 2 on
        run_slice(study, trial, lambda s: x if s <= 1 else x + 1, 9, first_step=1)
    # five new trials join rung 1; its top two (1, 2) go on to rung 3, and once two are
    # there beside trial 0, trial 0 leads rung 3 and goes on
    assert asked == [(1, None), (2, None), (1, 1), (3, None), (4, None), (5, None), (2, 1),
                     (0, 3)]


def test_a_rung_value_stays_what_the_trial_stood_at_when_it_first_paused_there():
    """The trial of the test above, paused at 3 after reporting 1 and 2, stands at rung 3
    with step 2's value (the best there) and is promoted from it. Once it has run on and
    paused at 9, reporting 5.0 -- the worst -- from step 4 on, its rung-3 value must still
    be step 2's: were it its first report past 3 (step 4's), rung 3 (trials 0, 1, 2)
    would rank trial 1 first and promote it too, two out of three at reduction factor 3.
    (Before every pause step was kept, only the latest pause was known, and the next ask
    resumed trial 1 from rung 3.)"""
    study = hpsearch.create_study(pruner=promotion_pruner(3, 27))  # rungs 1, 3, 9
    trial = study.ask()
    trial.report(9.0, 1)
    trial.report(0.0, 2)
    trial.pause(3)
    asked = []
    for _ in range(20):
        trial = study.ask()
        asked.append((trial.number, trial.resume_step, trial.max_step))
        if trial.number == 0:
            break
        x = trial.number / 10
        run_slice(study, trial, lambda s: x if s <= 1 else x + 1, 27, first_step=1)
    assert asked[-1] == (0, 3, 9)  # promoted from rung 3, where it leads
    run_slice(study, trial, lambda s: 5.0, 27)  # from step 4 on, the worst
    assert study.trials[0].system_attrs["pause_steps"] == [3, 9]
    asked = []
    for _ in range(3):
        trial = study.ask()
        asked.append((trial.number, trial.resume_step, trial.max_step))
        x = trial.number / 10
        run_slice(study, trial, lambda s: x if s <= 1 else x + 1, 27, first_step=1)
    # rung 3 has promoted its one trial of three; new trials fill rung 1
    assert asked == [(6, None, 1), (7, None, 1), (8, None, 1)]
    assert study.trials[1].system_attrs["paused_step"] == 3


def test_freeze_thaw_a_users_early_pause_is_not_a_short_first_slice():
    """A trial its user pauses before min_points (trial.pause(2) under the default first
    slice, which ends at min_points) has too few values for a forecast and is resumed
    first, as any such trial is. The best-third rung is the rule of a configured short
    first slice (first_slice_steps below min_points); it must not leave a trial paused
    for good because its user stopped early, at a step where it trails."""
    pruner = hpsearch.pruners.ForecastPruner(mode="freeze-thaw", max_step=12, min_points=4,
                                             slice_steps=4, n_startup_trials=10)
    study = hpsearch.create_study(pruner=pruner)
    for x in (0.1, 0.2, 0.3, 0.9):
        study.enqueue_trial({"x": x})
    for _ in range(3):  # three good trials run their first slice, to step 4
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        assert trial.resume_step is None and trial.max_step == 4
        run_slice(study, trial, lambda s: curve(x, s), 12, first_step=1)
    trial = study.ask()  # the fourth trails at step 2, where its user pauses it
    x = trial.suggest_float("x", 0, 1)
    assert trial.number == 3 and x == 0.9
    for step in (1, 2):
        trial.report(curve(x, step), step)
    trial.pause(2)
    trial = study.ask()
    assert (trial.number, trial.resume_step, trial.max_step) == (3, 2, 6)


def test_a_pause_at_the_full_budget_is_refused():
    # max_resource 9: a trial that reached step 9 has finished; pausing it there left it
    # PAUSED with nothing to run (or ran it again); now it is refused and told instead
    study = hpsearch.create_study(pruner=promotion_pruner(3, 9))
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    for step in range(10):
        trial.report(curve(x, step), step)
    with pytest.raises(ValueError, match=r"cannot pause at step 9: its full budget ends at "
                                         r"step 9 .*tell it COMPLETE"):
        trial.pause(9)
    study.tell(trial, curve(x, 9))
    assert study.trials[0].state == TrialState.COMPLETE


def sliced_objective(asked, budget):
    """An objective that keeps the slice contract: from the step after its checkpoint to
    trial.max_step, then pause there; at the top rung it runs to `budget` and returns."""
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        asked.append((trial.number, trial.resume_step))
        start = 0 if trial.resume_step is None else trial.resume_step + 1
        end = trial.max_step if trial.max_step is not None else budget
        for step in range(start, end + 1):
            trial.report(curve(x, step), step)
        if trial.max_step is not None:
            trial.pause(end)
            return None
        return curve(x, budget)
    return objective


def test_optimize_resumes_paused_trials():
    # optimize drives a pausing pruner as the ask-and-tell loop does: the objective
    # pauses at trial.max_step, a later call gets the promoted trial back with its
    # resume_step; before, optimize told the paused trial and failed
    study = hpsearch.create_study(pruner=promotion_pruner(3, 9),
                                  sampler=hpsearch.samplers.RandomSampler(seed=1))
    for x in (0.5, 0.2, 0.9, 0.1):
        study.enqueue_trial({"x": x})
    asked, finished = [], []
    study.optimize(sliced_objective(asked, 9), n_trials=6,
                   callbacks=[lambda s, t: finished.append(t.number)])
    assert asked == [(0, None), (1, None), (2, None), (1, 1), (3, None), (3, 1)]
    assert finished == []  # callbacks see finished trials only; every slice paused
    # and on to the end: the best trials complete at the full budget, each slice going on
    # from the step after the last one's pause
    study.optimize(sliced_objective(asked, 9), n_trials=30,
                   callbacks=[lambda s, t: finished.append(t.number)])
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) >= 1 and sorted(finished) == sorted(t.number for t in complete)
    assert all(sorted(t.intermediate_values) == list(range(10)) for t in complete)
    for number in {n for n, _ in asked}:  # each resume goes on from the pause before
        resumed = [r for n, r in asked if n == number and r is not None]
        paused = study.trials[number].system_attrs.get("pause_steps", [])
        assert resumed == paused[:len(resumed)] and len(paused) - len(resumed) in (0, 1)


def test_optimize_warns_for_an_objective_that_ignores_its_slices():
    # an Optuna-style objective (report every step, should_prune, return) under a pausing
    # pruner is never stopped: said once, not silently
    study = hpsearch.create_study(pruner=promotion_pruner(3, 9))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in range(10):
            trial.report(curve(x, step), step)
            if trial.should_prune():
                raise hpsearch.TrialPruned()
        return curve(x, 9)
    with pytest.warns(UserWarning, match=r"pauses trials at the end of each slice instead of "
                                         r"pruning them.*trial\.pause\(trial\.max_step\)"):
        study.optimize(objective, n_trials=4)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4


def test_a_pause_under_a_pruner_that_never_resumes_is_refused():
    # MedianPruner (the default) resumes nothing, and Python has no study.resume: the
    # trial would wait paused for good while later asks start new trials
    study = hpsearch.create_study()
    trial = study.ask()
    trial.report(0.5, 0)
    with pytest.raises(RuntimeError, match=r"trial 0 cannot pause: the study's pruner "
                                           r"\('median'\) never resumes a paused trial") as refusal:
        trial.pause(1)
    # the message names every pruner that does resume
    for pausing in ("SuccessiveHalvingPruner", "HyperbandPruner", "ForecastPruner"):
        assert pausing in str(refusal.value)
    study.tell(trial, 0.5)
    assert study.trials[0].state == TrialState.COMPLETE

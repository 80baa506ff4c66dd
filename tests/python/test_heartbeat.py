"""Heartbeats and retries with real worker processes: one SIGKILLed mid-trial, one
frozen (SIGSTOP) so that its heartbeat stops, one alive and beating."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import hpsearch
from hpsearch.trial import TrialState

from conftest import subprocess_env

WORKER = textwrap.dedent("""
    import sys, time
    import hpsearch
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    url, name, mode = sys.argv[1:4]
    storage = hpsearch.storages.RDBStorage(
        url, heartbeat_interval=0.25, grace_period=2.5,
        failed_trial_callback=hpsearch.storages.RetryFailedTrialCallback(max_retry=1))
    study = hpsearch.load_study(study_name=name, storage=storage)
    if mode == "optimize":
        def objective(trial):
            trial.suggest_float("lr", 1e-4, 1e-1, log=True)
            trial.suggest_int("hidden", 32, 256)
            print(trial.number, flush=True)
            time.sleep(60)
            return 0.0
        study.optimize(objective, n_trials=1)
    else:  # ask: a trial outside optimize, which Optuna would not beat
        trial = study.ask()
        trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        trial.suggest_int("hidden", 32, 256)
        print(trial.number, flush=True)
        time.sleep(60)
""")


@pytest.fixture
def study_url(tmp_path):
    url = "sqlite:" + str(tmp_path / "hb.db")
    hpsearch.create_study(study_name="hb", storage=url, direction="maximize")
    return url


def start_worker(tmp_path, url, mode):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    proc = subprocess.Popen([sys.executable, str(script), url, "hb", mode],
                            stdout=subprocess.PIPE, text=True, env=subprocess_env())
    line = proc.stdout.readline()
    assert line.strip().isdigit(), f"worker did not start a trial: {line!r}"
    return proc, int(line)


def open_study(url):
    storage = hpsearch.storages.RDBStorage(
        url, heartbeat_interval=0.25, grace_period=2.5,
        failed_trial_callback=hpsearch.storages.RetryFailedTrialCallback(max_retry=1))
    return hpsearch.load_study(study_name="hb", storage=storage)


@pytest.mark.parametrize("mode", ["optimize", "ask"])
def test_killed_worker_is_failed_and_retried_with_same_params(tmp_path, study_url, mode):
    proc, number = start_worker(tmp_path, study_url, mode)
    study = open_study(study_url)
    # the parameters are in storage while the trial runs (flushed at suggest)
    running = study.trials[number]
    assert running.state == TrialState.RUNNING
    params = running.params
    assert set(params) == {"lr", "hidden"}
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()

    retry = study.ask()  # recovers the dead worker's trial, then hands out its retry
    assert retry.number != number
    assert retry.suggest_float("lr", 1e-4, 1e-1, log=True) == params["lr"]
    assert retry.suggest_int("hidden", 32, 256) == params["hidden"]
    frozen = study.tell(retry, 0.9)
    assert frozen.system_attrs["retry_of"] == number
    assert hpsearch.storages.RetryFailedTrialCallback.retried_trial_number(frozen) == number
    dead = study.trials[number]
    assert dead.state == TrialState.FAIL
    assert "interrupted" in dead.system_attrs["fail_reason"]


def test_silent_worker_is_failed_after_the_grace_period_but_a_beating_one_is_not(
        tmp_path, study_url):
    frozen_proc, frozen_number = start_worker(tmp_path, study_url, "ask")
    alive_proc, alive_number = start_worker(tmp_path, study_url, "ask")
    try:
        frozen_proc.send_signal(signal.SIGSTOP)  # alive, but its heartbeat thread stops
        time.sleep(3.5)  # > grace_period (2.5 s)
        study = open_study(study_url)
        hpsearch.storages.fail_stale_trials(study)
        trials = study.trials
        assert trials[frozen_number].state == TrialState.FAIL
        assert "no heartbeat" in trials[frozen_number].system_attrs["fail_reason"]
        # the ask()-ed trial of the live worker kept beating: still running
        assert trials[alive_number].state == TrialState.RUNNING
        # the retry of the frozen trial is queued with its parameters
        waiting = study.get_trials(states=(TrialState.WAITING,))
        assert len(waiting) == 1
        assert waiting[0].system_attrs["fixed_params"] == trials[frozen_number].params
    finally:
        for proc in (frozen_proc, alive_proc):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()


def test_without_retries_a_dead_trial_is_only_failed(tmp_path):
    url = "sqlite:" + str(tmp_path / "noretry.db")
    hpsearch.create_study(study_name="hb", storage=url)
    script = tmp_path / "w.py"
    script.write_text(textwrap.dedent("""
        import sys, time, hpsearch
        study = hpsearch.load_study(study_name="hb", storage=sys.argv[1])
        trial = study.ask()
        trial.suggest_int("k", 0, 9)
        print(trial.number, flush=True)
        time.sleep(60)
    """))
    proc = subprocess.Popen([sys.executable, str(script), url], stdout=subprocess.PIPE,
                            text=True, env=subprocess_env())
    number = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    study = hpsearch.load_study(study_name="hb", storage=url)  # plain URL: heartbeats on
    study.tell(study.ask(), 1.0)
    assert study.trials[number].state == TrialState.FAIL
    assert len(study.trials) == 2  # nothing re-queued


def test_late_worker_cannot_write_to_its_recovered_trial(tmp_path):
    """A worker whose trial was recovered while it ran (frozen, here: its one heartbeat
    is older than the other worker's grace) gets a clear error for its late report and
    tell, and the trial keeps what recovery made of it."""
    url = f"sqlite:///{tmp_path}/late.db"
    late = hpsearch.create_study(
        study_name="late", storage=hpsearch.storages.RDBStorage(
            url, heartbeat_interval=60, grace_period=120))
    trial = late.ask()
    trial.suggest_float("x", 0, 1)
    other = hpsearch.load_study(study_name="late", storage=hpsearch.storages.RDBStorage(
        url, heartbeat_interval=0.1, grace_period=0.3))
    time.sleep(0.6)
    hpsearch.storages.fail_stale_trials(other)
    with pytest.raises(RuntimeError, match="trial 0 is FAIL, not RUNNING"):
        trial.report(1.0, 0)
    with pytest.raises(ValueError, match="trial 0 is FAIL, not RUNNING"):
        late.tell(trial, 1.0)
    [frozen] = other.get_trials()
    assert frozen.state == TrialState.FAIL
    assert frozen.intermediate_values == {}
    assert "no heartbeat" in frozen.system_attrs["fail_reason"]


def test_late_tell_with_constraints_stores_nothing(tmp_path):
    """The late tell of a sampler with constraints_func records the constraints before
    the state; refused, it must leave no constraints behind in the recovered trial."""
    url = f"sqlite:///{tmp_path}/late_constraints.db"
    sampler = hpsearch.samplers.TPESampler(constraints_func=lambda t: [5.0])
    late = hpsearch.create_study(
        study_name="late", sampler=sampler, storage=hpsearch.storages.RDBStorage(
            url, heartbeat_interval=60, grace_period=120))
    trial = late.ask()
    trial.suggest_float("x", 0, 1)
    other = hpsearch.load_study(study_name="late", storage=hpsearch.storages.RDBStorage(
        url, heartbeat_interval=0.1, grace_period=0.3))
    time.sleep(0.6)
    hpsearch.storages.fail_stale_trials(other)
    with pytest.raises(ValueError, match="trial 0 is FAIL, not RUNNING"):
        late.tell(trial, 1.0)
    [frozen] = other.get_trials()
    assert frozen.state == TrialState.FAIL
    assert "constraints" not in frozen.system_attrs
    assert frozen.values is None


# -- trial.check_running() (hps_trial_check_running; hpsearch only) ----------------------

def refusal_of(trial, within=10.0):
    """The message check_running() raises once the heartbeat thread's beat was refused
    (the next beat after the trial changed hands); fails the test if none comes."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            trial.check_running()
        except RuntimeError as err:
            return str(err)
        time.sleep(0.05)
    pytest.fail(f"check_running() still passes {within} s after the trial changed hands")


def test_check_running_passes_while_the_trial_is_ours_and_raises_once_told():
    study = hpsearch.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    assert trial.check_running() is None
    study.tell(trial, 1.0)
    with pytest.raises(RuntimeError, match="trial 0 is already COMPLETE"):
        trial.check_running()


def test_check_running_in_memory_sees_the_trial_told_through_the_study():
    """No heartbeat in memory: told by number (not through this handle) counts as well."""
    study = hpsearch.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial.number, 0.5)
    with pytest.raises(RuntimeError, match="trial 0 is already COMPLETE"):
        trial.check_running()


def test_replayed_trials_check_running_does_nothing():
    """An objective that calls check_running() replays on a FixedTrial or FrozenTrial,
    as one that calls report() and should_prune() does."""
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.check_running()
        return x * x

    assert objective(hpsearch.trial.FixedTrial({"x": 0.5})) == 0.25
    study = hpsearch.create_study()
    study.optimize(objective, n_trials=1)
    frozen = study.trials[0]
    assert frozen.check_running() is None
    assert objective(frozen) == frozen.value


def test_check_running_sees_another_process_finish_the_trial(tmp_path):
    url = f"sqlite:///{tmp_path}/told.db"
    ours = hpsearch.create_study(study_name="told", storage=hpsearch.storages.RDBStorage(
        url, heartbeat_interval=0.1, grace_period=60))
    trial = ours.ask()
    trial.suggest_float("x", 0, 1)
    assert trial.check_running() is None
    other = hpsearch.load_study(study_name="told", storage=url)
    other.tell(trial.number, 0.5)
    message = refusal_of(trial)
    assert "trial 0 is COMPLETE, not RUNNING: another process finished it" in message
    with pytest.raises(RuntimeError, match="trial 0 is COMPLETE"):
        trial.report(1.0, 0)  # what check_running() said is what report() says


def test_check_running_sees_its_trial_recovered_as_stale(tmp_path):
    """Beats every 2 s, while the other handle calls a beat older than 0.3 s stale:
    it fails the trial between two beats, and the next beat is refused."""
    url = f"sqlite:///{tmp_path}/stale.db"
    late = hpsearch.create_study(study_name="stale", storage=hpsearch.storages.RDBStorage(
        url, heartbeat_interval=2.0, grace_period=120))
    trial = late.ask()
    trial.suggest_float("x", 0, 1)
    other = hpsearch.load_study(study_name="stale", storage=hpsearch.storages.RDBStorage(
        url, heartbeat_interval=0.1, grace_period=0.3))
    time.sleep(0.6)
    hpsearch.storages.fail_stale_trials(other)
    assert other.trials[trial.number].state == TrialState.FAIL
    message = refusal_of(trial)
    assert "trial 0 is FAIL, not RUNNING: it was recovered as stale" in message

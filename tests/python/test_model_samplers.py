"""The model-based samplers through the Python API: GPSampler, TPESampler, CmaEsSampler
and the default AutoSampler find the optimum of a known function, are deterministic with
a seed, refuse what they cannot do, and AutoSampler says which strategy ran each trial."""
import math

import pytest

import hpsearch
from hpsearch.samplers import AutoSampler, CmaEsSampler, GPSampler, TPESampler


def bowl(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", 1e-3, 10, log=True)
    k = trial.suggest_int("k", 1, 8)
    return (x - 1) ** 2 + math.log(y) ** 2 + (k - 3) ** 2


def run(sampler, n=40):
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    study = hpsearch.create_study(sampler=sampler)
    study.optimize(bowl, n_trials=n)
    return study


@pytest.mark.parametrize("make, bound", [
    (lambda: GPSampler(seed=3), 0.05),
    (lambda: GPSampler(seed=3, input_warping=False), 0.05),
    (lambda: TPESampler(seed=3), 1.5),
    (lambda: CmaEsSampler(seed=3), 3.0),
    (lambda: AutoSampler(seed=3), 0.05),
])
def test_finds_the_bowl_and_is_deterministic(make, bound):
    first = run(make())
    again = run(make())
    assert first.best_value < bound
    assert [t.params for t in first.trials] == [t.params for t in again.trials]
    # far better than the random start: the model is doing the work
    assert first.best_value < min(t.value for t in first.trials[:5])


def test_default_sampler_is_auto_and_records_strategy():
    study = run(None, n=12)
    strategies = [t.system_attrs.get("sampler") for t in study.trials]
    assert strategies[0] == "sobol"
    assert set(strategies[1:]) == {"gp"}


def test_auto_takes_tpe_for_wide_spaces():
    study = hpsearch.create_study(sampler=AutoSampler(seed=1))

    def objective(trial):
        return sum(trial.suggest_float(f"p{i}", 0, 1) for i in range(24))

    study.optimize(objective, n_trials=4)
    assert study.trials[-1].system_attrs["sampler"] == "tpe"



def _grid_study():
    """An AutoSampler study of 400 trials on a grid of a 2-d bowl, and its objective."""
    hpsearch.logging.set_verbosity(hpsearch.logging.WARNING)
    study = hpsearch.create_study(sampler=AutoSampler(seed=1))
    dists = {"x": hpsearch.distributions.FloatDistribution(-5, 5),
             "y": hpsearch.distributions.FloatDistribution(-5, 5)}
    for i in range(400):
        x, y = (i % 20) / 2 - 5, (i // 20) / 2 - 5
        study.add_trial(hpsearch.trial.create_trial(params={"x": x, "y": y},
                                                    distributions=dists, value=x * x + y * y))

    def objective(trial):
        return trial.suggest_float("x", -5, 5) ** 2 + trial.suggest_float("y", -5, 5) ** 2

    return study, objective


def _stop_after_one(study, trial):
    study.stop()


def _asked_strategy(study, objective):
    """The strategy auto picks for a trial asked outside optimize."""
    trial = study.ask()
    objective(trial)
    study.tell(trial, 1.0)
    return study.trials[-1].system_attrs["sampler"]


def test_auto_plans_with_the_n_trials_optimize_is_given():
    """optimize(n_trials=N) tells the engine that the study will hold its trials so far
    plus N (a hint for auto, never a limit: Optuna runs N more trials per call): a run
    that long on a continuous space hands over to CMA-ES after 400 trials, a short one
    stays with the GP; a trial asked outside optimize has no hint -- right after a long
    call too, and after one that raised."""
    study, objective = _grid_study()
    study.optimize(objective, n_trials=600, callbacks=[_stop_after_one])
    assert study.trials[-1].system_attrs["sampler"] == "cmaes"
    # the hint was that call's only
    assert _asked_strategy(study, objective) == "gp"

    def raising(trial):
        objective(trial)
        raise KeyError("the objective failed")

    with pytest.raises(KeyError):
        study.optimize(raising, n_trials=600)
    assert study.trials[-1].system_attrs["sampler"] == "cmaes"
    assert _asked_strategy(study, objective) == "gp"

    study.optimize(objective, n_trials=5, callbacks=[_stop_after_one])
    assert study.trials[-1].system_attrs["sampler"] == "gp"


def test_the_budget_hint_is_no_limit():
    """Trials added while optimize(n_trials=3) runs take the study past its hint (the
    trials so far plus 3), and the call still runs its 3: a hint, not max_trials."""
    study, objective = _grid_study()
    before = len(study.trials)

    def add_five_once(study, trial):
        if len(study.trials) == before + 1:
            for k in range(5):
                study.add_trial(hpsearch.trial.create_trial(
                    params={"x": 0.1 * k, "y": 0.0}, value=0.01 * k * k,
                    distributions={"x": hpsearch.distributions.FloatDistribution(-5, 5),
                                   "y": hpsearch.distributions.FloatDistribution(-5, 5)}))

    study.optimize(objective, n_trials=3, callbacks=[add_five_once])
    assert len(study.trials) == before + 3 + 5


@pytest.mark.parametrize("n_trials", [float("inf"), 2**64, 2**70])
def test_optimize_with_n_trials_past_any_budget_plans_without_a_hint(n_trials):
    """Optuna runs optimize(n_trials=float("inf")) and n_trials of 2**64 or more (until
    stopped): they set no hint -- auto plans as for ask() (the GP, not CMA-ES)."""
    study, objective = _grid_study()
    study.optimize(objective, n_trials=n_trials, callbacks=[_stop_after_one])
    assert len(study.trials) == 401
    assert study.trials[-1].system_attrs["sampler"] == "gp"


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="cannot call Python functions"):
        TPESampler(gamma=lambda n: 3)
    with pytest.raises(TypeError, match="constraints_func must be callable"):
        TPESampler(constraints_func=[0.0])
    with pytest.raises(NotImplementedError, match="x0"):
        CmaEsSampler(x0={"x": 1.0})
    with pytest.raises(ValueError, match="n_startup_trials"):
        GPSampler(n_startup_trials=-1)
    with pytest.raises(ValueError):
        hpsearch.create_study(sampler=TPESampler(n_ei_candidates=0))


def test_parallel_asks_get_distinct_points():
    study = hpsearch.create_study(sampler=GPSampler(seed=2, n_startup_trials=4))
    study.optimize(bowl, n_trials=8)
    pending = [study.ask() for _ in range(4)]
    points = {(t.suggest_float("x", -5, 5), t.suggest_float("y", 1e-3, 10, log=True),
               t.suggest_int("k", 1, 8)) for t in pending}
    assert len(points) == 4
    for t in pending:
        study.tell(t, bowl(t))


def test_nsga2_multi_objective_generations_and_crossovers():
    """NSGAIISampler on a two-objective problem with each crossover: the generations are
    recorded on the trials, the Pareto front improves on the random first generation,
    and a seed reproduces the run; unknown crossovers and Python strategies are refused."""
    from hpsearch.samplers import BLXAlphaCrossover, NSGAIISampler, SBXCrossover

    def two(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        c = trial.suggest_categorical("c", ["a", "b"])
        g = 1 + 9 * y + (c == "b")
        return x, g * (1 - math.sqrt(x / g))

    def front_g(study):
        return min(1 + 9 * t.params["y"] + (t.params["c"] == "b") for t in study.best_trials)

    for crossover in (None, SBXCrossover(), BLXAlphaCrossover(alpha=0.3), "sbx"):
        runs = []
        for _ in range(2):
            study = hpsearch.create_study(directions=["minimize", "minimize"],
                                          sampler=NSGAIISampler(population_size=10, seed=5,
                                                                crossover=crossover))
            study.optimize(two, n_trials=60)
            runs.append(study)
        generations = [t.system_attrs["nsga2:generation"] for t in runs[0].trials]
        assert generations == sorted(generations) and generations[0] == 0
        assert generations[-1] >= 4
        first = min(1 + 9 * t.params["y"] + (t.params["c"] == "b") for t in runs[0].trials[:10])
        assert front_g(runs[0]) < first
        assert [t.params for t in runs[0].trials] == [t.params for t in runs[1].trials]
    with pytest.raises(ValueError, match="not a valid crossover"):
        NSGAIISampler(crossover="pcx")
    with pytest.raises(NotImplementedError, match="mutation"):
        NSGAIISampler(mutation=object())
    with pytest.raises(ValueError, match="population_size"):
        NSGAIISampler(population_size=1)


@pytest.mark.filterwarnings("ignore::hpsearch.exceptions.ExperimentalWarning")
@pytest.mark.parametrize("genetic", ["NSGAIISampler", "NSGAIIISampler"])
def test_nsga2_constraints_func_steers_to_the_feasible_region(genetic):
    """With constraints_func, NSGAIISampler (and NSGAIIISampler) breeds from feasible
    trials first: a region random search hardly finds (x + y >= 1.8) keeps being sampled,
    though the objectives pull away from it."""
    from hpsearch import samplers
    from hpsearch.samplers import RandomSampler
    NSGAIISampler = getattr(samplers, genetic)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        trial.set_user_attr("c", 1.8 - x - y)
        return x, y

    def constraints(trial):
        return [trial.user_attrs["c"]]

    counts = []
    for sampler in (NSGAIISampler(population_size=10, seed=3, constraints_func=constraints),
                    RandomSampler(seed=3)):
        study = hpsearch.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(objective, n_trials=120)
        counts.append(sum(t.user_attrs["c"] <= 0 for t in study.trials[-40:]))
        if isinstance(sampler, NSGAIISampler):
            assert study.best_trials
            assert all(t.system_attrs["constraints"][0] <= 0 for t in study.best_trials)
    assert counts[0] >= 8 and counts[0] > 3 * counts[1], counts


def test_gp_constraints_func_and_several_objectives():
    """GPSampler with two objectives and constraints_func: a GP per objective and per
    constraint; the region x + y >= 1.8 (2% of the square, where random search hardly
    goes) is found from an infeasible start-up and then followed, and the Pareto set
    lies on its boundary."""
    from hpsearch.samplers import RandomSampler

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        trial.set_user_attr("c", 1.8 - x - y)
        return x, y

    def constraints(trial):
        return [trial.user_attrs["c"]]

    counts = []
    for sampler in (GPSampler(seed=3, n_startup_trials=5, constraints_func=constraints),
                    RandomSampler(seed=3)):
        study = hpsearch.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(objective, n_trials=25)
        counts.append(sum(t.user_attrs["c"] <= 0 for t in study.trials[-15:]))
        if isinstance(sampler, GPSampler):
            assert study.best_trials
            assert all(-0.05 <= t.user_attrs["c"] <= 0 for t in study.best_trials)
    assert counts[0] >= 8 and counts[0] > 3 * counts[1], counts


def test_nsga3_three_objectives_generations_and_reference_points():
    """NSGAIIISampler on DTLZ2 with three objectives: its own generations, a Pareto front
    nearer the unit sphere than its random first generation, a seed that reproduces the
    run, reference points given as a numpy array; bad arguments refused."""
    import numpy as np

    from hpsearch.exceptions import ExperimentalWarning
    from hpsearch.samplers import NSGAIIISampler

    def dtlz2(trial):
        x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(5)]
        g = sum((v - 0.5) ** 2 for v in x[2:])
        a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
        return ((1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b),
                (1 + g) * math.sin(a))

    def radius(t):
        return math.sqrt(sum(v * v for v in t.values))

    refs = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]])
    for points in (None, refs):
        runs = []
        for _ in range(2):
            with pytest.warns(ExperimentalWarning):
                sampler = NSGAIIISampler(population_size=10, seed=4, reference_points=points,
                                         crossover="sbx")
            study = hpsearch.create_study(directions=["minimize"] * 3, sampler=sampler)
            study.optimize(dtlz2, n_trials=80)
            runs.append(study)
        generations = [t.system_attrs["nsga3:generation"] for t in runs[0].trials]
        assert generations == sorted(generations) and generations[-1] >= 6
        first = sum(radius(t) for t in runs[0].trials[:10]) / 10
        front = sum(radius(t) for t in runs[0].best_trials) / len(runs[0].best_trials)
        assert front < first
        assert [t.params for t in runs[0].trials] == [t.params for t in runs[1].trials]
    with pytest.raises(ValueError, match="dividing_parameter"):
        NSGAIIISampler(dividing_parameter=0)
    with pytest.raises(ValueError, match="reference_points"):
        NSGAIIISampler(reference_points=[[1.0, float("nan")]])
    with pytest.raises(NotImplementedError, match="mutation"):
        NSGAIIISampler(mutation=object())
    with pytest.raises(ValueError, match="not a valid crossover"):
        NSGAIIISampler(crossover="pcx")
    with pytest.raises(Exception, match="reference_points have 2 coordinates"):
        hpsearch.create_study(directions=["minimize"] * 3,
                              sampler=NSGAIIISampler(reference_points=[[1, 0], [0, 1]]))

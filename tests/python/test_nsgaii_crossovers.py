"""hpsearch.samplers.nsgaii, Optuna's path to NSGA-II's crossovers: the module and its
classes as Optuna 3.1 has them (names, n_parents, defaults), the samplers' checks on
the same calls as Optuna's, each crossover running a study on a mixed space with every
value inside its distribution, and a crossover written in Python refused by name."""
import math
import warnings

import pytest

import hpsearch
import hpsearch.samplers.nsgaii as nsgaii
from hpsearch.exceptions import ExperimentalWarning

pytestmark = pytest.mark.filterwarnings("ignore::hpsearch.exceptions.ExperimentalWarning")

CLASSES = ["UniformCrossover", "BLXAlphaCrossover", "SBXCrossover", "VSBXCrossover",
           "SPXCrossover", "UNDXCrossover"]


def _optuna_nsgaii():
    optuna = pytest.importorskip("optuna")
    import optuna.samplers.nsgaii
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    return optuna


def test_import_path_and_names():
    assert hpsearch.samplers.nsgaii is nsgaii
    assert sorted(nsgaii.__all__) == sorted(CLASSES + ["BaseCrossover"])
    for name in CLASSES:
        cls = getattr(nsgaii, name)
        assert issubclass(cls, nsgaii.BaseCrossover)
        assert str(cls()) == name
    # the old names on hpsearch.samplers are the same classes
    assert hpsearch.samplers.SBXCrossover is nsgaii.SBXCrossover


def test_classes_match_optuna_31():
    """n_parents, and the arguments with their defaults, as Optuna 3.1's classes."""
    import inspect
    optuna = _optuna_nsgaii()
    assert set(CLASSES + ["BaseCrossover"]) <= set(optuna.samplers.nsgaii.__all__)
    for name in CLASSES:
        ours, theirs = getattr(nsgaii, name), getattr(optuna.samplers.nsgaii, name)
        assert ours.n_parents == theirs.n_parents, name
        ours_args = inspect.signature(ours.__init__).parameters
        for arg, p in inspect.signature(theirs.__init__).parameters.items():
            assert arg in ours_args, (name, arg)
            assert ours_args[arg].default == p.default, (name, arg)


def test_engine_options():
    """Each class names the engine's operator and passes its arguments."""
    spec = {
        nsgaii.UniformCrossover(0.3): {"crossover": "uniform", "swapping_prob": "0.3"},
        nsgaii.BLXAlphaCrossover(0.2): {"crossover": "blxalpha", "blx_alpha": "0.2"},
        nsgaii.SBXCrossover(): {"crossover": "sbx", "sbx_eta": "auto"},
        nsgaii.SBXCrossover(eta=5): {"crossover": "sbx", "sbx_eta": "5.0"},
        nsgaii.VSBXCrossover(): {"crossover": "vsbx", "vsbx_eta": "auto"},
        nsgaii.VSBXCrossover(eta=7): {"crossover": "vsbx", "vsbx_eta": "7.0"},
        nsgaii.SPXCrossover(): {"crossover": "spx", "spx_epsilon": "auto"},
        nsgaii.SPXCrossover(epsilon=1.5): {"crossover": "spx", "spx_epsilon": "1.5"},
        nsgaii.UNDXCrossover(): {"crossover": "undx", "undx_sigma_xi": "0.5",
                                 "undx_sigma_eta": "auto"},
        nsgaii.UNDXCrossover(0.4, 0.2): {"crossover": "undx", "undx_sigma_xi": "0.4",
                                         "undx_sigma_eta": "0.2"},
    }
    for crossover, options in spec.items():
        name, engine, _ = hpsearch.samplers.NSGAIISampler(crossover=crossover)._engine_spec()
        assert name == "nsga2"
        assert {k: engine[k] for k in options} == options, crossover
    with pytest.warns(ExperimentalWarning, match="UNDXCrossover is experimental"):
        nsgaii.UNDXCrossover()


def test_checks_as_optuna():
    """The samplers' checks on the same calls as Optuna 3.1's: a population smaller than
    the crossover's parents, and what is not a crossover, raise ValueError in both."""
    optuna = _optuna_nsgaii()
    for library in (hpsearch, optuna):
        n = library.samplers.nsgaii
        for cls in (n.SPXCrossover, n.UNDXCrossover):
            with pytest.raises(ValueError, match="population size should be greater than or "
                                                 "equal to 3"):
                library.samplers.NSGAIISampler(population_size=2, crossover=cls())
            library.samplers.NSGAIISampler(population_size=3, crossover=cls())
        library.samplers.NSGAIISampler(population_size=2, crossover=n.VSBXCrossover())
        with pytest.raises(ValueError, match="not a valid crossover"):
            library.samplers.NSGAIISampler(crossover=object())


def test_arguments_the_engine_refuses():
    """Where Optuna 3.1 takes anything, values the engine cannot use raise at once."""
    for make, message in ((lambda: nsgaii.BLXAlphaCrossover(alpha=-1), "alpha must be"),
                          (lambda: nsgaii.SBXCrossover(eta=-1), "eta must be"),
                          (lambda: nsgaii.VSBXCrossover(eta="x"), "eta must be a number"),
                          (lambda: nsgaii.SPXCrossover(epsilon=-0.1), "epsilon must be"),
                          (lambda: nsgaii.UNDXCrossover(sigma_xi=-1), "sigma_xi must be"),
                          (lambda: nsgaii.UNDXCrossover(sigma_eta=math.nan), "sigma_eta"),
                          (lambda: nsgaii.UniformCrossover(1.5), "swapping_prob must be")):
        with pytest.raises(ValueError, match=message):
            make()
    with pytest.raises(NotImplementedError, match="use_child_gene_prob"):
        nsgaii.VSBXCrossover(use_child_gene_prob=0.9)


def test_python_crossover_refused():
    """A BaseCrossover written in Python is refused, naming what the engine runs, rather
    than replaced by another operator."""

    class Midpoint(nsgaii.BaseCrossover):
        n_parents = 2

        def crossover(self, parents_params, rng, study, search_space_bounds):
            return parents_params.mean(axis=0)

    for sampler in (hpsearch.samplers.NSGAIISampler, hpsearch.samplers.NSGAIIISampler):
        with pytest.raises(NotImplementedError) as raised:
            sampler(crossover=Midpoint())
        message = str(raised.value)
        assert "Midpoint" in message and "written in Python" in message
        for name in CLASSES:
            assert name in message
    with pytest.raises(NotImplementedError, match="runs in hpsearch's engine"):
        nsgaii.SPXCrossover().crossover(None, None, None, None)


@pytest.mark.parametrize("name", CLASSES)
def test_each_crossover_runs_a_study(name):
    """Two objectives over a log float, an int, a stepped float and a categorical: every
    value inside its distribution, generations recorded, the same run from the same
    seed."""

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        k = trial.suggest_int("k", -3, 7)
        w = trial.suggest_float("w", 0, 1, step=0.25)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        assert 1e-4 <= lr <= 1e-1 and -3 <= k <= 7 and w in (0, 0.25, 0.5, 0.75, 1)
        assert c in ("a", "b", "c")
        return math.log10(lr) + k, (k - 2) ** 2 + w + (c == "b")

    runs = []
    for _ in range(2):
        sampler = hpsearch.samplers.NSGAIISampler(population_size=6, seed=4,
                                                  crossover=getattr(nsgaii, name)())
        study = hpsearch.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(objective, n_trials=48)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    generations = [t.system_attrs["nsga2:generation"] for t in study.trials]
    assert generations[-1] >= 5

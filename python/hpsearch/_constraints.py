"""Per-trial named constraints (Optuna 5's ``Trial.set_constraint``) and the engine's
constraint vector.

Optuna 5 keeps each value as the trial's system attribute ``constraints:KEY``
(optuna/trial/_trial.py, ``set_constraint``) and reads a trial's constraints as one dict:
the old format's list (``constraints``, what a ``constraints_func`` returned) as keys
"0", "1", ..., then the named ones (optuna/study/_constrained_optimization.py,
``_get_constraints_from_system_attrs``). The engine's samplers, ``best_trial`` and
``best_trials`` read one ordered vector per trial (``hps_trial_set_constraints``, the
system attribute ``constraints``). At tell, the named values join that vector after the
constraints_func's, in an order the whole study shares: the study's system attribute
``constraint_keys`` lists the keys in the order they first appeared, and a new key is
only ever appended, so a key keeps its place in every trial's vector. A trial that did
not set a key another trial set gets 0.0 in its place: Optuna 5 leaves the key out of
that trial's dict, and its feasibility test (every value <= 0) and the total violation
TPE and NSGA-II rank by (the sum of the positive values) then come out the same as with
0.0. The trial's own ``constraint_keys`` attribute names the vector's trailing entries,
so ``constraints`` can tell its constraints_func part from its named part.
"""

import math
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

PREFIX = "constraints:"  # Optuna 5's _CONSTRAINTS_KEY + ":"
VECTOR = "constraints"   # the engine's vector (and Optuna's old format)
LAYOUT = "constraint_keys"


def checked_value(key: Any, value: Any) -> float:
    """The value as set_constraint stores it, with Optuna 5's errors (TypeError for what
    float() refuses, ValueError for NaN)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"The `value` argument is of type '{type(value)}' but supposed to be "
                        "a float.") from None
    if math.isnan(value):
        raise ValueError(f"Attempted to set a constraint for {key!r}, but NaN is not allowed.")
    return value


def set_constraint(system_attrs: Dict[str, Any], write: Callable[[str, float], None],
                   key: Any, value: Any) -> None:
    """Trial / FrozenTrial / FixedTrial.set_constraint as Optuna 5's: the value checked,
    then a key that already has one keeps it (with Optuna's warning), else `write` stores
    the attribute ``constraints:KEY``."""
    value = checked_value(key, value)
    if f"{PREFIX}{key}" in system_attrs:
        warnings.warn(f"The constraint value is ignored because this constraint `key={key!r}` "
                      "is already set.", UserWarning, stacklevel=3)
        return
    write(f"{PREFIX}{key}", value)


def named(system_attrs: Dict[str, Any]) -> Dict[str, float]:
    """The trial's set_constraint values by key."""
    return {k[len(PREFIX):]: v for k, v in system_attrs.items() if k.startswith(PREFIX)}


def from_system_attrs(system_attrs: Dict[str, Any]) -> Dict[str, float]:
    """Trial.constraints / FrozenTrial.constraints: the constraints_func values as "0",
    "1", ... (the vector without its trailing named part), then the named ones; a named
    key "0" overrides the old one with Optuna 5's warning."""
    vector = system_attrs.get(VECTOR) or []
    n_named = len(system_attrs.get(LAYOUT) or [])
    result: Dict[str, float] = {str(i): v for i, v in
                                enumerate(vector[:max(len(vector) - n_named, 0)])}
    for key, value in named(system_attrs).items():
        if key in result:
            warnings.warn("Overwrite an old format constraint.", UserWarning, stacklevel=3)
        result[key] = value
    return result


def study_layout(study: Any, keys: List[str]) -> List[str]:
    """The study's key order with `keys` in it: new keys are appended, sorted (so workers
    whose first trials set the same keys write the same list)."""
    layout = list(study._system_attrs().get(LAYOUT) or [])
    new = sorted(set(keys) - set(layout))
    if new:
        layout += new
        study._set_system_attr(LAYOUT, layout)
    return layout


def tell_vector(study: Any, system_attrs: Dict[str, Any]
                ) -> Optional[Tuple[List[str], List[float]]]:
    """The study's key order and this trial's values in it (0.0 for a key it did not
    set), or None when the trial set none."""
    values = named(system_attrs)
    if not values:
        return None
    layout = study_layout(study, list(values))
    return layout, [float(values.get(key, 0.0)) for key in layout]


def added_system_attrs(study: Any, system_attrs: Dict[str, Any]) -> Dict[str, Any]:
    """A trial's system attributes as add_trial stores them in `study`: its named values
    laid out in this study's key order after its constraints_func part (another study's
    order may differ)."""
    laid_out = tell_vector(study, system_attrs)
    if laid_out is None:
        return system_attrs
    layout, values = laid_out
    vector = list(system_attrs.get(VECTOR) or [])
    n_func = max(len(vector) - len(system_attrs.get(LAYOUT) or []), 0)
    return {**system_attrs, VECTOR: vector[:n_func] + values, LAYOUT: layout}

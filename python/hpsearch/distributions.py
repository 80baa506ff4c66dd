"""Parameter distributions, as in ``optuna.distributions``.

``Trial.suggest_*`` create these; ``FrozenTrial.distributions`` holds them. They carry
the same attributes, validation and JSON form as Optuna's, so code that inspects
``trial.distributions`` keeps working. The engine itself keeps its own copy of each
distribution; these objects are the Python view of it.
"""
import abc
import decimal
import json
import math
import warnings
from numbers import Real
from typing import Any, Dict, Sequence, Union

__all__ = [
    "BaseDistribution",
    "FloatDistribution",
    "IntDistribution",
    "CategoricalDistribution",
    "CategoricalChoiceType",
    "distribution_to_json",
    "json_to_distribution",
    "check_distribution_compatibility",
]

CategoricalChoiceType = Union[None, bool, int, float, str]


class BaseDistribution(abc.ABC):
    """Base class of the distributions."""

    def to_external_repr(self, param_value_in_internal_repr: float) -> Any:
        """The user-facing value of an internal (float) value."""
        return param_value_in_internal_repr

    @abc.abstractmethod
    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """The internal (float) value of a user-facing value."""

    @abc.abstractmethod
    def single(self) -> bool:
        """Whether the distribution holds exactly one value."""

    @abc.abstractmethod
    def _contains(self, param_value_in_internal_repr: float) -> bool:
        """Whether an internal value lies in the distribution."""

    def _asdict(self) -> Dict:
        return self.__dict__

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, BaseDistribution):
            return NotImplemented
        if type(self) is not type(other):
            return False
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((self.__class__,) + tuple(sorted(self.__dict__.items())))

    def __repr__(self) -> str:
        kwargs = ", ".join("{}={}".format(k, v) for k, v in sorted(self._asdict().items()))
        return "{}({})".format(self.__class__.__name__, kwargs)


def _float_of(value: Any) -> float:
    try:
        internal = float(value)
    except (ValueError, TypeError) as e:
        raise ValueError(f"'{value}' is not a valid type. float-castable value is expected.") from e
    if math.isnan(internal):
        raise ValueError(f"`{value}` is invalid value.")
    return internal


class FloatDistribution(BaseDistribution):
    """Floats in [low, high]: uniform, log-uniform (``log=True``, low > 0) or on the grid
    ``low + k * step``. A range that `step` does not divide has its high end lowered onto
    the grid, with a warning, as in Optuna."""

    def __init__(self, low: float, high: float, log: bool = False,
                 step: Union[None, float] = None) -> None:
        if log and step is not None:
            raise ValueError("The parameter `step` is not supported when `log` is true.")
        if low > high:
            raise ValueError(
                "The `low` value must be smaller than or equal to the `high` value "
                "(low={}, high={}).".format(low, high))
        if log and low <= 0.0:
            raise ValueError(
                "The `low` value must be larger than 0 for a log distribution "
                "(low={}, high={}).".format(low, high))
        if step is not None and step <= 0:
            raise ValueError(
                "The `step` value must be non-zero positive value, but step={}.".format(step))
        self.step = None
        if step is not None:
            high = _adjust_discrete_uniform_high(low, high, step, stacklevel=4)
            self.step = float(step)
        self.low = float(low)
        self.high = float(high)
        self.log = log

    def single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        if self.low == self.high:
            return True
        high = decimal.Decimal(str(self.high))
        low = decimal.Decimal(str(self.low))
        step = decimal.Decimal(str(self.step))
        return (high - low) < step

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        value = param_value_in_internal_repr
        if self.step is None:
            return self.low <= value <= self.high
        k = (value - self.low) / self.step
        return self.low <= value <= self.high and abs(k - round(k)) < 1.0e-8

    def to_internal_repr(self, param_value_in_external_repr: float) -> float:
        internal = _float_of(param_value_in_external_repr)
        if self.log and internal <= 0.0:
            raise ValueError(
                f"`{param_value_in_external_repr}` is invalid value for the case log=True.")
        return internal


class IntDistribution(BaseDistribution):
    """Integers in [low, high] on the grid ``low + k * step``, or log-uniform
    (``log=True``, low >= 1, step 1)."""

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        if log and step != 1:
            raise ValueError(
                "Samplers and other components only accept step is 1 when `log` argument is "
                "True (as in Optuna).")
        if low > high:
            raise ValueError(
                "The `low` value must be smaller than or equal to the `high` value "
                "(low={}, high={}).".format(low, high))
        if log and low < 1:
            raise ValueError(
                "The `low` value must be equal to or greater than 1 for a log distribution "
                "(low={}, high={}).".format(low, high))
        if step <= 0:
            raise ValueError(
                "The `step` value must be non-zero positive value, but step={}.".format(step))
        self.log = log
        self.step = int(step)
        self.low = int(low)
        self.high = _adjust_int_uniform_high(self.low, int(high), self.step)

    def to_external_repr(self, param_value_in_internal_repr: float) -> int:
        return int(param_value_in_internal_repr)

    def to_internal_repr(self, param_value_in_external_repr: int) -> float:
        internal = _float_of(param_value_in_external_repr)
        if self.log and internal <= 0.0:
            raise ValueError(
                f"`{param_value_in_external_repr}` is invalid value for the case log=True.")
        return internal

    def single(self) -> bool:
        if self.log:
            return self.low == self.high
        if self.low == self.high:
            return True
        return (self.high - self.low) < self.step

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        value = param_value_in_internal_repr
        return self.low <= value <= self.high and (value - self.low) % self.step == 0


def _categorical_choice_equal(value1: CategoricalChoiceType, value2: CategoricalChoiceType) -> bool:
    value1_is_nan = isinstance(value1, Real) and math.isnan(float(value1))
    value2_is_nan = isinstance(value2, Real) and math.isnan(float(value2))
    return (value1 == value2) or (value1_is_nan and value2_is_nan)


class CategoricalDistribution(BaseDistribution):
    """One of `choices`. The engine stores str, int, float and bool choices; ``None`` and
    other types are refused when a trial suggests them."""

    def __init__(self, choices: Sequence[CategoricalChoiceType]) -> None:
        if len(choices) == 0:
            raise ValueError("The `choices` must contain one or more elements.")
        for choice in choices:
            if choice is not None and not isinstance(choice, (bool, int, float, str)):
                warnings.warn(
                    "Choices for a categorical distribution should be a tuple of None, bool, "
                    "int, float and str for persistent storage but contains {} which is of "
                    "type {}.".format(choice, type(choice).__name__))
        self.choices = tuple(choices)

    def to_external_repr(self, param_value_in_internal_repr: float) -> CategoricalChoiceType:
        return self.choices[int(param_value_in_internal_repr)]

    def to_internal_repr(self, param_value_in_external_repr: CategoricalChoiceType) -> float:
        for index, choice in enumerate(self.choices):
            if _categorical_choice_equal(param_value_in_external_repr, choice):
                return index
        raise ValueError(f"'{param_value_in_external_repr}' not in {self.choices}.")

    def single(self) -> bool:
        return len(self.choices) == 1

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        index = int(param_value_in_internal_repr)
        return 0 <= index < len(self.choices)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, BaseDistribution):
            return NotImplemented
        if not isinstance(other, self.__class__):
            return False
        if len(self.choices) != len(other.choices):
            return False
        return all(_categorical_choice_equal(a, b) for a, b in zip(self.choices, other.choices))

    __hash__ = BaseDistribution.__hash__


DISTRIBUTION_CLASSES = (IntDistribution, FloatDistribution, CategoricalDistribution)


def json_to_distribution(json_str: str) -> BaseDistribution:
    """A distribution from its JSON form: Optuna's ``{"name": ..., "attributes": ...}`` or
    the short ``{"type": "float", "low": ..., "high": ...}`` the engine writes."""
    json_dict = json.loads(json_str)
    if "name" in json_dict:
        attributes = dict(json_dict["attributes"])
        if json_dict["name"] == CategoricalDistribution.__name__:
            attributes["choices"] = tuple(attributes["choices"])
        for cls in DISTRIBUTION_CLASSES:
            if json_dict["name"] == cls.__name__:
                return cls(**attributes)
        raise ValueError("Unknown distribution class: {}".format(json_dict["name"]))
    if json_dict["type"] == "categorical":
        return CategoricalDistribution(json_dict["choices"])
    if json_dict["type"] in ("float", "int"):
        low, high = json_dict["low"], json_dict["high"]
        step = json_dict.get("step")
        log = json_dict.get("log", False)
        if json_dict["type"] == "float":
            return FloatDistribution(low, high, log=log, step=step)
        return IntDistribution(low=low, high=high, log=log, step=1 if step is None else step)
    raise ValueError("Unknown distribution type: {}".format(json_dict["type"]))


def distribution_to_json(dist: BaseDistribution) -> str:
    """The JSON form Optuna writes: ``{"name": "FloatDistribution", "attributes": {...}}``."""
    return json.dumps({"name": dist.__class__.__name__, "attributes": dist._asdict()})


def check_distribution_compatibility(dist_old: BaseDistribution,
                                     dist_new: BaseDistribution) -> None:
    """Raises ValueError when a parameter may not switch from `dist_old` to `dist_new`:
    another kind, another log flag, or other categorical choices."""
    if dist_old.__class__ != dist_new.__class__:
        raise ValueError("Cannot set different distribution kind to the same parameter name.")
    if isinstance(dist_old, (FloatDistribution, IntDistribution)):
        if dist_old.log != dist_new.log:  # type: ignore[union-attr]
            raise ValueError("Cannot set different log configuration to the same parameter name.")
    if isinstance(dist_old, CategoricalDistribution) and dist_old != dist_new:
        raise ValueError(
            CategoricalDistribution.__name__ + " does not support dynamic value space.")


def _adjust_discrete_uniform_high(low: float, high: float, step: float,
                                  stacklevel: int = 2) -> float:
    # Trial.suggest_float (C) calls this directly: stacklevel 2 is the user's line.
    d_high = decimal.Decimal(str(high))
    d_low = decimal.Decimal(str(low))
    d_step = decimal.Decimal(str(step))
    d_r = d_high - d_low
    if d_r % d_step != decimal.Decimal("0"):
        old_high = high
        high = float((d_r // d_step) * d_step + d_low)
        warnings.warn(
            "The distribution is specified by [{low}, {old_high}] and step={step}, but the "
            "range is not divisible by `step`. It will be replaced by [{low}, {high}].".format(
                low=low, old_high=old_high, high=high, step=step),
            stacklevel=stacklevel)
    return high


def _adjust_int_uniform_high(low: int, high: int, step: int) -> int:
    r = high - low
    if r % step != 0:
        old_high = high
        high = r // step * step + low
        warnings.warn(
            "The distribution is specified by [{low}, {old_high}] and step={step}, but the "
            "range is not divisible by `step`. It will be replaced by [{low}, {high}].".format(
                low=low, old_high=old_high, high=high, step=step))
    return high

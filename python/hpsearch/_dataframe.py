"""Study.trials_dataframe: the trials as a pandas DataFrame, with Optuna's columns."""
import collections
from typing import Any, DefaultDict, Dict, List, Set, Tuple

from .trial import TrialState

try:
    import pandas as pd
    _import_error = None
except ImportError as e:  # pragma: no cover - depends on the machine
    pd = None
    _import_error = e


def _records_and_columns(study: Any, attrs: Tuple[str, ...]
                         ) -> Tuple[List[Dict[Tuple[str, Any], Any]], List[Tuple[str, Any]]]:
    columns_of = collections.OrderedDict(
        (attr, attr[1:] if attr.startswith("_") else attr) for attr in attrs)
    column_agg: DefaultDict[str, Set] = collections.defaultdict(set)
    records = []
    for trial in study.get_trials(deepcopy=False):
        record: Dict[Tuple[str, Any], Any] = {}
        for attr, column in columns_of.items():
            value = getattr(trial, attr)
            if isinstance(value, TrialState):
                value = value.name
            if isinstance(value, dict):
                for key, nested in value.items():
                    record[(column, key)] = nested
                    column_agg[attr].add((column, key))
            elif isinstance(value, list):
                for key, nested in enumerate(value):
                    record[(column, key)] = nested
                    column_agg[attr].add((column, key))
            elif attr == "values":
                # values is None for FAIL and PRUNED trials: one empty column per objective
                for key in range(len(study.directions)):
                    record[(column, key)] = None
                    column_agg[attr].add((column, key))
            else:
                record[(column, "")] = value
                column_agg[attr].add((column, ""))
        records.append(record)
    columns: List[Tuple[str, Any]] = sum(
        (sorted(column_agg[k]) for k in attrs if k in column_agg), [])
    return records, columns


def _flatten(columns: List[Tuple[str, Any]]) -> List[str]:
    return ["_".join(filter(lambda c: c, map(str, col))) for col in columns]


def _trials_dataframe(study: Any, attrs: Tuple[str, ...], multi_index: bool) -> Any:
    if pd is None:
        raise ImportError(
            "Study.trials_dataframe needs pandas, which could not be imported ({}). Install "
            "it (Debian: apt install python3-pandas; pip: pip install pandas).".format(
                _import_error))
    if len(study.get_trials(deepcopy=False)) == 0:
        return pd.DataFrame()
    if "value" in attrs and study._is_multi_objective():
        attrs = tuple("values" if attr == "value" else attr for attr in attrs)
    records, columns = _records_and_columns(study, attrs)
    df = pd.DataFrame(records, columns=pd.MultiIndex.from_tuples(columns))
    if not multi_index:
        df.columns = _flatten(columns)
    return df

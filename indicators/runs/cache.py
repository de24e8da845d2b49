"""Process-level cache of the built catchment of the current run, so that a what-if is fast.

Keyed by run id; only the latest run's model is kept (a new current run evicts the others).
Building a model reads the run's own inputs (its supply dataset, its travel-time provider).
"""

import threading

from indicators.runs import inputs
from indicators.runs.model import build_model

_models: dict[int, dict] = {}
_lock = threading.Lock()


def model_for(run) -> dict:
    with _lock:
        model = _models.get(run.pk)
    if model is not None:
        return model
    params = run.parameters
    atoms = inputs.load_atoms()
    dataset_id = params.get("supply", {}).get("dataset_id")
    supply = inputs.supply_of_dataset(dataset_id) if dataset_id else inputs.supply_of_dataset(-1)
    model = build_model(params, atoms, supply, run.rule)
    model["apl"] = model["catchment"].apl(model["supply"], model["demand"])
    with _lock:
        _models.clear()
        _models[run.pk] = model
    return model


def forget_other_runs(run_id: int) -> None:
    with _lock:
        for key in [k for k in _models if k != run_id]:
            del _models[key]


def clear() -> None:
    with _lock:
        _models.clear()

"""One deterministic scenario, logged through ``mlflow`` or ``gittrack`` with the same calls.

Every run carries a unique ``case_key`` tag, the name by which cases and results refer to
it on every backend.  Start times are strictly increasing (a short sleep before each
run), so MLflow's default order (``start_time DESC``) is defined; so are end times.  Only calls gittrack
has today are used: ``set_experiment``, ``start_run(run_name=, nested=, tags=)``,
``end_run(status=)``, ``log_param(s)``, ``log_metric(s)``, ``set_tag(s)`` and
``MlflowClient().delete_run``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

NAN = float("nan")
INF = float("inf")

MAIN = "exp-main"
SPACED = "exp b"
UPPER = "Exp_Upper"
EMPTY = "exp-empty"
EXPERIMENTS = (MAIN, SPACED, UPPER, EMPTY)  # in creation order
ACTIVE = MAIN  # the experiment set last, the active one of every case unless it says otherwise
KEY_TAG = "case_key"

Metrics = list[tuple[str, float, int | None]]  # (key, value, step) in logging order; None: no step given


@dataclass
class Spec:
    """One run: what to log, in which order, and what happens to it afterwards."""

    key: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "FINISHED"
    children: list[Spec] = field(default_factory=list)
    deleted: bool = False


def steps(key: str, *values: float) -> Metrics:
    """``values`` logged at steps 0, 1, 2… (the last one is the run's metric value)."""
    return [(key, value, step) for step, value in enumerate(values)]


def once(**values: float) -> Metrics:
    """Each metric logged once, at step 0."""
    return [(key, value, 0) for key, value in values.items()]


def at0(*pairs: tuple[str, float]) -> Metrics:
    """Like :func:`once`, for keys that are not Python names (``f1 score``, ``val.loss``)."""
    return [(key, value, 0) for key, value in pairs]


# -- exp-main: params of every type, metrics with NaN/inf, tags for LIKE ------------------------
# The run tables are data, laid out one run per entry.
# fmt: off

_TYPES = [
    Spec("m01", "lr-0.1", {"epochs": 10, "lr": 0.1, "optimizer": "adam", "use_bn": True, "seed": "007"},
         steps("rmse", 0.9, 0.7, 0.5) + once(acc=0.8), {"model": "cnn", "note": "100%", "team": "ml"}),
    Spec("m02", "lr-0.01", {"epochs": 20, "lr": 0.01, "optimizer": "sgd", "use_bn": False, "seed": "7"},
         steps("rmse", 0.4, 0.3) + once(acc=0.85), {"model": "CNN", "note": "100 percent", "team": "ml"}),
    Spec("m03", "string-params", {"epochs": "10", "lr": "0.1", "optimizer": "Adam", "seed": 7},
         once(rmse=NAN, acc=0.9), {"model": "Cnn", "note": "a_b"}),
    Spec("m04", "tiny-lr", {"epochs": 5, "lr": 1e-05, "optimizer": "adamw", "seed": "1e3"},
         once(rmse=INF, acc=0.5), {"model": "rnn", "note": "aXb", "team": "infra"}),
    Spec("m05", "big-lr", {"epochs": 100, "lr": 1.0, "optimizer": "sgd"},
         once(rmse=-INF, acc=1.0), {"model": "rnn", "note": "it's"}, status="FAILED"),
    Spec("m06", "negative", {"epochs": -3, "lr": 0, "optimizer": "ADAM"},
         once(rmse=-1.5, acc=0.0), {"note": 'say "hi"'}),
    Spec("m07", "word-epochs", {"epochs": "ten", "lr": "1e-3"},
         once(rmse=0.0), {"note": "MiXeD", "team": "ml"}, status="KILLED"),
    Spec("m08", "float-epochs", {"epochs": 10.0, "lr": 0.5},
         once(rmse=2.5, acc=0.7), {"note": "mixed"}),
    Spec("m09", "bool-epochs", {"epochs": True, "lr": 0.1, "seed": 0},
         once(rmse=1e-10), {"note": "MIXED"}),
    Spec("m10", "lr_0.1%", {"epochs": "010", "lr": "0.10"},
         once(rmse=100.0, acc=0.2), {"note": "%start"}),
]

_LOOKALIKES = [  # strings that another type system would read as something else
    Spec("m11", "yaml-yes", {"s": "yes", "epochs": 1}, once(rmse=0.25), {"note": "under_score_"}),
    Spec("m12", "yaml-null", {"s": "null", "epochs": 2}, once(rmse=0.25), {"note": ""}),
    Spec("m13", "yaml-hex", {"s": "0x10", "epochs": 3}, once(rmse=0.75), {"note": "back\\slash"}),
    Spec("m14", "yaml-underscore", {"s": "1_000", "epochs": 4}, once(rmse=1.25), {"note": "ends%"}),
    Spec("m15", "yaml-empty", {"s": "", "epochs": 5}, once(rmse=1.5), {"note": "with space"}),
    Spec("m16", "yaml-true", {"s": "True", "epochs": 6}, once(rmse=3.0), {"note": "True"}),
    Spec("m17", "yaml-nan", {"s": "nan", "epochs": 7, "big": 2**70}, once(rmse=4.0), {"note": "10"}),
    Spec("m18", "odd-values", {"s": " padded ", "lst": [1, 2], "dct": {"a": 1}, "neg": -0.0, "none": None},
         once(rmse=5.0), {"note": "[x]"}),
]

_STEPS = [  # which value is "the" metric value
    Spec("m19", "steps-down", {"epochs": 3}, steps("loss", 3.0, 2.0, 1.0), {"phase": "steps"}),
    Spec("m20", "steps-out-of-order", {"epochs": 3},
         [("loss", 0.2, 5), ("loss", 0.9, 1)], {"phase": "steps"}),
    Spec("m21", "steps-last-nan", {"epochs": 3}, steps("loss", 1.0, NAN), {"phase": "steps"}),
    Spec("m22", "steps-first-nan", {"epochs": 3}, steps("loss", NAN, 0.5), {"phase": "steps"}),
    Spec("m23", "steps-same-step", {"epochs": 3},
         [("loss", 0.6, 2), ("loss", 0.7, 2)], {"phase": "steps"}),
    Spec("m24", "steps-inf-then-num", {"epochs": 3}, steps("loss", INF, 2.5), {"phase": "steps"}),
]

_ODD_KEYS = [  # keys with spaces, dots, dashes and slashes
    Spec("m25", "odd-keys-1", {"batch size": 32, "model.depth": 4, "drop-out": 0.1},
         at0(("f1 score", 0.6), ("val.loss", 0.3), ("a-b", 1.0), ("val/acc", 0.5)),
         {"data set": "v1", "data.version": "2", "owner-name": "alice"}),
    Spec("m26", "odd-keys-2", {"batch size": 64, "model.depth": 8},
         at0(("f1 score", 0.8), ("val.loss", 0.2), ("val/acc", 0.7)),
         {"data set": "v2", "data.version": "3"}),
    Spec("m27", "odd-keys-3", {"batch size": "32", "drop-out": 0.5},
         at0(("f1 score", NAN), ("a-b", -1.0)), {"data set": "V1", "owner-name": "Bob"}),
]

_NAMES = [  # run names: spaces, duplicates, case, LIKE characters
    Spec("m28", "baseline", {"optimizer": "sgd", "epochs": 10}, once(rmse=0.6, acc=0.6), {"team": "ml"}),
    Spec("m29", "Baseline", {"optimizer": "sgd", "epochs": 10}, once(rmse=0.6, acc=0.6), {"team": "ml"}),
    Spec("m30", "run with spaces", {"optimizer": "sgd"}, once(rmse=0.45), {"team": "research"}),
    Spec("m31", "trial", {"optimizer": "sgd"}, once(rmse=0.35), {"team": "research"}),
    Spec("m32", "trial", {"optimizer": "adam"}, once(rmse=0.35), {"team": "research"}, status="FAILED"),
    Spec("m33", "name_with_underscore", {}, once(rmse=0.15), {"team": "Research"}),
    Spec("m34", "name%percent", {}, once(rmse=0.05), {}),
    Spec("m35", "it's a name", {}, [], {"team": "ml"}),
]

_NESTED = [
    Spec("m36", "sweep", {"grid": "lr"}, once(best_rmse=0.31), {"kind": "parent"}, children=[
        Spec("m37", "trial", {"lr": 0.1, "optimizer": "sgd"}, once(rmse=0.41), {"kind": "child"}),
        Spec("m38", "trial", {"lr": 0.01, "optimizer": "sgd"}, once(rmse=0.31), {"kind": "child"},
             children=[Spec("m39", "trial-inner", {"lr": 0.001}, once(rmse=0.29), {"kind": "grandchild"})]),
        Spec("m40", "trial", {"lr": 0.001, "optimizer": "sgd"}, once(rmse=0.51), {"kind": "child"},
             status="FAILED"),
    ]),
    Spec("m41", "sweep-2", {"grid": "depth"}, [], {"kind": "parent"}, status="KILLED", children=[
        Spec("m42", "trial", {"depth": 2}, once(rmse=0.61), {"kind": "child"}, status="KILLED"),
    ]),
]

_DELETED = [
    Spec("m43", "deleted-finished", {"epochs": 10, "optimizer": "adam"}, once(rmse=0.01, acc=0.99),
         {"team": "ml", "gone": "yes"}, deleted=True),
    Spec("m44", "deleted-failed", {"epochs": 30}, once(rmse=9.0), {"gone": "yes"}, status="FAILED",
         deleted=True),
    Spec("m45", "baseline", {"optimizer": "adam"}, once(rmse=0.6), {"gone": "yes"}, deleted=True),
]

_SPARSE = [  # runs with almost nothing: missing keys everywhere
    Spec("m46", "empty-run", {}, [], {}),
    Spec("m47", "only-metric", {}, once(acc=0.95), {}),
    Spec("m48", "only-param", {"optimizer": "rmsprop"}, [], {}),
    Spec("m49", "zero-metrics", {"epochs": 0}, once(rmse=0.0, acc=0.0), {"team": ""}),
    Spec("m50", "negative-zero", {"epochs": 10}, once(rmse=-0.0, acc=-1.0), {"model": "cnn"}),
    # no step given: MLflow logs step 0 each time (increasing values: the last is also the largest)
    Spec("m51", "no-step", {}, [("loss", 1.0, None), ("loss", 2.0, None), ("loss", 3.0, None)], {}),
]

# -- exp b: same keys as exp-main, other values, a duplicate run name, deleted runs ----------------

_SPACED = [
    Spec("b01", "baseline", {"epochs": 10, "optimizer": "adam", "lr": 0.1}, once(rmse=0.55, acc=0.81),
         {"team": "ml", "model": "cnn"}),
    Spec("b02", "b-two", {"epochs": 15, "optimizer": "sgd"}, steps("rmse", 0.5, 0.45), {"team": "infra"}),
    Spec("b03", "b-three", {"epochs": "10"}, once(rmse=NAN), {"model": "transformer"}, status="FAILED"),
    Spec("b04", "b-four", {"epochs": 25}, once(rmse=0.2), {"team": "ml"}),
    Spec("b05", "trial", {"optimizer": "adam"}, once(rmse=0.33), {"kind": "child-less"}),
    Spec("b06", "b-deleted", {"epochs": 10}, once(rmse=0.02), {"gone": "yes"}, deleted=True),
    Spec("b07", "b-deleted-2", {"epochs": 11}, once(rmse=0.03), {"gone": "yes"}, status="KILLED",
         deleted=True),
    Spec("b08", "run with spaces", {"epochs": 8}, once(rmse=0.8, acc=0.4), {"note": "100%"}),
    Spec("b09", "b-parent", {}, once(rmse=0.7), {}, children=[
        Spec("b10", "b-child", {"epochs": 9}, once(rmse=0.65), {"kind": "child"}),
    ]),
    Spec("b11", "b-eleven", {"epochs": 10.5}, once(rmse=INF), {"team": "ML"}),
    Spec("b12", "b-twelve", {"epochs": 12}, once(rmse=-2.0), {"team": "ml"}, status="KILLED"),
]

# -- Exp_Upper: its own keys ------------------------------------------------------------------

_UPPER = [
    Spec(f"u{i:02d}", f"upper-{i}", {"depth": depth, "kind": kind}, once(score=score), {"Kind": kind.upper()},
         status=status)
    for i, (depth, kind, score, status) in enumerate(
        [
            (3, "tree", 0.7, "FINISHED"),
            (5, "tree", 0.75, "FINISHED"),
            (7, "forest", 0.8, "FAILED"),
            (9, "forest", NAN, "FINISHED"),
            (11, "boost", 0.9, "KILLED"),
            (13, "boost", 0.95, "FINISHED"),
            (15, "linear", -INF, "FINISHED"),
            (17, "linear", 0.5, "FINISHED"),
        ],
        start=1,
    )
]

# fmt: on

PLAN: list[tuple[str, list[Spec]]] = [
    (MAIN, _TYPES + _LOOKALIKES + _STEPS + _ODD_KEYS + _NAMES + _NESTED + _DELETED + _SPARSE),
    (SPACED, _SPACED),
    (UPPER, _UPPER),
]


def all_specs() -> list[Spec]:
    """Every run of the scenario, children included, in logging order."""
    out: list[Spec] = []

    def walk(spec: Spec) -> None:
        out.append(spec)
        for child in spec.children:
            walk(child)

    for _, specs in PLAN:
        for spec in specs:
            walk(spec)
    return out


# -- logging --------------------------------------------------------------------------------

_TICK = 0.004  # seconds before each start and end: start and end times (ms) strictly increase


def build(mlflow: ModuleType, client_factory: Callable[[], Any]) -> dict[str, Any]:
    """Log the scenario through ``mlflow`` (the mlflow or gittrack module).

    Returns ``{"runs": {case_key: run_id}, "experiments": {name: experiment_id}}``.
    """
    run_ids: dict[str, str] = {}
    for name in EXPERIMENTS:
        time.sleep(_TICK)
        mlflow.set_experiment(name)
    for experiment, specs in PLAN:
        mlflow.set_experiment(experiment)
        for spec in specs:
            _log_run(mlflow, spec, run_ids, nested=False)
    client = client_factory()
    for spec in all_specs():
        if spec.deleted:
            client.delete_run(run_ids[spec.key])
    mlflow.set_experiment(ACTIVE)
    return {"runs": run_ids, "experiments": {n: _experiment_id(mlflow, n) for n in EXPERIMENTS}}


def _experiment_id(mlflow: ModuleType, name: str) -> str:
    """The backend's id of experiment ``name``; its name if the backend cannot find it (gittrack
    knows an experiment only by its runs, and an experiment's id there is its name)."""
    found = mlflow.get_experiment_by_name(name)
    return name if found is None else str(found.experiment_id)


def _log_run(mlflow: ModuleType, spec: Spec, run_ids: dict[str, str], *, nested: bool) -> None:
    time.sleep(_TICK)
    # The case key goes in through start_run(tags=); the other tags through set_tag(s).
    run = mlflow.start_run(run_name=spec.name, nested=nested, tags={KEY_TAG: spec.key})
    run_ids[spec.key] = run.info.run_id
    _log_params(mlflow, spec.params)
    _log_metrics(mlflow, spec.metrics)
    _log_tags(mlflow, spec.tags)
    for child in spec.children:
        _log_run(mlflow, child, run_ids, nested=True)
    time.sleep(_TICK)  # end times strictly increase too: a parent ends after its last child
    mlflow.end_run(status=spec.status)


def _log_params(mlflow: ModuleType, params: dict[str, Any]) -> None:
    items = list(params.items())
    for key, value in items[:2]:  # both calls: log_param for the first two, log_params for the rest
        mlflow.log_param(key, value)
    if items[2:]:
        mlflow.log_params(dict(items[2:]))


def _log_metrics(mlflow: ModuleType, metrics: Metrics) -> None:
    for key, value, step in metrics:
        if step is None:
            mlflow.log_metric(key, value)
        elif step == 0 and key.startswith("a"):  # some through log_metrics, which takes a dict and a step
            mlflow.log_metrics({key: value}, step=step)
        else:
            mlflow.log_metric(key, value, step=step)


def _log_tags(mlflow: ModuleType, tags: dict[str, str]) -> None:
    items = list(tags.items())
    if items:
        mlflow.set_tag(*items[0])
    if items[1:]:
        mlflow.set_tags(dict(items[1:]))

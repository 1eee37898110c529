"""Run cases against a backend and normalise the answers; shared by record.py and the tests.

Backends:

- ``mlflow-file``: MLflow with its file store (``file:`` URI to ``<root>/mlruns``),
- ``mlflow-sqlite``: MLflow with its SQLite store (``sqlite:///<root>/mlflow.db``),
- ``gittrack``: ``import gittrack as mlflow``, its store at ``<root>/.runs``,
- ``mlflow-gittrack``: MLflow's own client over the ``gittrack:`` tracking-store plugin
  (``MLFLOW_TRACKING_URI=gittrack:<root>``, DESIGN.md section 9), once that plugin exists.

Every backend runs with ``<root>`` as the working directory, a git repository with one
commit.  :func:`open_backend` imports the module; :func:`run_case` runs one case.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from differential import normalise, scenario
from differential.cases import Case
from differential.idioms import IDIOMS

BACKENDS = ("mlflow-file", "mlflow-sqlite", "gittrack", "mlflow-gittrack")
MLFLOW_ENV = {
    "MLFLOW_ALLOW_FILE_STORE": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}
LEAKY_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID",
             "GITTRACK_DIR", "GITTRACK_RUN_ID", "GITTRACK_EXPERIMENT")  # fmt: skip


@dataclass
class Backend:
    name: str
    module: ModuleType
    ids: normalise.Ids

    def client(self) -> Any:
        return self.module.MlflowClient()

    def view_type(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{self.module.__name__}.entities").ViewType, name)


def tracking_uri(name: str, root: Path) -> str | None:
    if name == "mlflow-file":
        return (root / "mlruns").as_uri()
    if name == "mlflow-sqlite":
        return f"sqlite:///{root / 'mlflow.db'}"
    if name == "mlflow-gittrack":
        return f"gittrack:{root}"
    return None


def make_git_repo(root: Path) -> None:
    """A repository with one commit, as a user's project would be (git identity from the env)."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "train.py").write_text("# the user's training code\n")
    subprocess.run(["git", "add", "train.py"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "initial"], cwd=root, check=True
    )


def open_backend(name: str, root: Path) -> ModuleType:
    """Import the backend's module and point it at ``root`` (already the working directory)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}: expected one of {', '.join(BACKENDS)}")
    if name == "gittrack":
        return importlib.import_module("gittrack")
    for variable in LEAKY_ENV:
        os.environ.pop(variable, None)
    os.environ.update(MLFLOW_ENV)
    if name == "mlflow-gittrack" and not _plugin_installed():
        raise RuntimeError(
            "backend mlflow-gittrack needs gittrack's MLflow tracking-store plugin: an entry point "
            "'gittrack' in the 'mlflow.tracking_store' group (DESIGN.md section 9), not installed here"
        )
    module = importlib.import_module("mlflow")
    module.set_tracking_uri(tracking_uri(name, root))
    return module


def _plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(e.name == "gittrack" for e in entry_points(group="mlflow.tracking_store"))


def build(name: str, module: ModuleType) -> Backend:
    """Log the scenario through ``module``; the backend knows the ids it gave."""
    made = scenario.build(module, module.MlflowClient)
    return Backend(name, module, normalise.Ids(made["runs"], made["experiments"]))


# -- running one case ---------------------------------------------------------------------------


def run_case(case: Case, backend: Backend) -> dict[str, Any]:
    """The case's normalised answer on ``backend`` (an error is an answer too)."""
    try:
        backend.module.set_experiment(case.active)
        args = substitute(case.args, backend)
        answer = _CALLS[case.call](backend, args, case)
        answer = normalise.trim(answer, case.checks)
    except Exception as exc:
        answer = normalise.error(exc)
    # JSON and back: the answer compares as it would after a round trip through expected.json
    return json.loads(json.dumps(answer))


_PLACEHOLDER = re.compile(r"\{(run|exp|start|end):([^{}]+)\}")


def substitute(value: Any, backend: Backend) -> Any:
    """Resolve ``{run:KEY}``, ``{exp:NAME}``, ``{start:KEY}`` and ``{end:KEY}`` in strings."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: _resolve(m.group(1), m.group(2), backend), value)
    if isinstance(value, list):
        return [substitute(v, backend) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, backend) for k, v in value.items()}
    return value


def _resolve(kind: str, name: str, backend: Backend) -> str:
    if kind == "exp":
        return backend.ids.experiments[name]
    run_id = backend.ids.runs[name]
    if kind == "run":
        return run_id
    info = backend.client().get_run(run_id).info
    return str(info.start_time if kind == "start" else info.end_time)


def _search_args(backend: Backend, args: dict[str, Any]) -> dict[str, Any]:
    """Case arguments as the API takes them: experiment names to ids, view names to ViewType."""
    args = dict(args)
    if "experiments" in args:
        args["experiment_ids"] = [backend.ids.experiments.get(n, n) for n in args.pop("experiments")]
    for name in ("run_view_type", "view_type"):
        if isinstance(args.get(name), str):
            args[name] = backend.view_type(args[name])
    return args


def _search_runs(backend: Backend, args: dict[str, Any], case: Case) -> dict[str, Any]:
    found = backend.module.search_runs(**_search_args(backend, args))
    if case.idiom is not None:
        return normalise.value(IDIOMS[case.idiom](found))
    if isinstance(found, list):
        return normalise.runs(found, backend.ids)
    return normalise.frame(found, backend.ids)


def _client_search_runs(backend: Backend, args: dict[str, Any], case: Case) -> dict[str, Any]:
    page = backend.client().search_runs(**_search_args(backend, args))
    answer = normalise.runs(page, backend.ids)
    answer["has_token"] = bool(getattr(page, "token", None))
    return answer


def _client_search_pages(backend: Backend, args: dict[str, Any], case: Case) -> dict[str, Any]:
    """The documented idiom: ``while token:`` collect every page."""
    client = backend.client()
    args = _search_args(backend, args)
    page = client.search_runs(**args)
    pages = [page]
    while page.token and len(pages) < 1000:
        page = client.search_runs(**args, page_token=page.token)
        pages.append(page)
    answer = normalise.runs([r for p in pages for r in p], backend.ids)
    answer["page_sizes"] = [len(p) for p in pages]
    return answer


def _search_experiments(backend: Backend, args: dict[str, Any], case: Case) -> dict[str, Any]:
    target = backend.client() if case.call.startswith("client.") else backend.module
    return normalise.experiments(target.search_experiments(**_search_args(backend, args)), backend.ids)


def _get_experiment_by_name(backend: Backend, args: dict[str, Any], case: Case) -> dict[str, Any]:
    target = backend.client() if case.call.startswith("client.") else backend.module
    found = target.get_experiment_by_name(args["name"])
    return {
        "kind": "experiment",
        "keys": [found.name] if found else [],
        "experiment": normalise.experiment(found, backend.ids),
    }


def _get_run(backend: Backend, args: dict[str, Any], case: Case) -> dict[str, Any]:
    target = backend.client() if case.call.startswith("client.") else backend.module
    found = target.get_run(args["run_id"])
    answer = normalise.run(found, backend.ids)
    return {"kind": "run", "keys": [answer["key"]], "run": answer}


def _get_metric_history(backend: Backend, args: dict[str, Any], case: Case) -> dict[str, Any]:
    return normalise.metric_history(backend.client().get_metric_history(args["run_id"], args["key"]))


_CALLS: dict[str, Callable[[Backend, dict[str, Any], Case], dict[str, Any]]] = {
    "search_runs": _search_runs,
    "client.search_runs": _client_search_runs,
    "client.search_runs.pages": _client_search_pages,
    "search_experiments": _search_experiments,
    "client.search_experiments": _search_experiments,
    "get_experiment_by_name": _get_experiment_by_name,
    "client.get_experiment_by_name": _get_experiment_by_name,
    "get_run": _get_run,
    "client.get_run": _get_run,
    "client.get_metric_history": _get_metric_history,
}

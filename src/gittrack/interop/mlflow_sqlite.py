"""Reading MLflow's SQLite store (``sqlite:///path/mlflow.db``) with the standard library.

The database is opened read-only.  Tables and columns added by later MLflow versions
(``datasets``/``inputs`` 2.4, aliases 2.3, ``logged_models`` 3.0, ``deleted_time``...) are
read when they exist, so stores written by older MLflow versions import too.  What
MLflow's SQLite schema does to values, kept as stored: NaN is ``value = 0, is_nan = 1`` (read
back as NaN); +-inf was clamped to +-1.7976931348623157e308 when it was written, so it
cannot be told from a real ``max_float`` (:attr:`SqliteStore.clamps_infinity`: the report
says so).  Metric histories come in MLflow's ``get_metric_history`` order: timestamp, step,
value.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from gittrack.errors import GittrackError
from gittrack.interop.locate import Locator
from gittrack.interop.mlflow_client import Downloader
from gittrack.interop.source import (
    Dataset,
    Experiment,
    Histories,
    Located,
    LoggedModel,
    ModelVersion,
    RegisteredModel,
    Run,
)

_MODEL_STATUSES = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


def db_path(uri: str) -> Path:
    """``sqlite:///relative.db`` or ``sqlite:////absolute.db`` -> the file's path."""
    parsed = urlparse(uri)
    path = unquote(parsed.path)
    # sqlite:///x.db -> path "/x.db" (relative), sqlite:////abs/x.db -> path "//abs/x.db"
    return Path(path[1:]) if path.startswith("/") else Path(path)


class SqliteStore:
    """An MLflow SQLite database (see the module docstring)."""

    clamps_infinity = True

    def __init__(
        self, uri: str, *, artifact_roots: Sequence[Path] = (), fetch: Downloader | None = None
    ) -> None:
        path = db_path(uri)
        if not path.is_file():
            raise GittrackError(f"{uri}: no such database file ({path.resolve()})")
        self.description = uri
        self.con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            self._columns = {t: self._table_columns(t) for t in self._tables()}
        except sqlite3.DatabaseError as exc:
            self.con.close()
            raise GittrackError(f"{uri}: not an MLflow database ({exc})") from None
        if "runs" not in self._columns or "experiments" not in self._columns:
            self.con.close()
            raise GittrackError(f"{uri}: not an MLflow database (no runs or experiments table)")
        self.fetch = fetch
        self.locator = Locator([path.resolve().parent, *artifact_roots], fetch)

    def _tables(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def _table_columns(self, table: str) -> set[str]:
        return {r[1] for r in self.con.execute(f'PRAGMA table_info("{table}")')}

    def _has(self, table: str, *columns: str) -> bool:
        return table in self._columns and all(c in self._columns[table] for c in columns)

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, args).fetchall()

    # -- experiments and runs ------------------------------------------------------------

    def experiments(self) -> list[Experiment]:
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        if self._has("experiment_tags"):
            for key, value, experiment_id in self._rows(
                "SELECT key, value, experiment_id FROM experiment_tags"
            ):
                tags[str(experiment_id)][key] = "" if value is None else str(value)
        times = (
            "creation_time, last_update_time" if self._has("experiments", "creation_time") else "NULL, NULL"
        )
        rows = self._rows(
            f"SELECT experiment_id, name, lifecycle_stage, {times}, artifact_location"  # noqa: S608
            " FROM experiments ORDER BY experiment_id"
        )
        return [
            Experiment(str(i), str(name), str(stage or "active"), created, updated, tags[str(i)], location)
            for i, name, stage, created, updated, location in rows
        ]

    def _run_rows(self, experiment_ids: Sequence[str]) -> list[tuple[Any, ...]]:
        wanted = set(experiment_ids)
        # the run name column is MLflow 1.x's tag-only name when absent (a fixed choice, no input)
        name = "name" if self._has("runs", "name") else "NULL"
        rows = self._rows(
            f"SELECT run_uuid, experiment_id, {name}, status, start_time, end_time, lifecycle_stage,"  # noqa: S608
            " user_id, artifact_uri FROM runs ORDER BY start_time, run_uuid"
        )
        return [row for row in rows if str(row[1]) in wanted]

    def count_runs(self, experiment_ids: Sequence[str]) -> int:
        return len(self._run_rows(experiment_ids))

    def runs(self, experiment_ids: Sequence[str]) -> Iterator[Run]:
        rows = self._run_rows(experiment_ids)
        params = self._by_run("SELECT run_uuid, key, value FROM params")
        tags = self._by_run("SELECT run_uuid, key, value FROM tags")
        datasets = self._datasets()
        for run_id, experiment_id, run_name, status, start, end, stage, user, artifact_uri in rows:
            yield Run(
                run_id=run_id,
                experiment_id=str(experiment_id),
                name=run_name or None,
                status=str(status or "RUNNING"),
                start_time=start,
                end_time=end,
                lifecycle_stage=str(stage or "active"),
                user=user,
                artifact_uri=artifact_uri,
                params=params.get(run_id, {}),
                tags=tags.get(run_id, {}),
                datasets=datasets.get(run_id, []),
                load_metrics=functools.partial(self._histories, run_id),
            )

    def _by_run(self, sql: str) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = defaultdict(dict)
        for run_id, key, value in self.con.execute(sql):
            found[run_id][key] = "" if value is None else str(value)
        return found

    def _histories(self, run_id: str) -> Histories:
        # NaN is stored as value 0 with is_nan = 1: read back as NULL, then as NaN
        value = "iif(is_nan, NULL, value)" if self._has("metrics", "is_nan") else "value"
        rows = self.con.execute(
            f"SELECT key, step, timestamp, {value} FROM metrics WHERE run_uuid = ?"  # noqa: S608
            " ORDER BY key, timestamp, step, value",
            (run_id,),
        ).fetchall()
        found: Histories = {}
        for key, group in itertools.groupby(rows, key=operator.itemgetter(0)):
            points = [row[1:] for row in group]
            if any(p[2] is None or type(p[2]) is not float for p in points):  # NaN, or an int in the column
                points = [(int(s), int(t), math.nan if v is None else float(v)) for s, t, v in points]
            found[key] = points
        return found

    def _datasets(self) -> dict[str, list[Dataset]]:
        found: dict[str, list[Dataset]] = defaultdict(list)
        if not (self._has("inputs") and self._has("datasets")):
            return found
        input_tags: dict[str, dict[str, str]] = defaultdict(dict)
        if self._has("input_tags"):
            for input_id, key, value in self._rows("SELECT input_uuid, name, value FROM input_tags"):
                input_tags[input_id][key] = str(value)
        rows = self._rows(
            "SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.dataset_source_type,"
            " d.dataset_source, d.dataset_schema, d.dataset_profile"
            " FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id"
            " WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN'"
            " ORDER BY i.destination_id, i.input_uuid"
        )
        for run_id, input_id, name, digest, source_type, source, schema, profile in rows:
            dataset = Dataset(name, digest, source_type, source, schema, profile, input_tags[input_id])
            found[run_id].append(dataset)
        return found

    # -- models --------------------------------------------------------------------------

    def logged_models(self) -> list[LoggedModel]:
        if not self._has("logged_models"):
            return []
        rows = self._rows(
            "SELECT model_id, name, experiment_id, source_run_id, artifact_location,"
            " creation_timestamp_ms, status FROM logged_models ORDER BY creation_timestamp_ms, model_id"
        )
        return [
            LoggedModel(
                i, name, str(exp), run, location, created or 0, _MODEL_STATUSES.get(status, str(status))
            )
            for i, name, exp, run, location, created, status in rows
        ]

    def registered_models(self) -> list[RegisteredModel]:
        if not self._has("registered_models"):
            return []
        model_tags: dict[str, dict[str, str]] = defaultdict(dict)
        if self._has("registered_model_tags"):
            for key, value, name in self._rows("SELECT key, value, name FROM registered_model_tags"):
                model_tags[name][key] = "" if value is None else str(value)
        aliases: dict[str, dict[str, int]] = defaultdict(dict)
        if self._has("registered_model_aliases"):
            for alias, version, name in self._rows(
                "SELECT alias, version, name FROM registered_model_aliases"
            ):
                aliases[name][alias] = int(version)
        version_tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        if self._has("model_version_tags"):
            for key, value, name, version in self._rows(
                "SELECT key, value, name, version FROM model_version_tags"
            ):
                version_tags[(name, int(version))][key] = "" if value is None else str(value)
        versions: dict[str, list[ModelVersion]] = defaultdict(list)
        for row in self._rows(
            "SELECT name, version, creation_time, last_updated_time, description, user_id,"
            " current_stage, source, run_id, status FROM model_versions ORDER BY name, version"
        ):
            name, number, created, updated, description, user, stage, source, run_id, status = row
            versions[name].append(
                ModelVersion(
                    int(number),
                    source or "",
                    run_id or None,
                    stage or "None",
                    description,
                    user,
                    created or 0,
                    updated or 0,
                    version_tags[(name, int(number))],
                    status or "READY",
                )
            )
        rows = self._rows(
            "SELECT name, description, creation_time, last_updated_time FROM registered_models ORDER BY name"
        )
        return [
            RegisteredModel(
                name,
                description,
                created or 0,
                updated or 0,
                model_tags[name],
                aliases[name],
                tuple(versions[name]),
            )
            for name, description, created, updated in rows
        ]

    def run_artifacts(self, run: Run) -> Located:
        return self.locator.locate(run.artifact_uri, keep=2)

    def model_artifacts(self, model: LoggedModel) -> Located:
        return self.locator.locate(model.artifact_location, keep=3)

    def close(self) -> None:
        self.con.close()
        if self.fetch is not None:
            self.fetch.close()

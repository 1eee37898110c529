"""Which reader a SOURCE needs: an ``mlruns`` folder, an ``mlflow.db``, or MLflow's client.

- a folder: MLflow's file store (the ``mlruns`` folder, or a folder holding one);
- ``file:///path/mlruns``: the same;
- ``sqlite:///path/mlflow.db`` or a path to a ``.db`` file: the SQLite store, read with
  :mod:`sqlite3` (MLflow is not needed);
- anything else (``http://host:5000``, ``postgresql://...``, ``databricks``): read through
  MLflow's own client, which must be installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gittrack.interop.locate import local_path
from gittrack.interop.mlflow_client import Downloader, mlflow_installed
from gittrack.interop.mlflow_files import FileStore
from gittrack.interop.mlflow_sqlite import SqliteStore
from gittrack.interop.source import Store


def open_store(source: str, *, artifact_roots: Sequence[Path] = ()) -> Store:
    fetch = _mlflow_fetch()
    if source.startswith("sqlite:"):
        return SqliteStore(source, artifact_roots=artifact_roots, fetch=fetch)
    path = Path(local_path(source) or "") if source.startswith("file:") or "://" not in source else None
    if path is not None and path.is_file() and path.suffix == ".db":
        return SqliteStore(f"sqlite:///{path.resolve()}", artifact_roots=artifact_roots, fetch=fetch)
    if path is not None and (path.is_dir() or "://" not in source):
        if path.name != "mlruns" and (path / "mlruns").is_dir():
            path = path / "mlruns"
        return FileStore(path, artifact_roots=artifact_roots, fetch=fetch)
    from gittrack.interop.mlflow_client import ClientStore

    return ClientStore(source, artifact_roots=artifact_roots)


def _mlflow_fetch() -> Downloader | None:
    """MLflow's artifact download, for locations on other machines (``s3://``...), when MLflow
    is installed; None otherwise (those runs get a warning)."""
    return Downloader() if mlflow_installed() else None

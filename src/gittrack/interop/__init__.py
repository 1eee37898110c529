"""Moving runs in and out of gittrack: the MLflow importer and the table exporter.

Owns reading MLflow's stores (:mod:`~gittrack.interop.mlflow_files` for an ``mlruns``
folder, :mod:`~gittrack.interop.mlflow_sqlite` for ``sqlite:///mlflow.db`` with the standard
library, :mod:`~gittrack.interop.mlflow_client` for any tracking URI when MLflow is
installed), the importer that writes what they read as gittrack's own files
(:mod:`~gittrack.interop.importer`: runs through :class:`gittrack.store.writer.RunWriter`,
artifacts through :mod:`gittrack.store.artifacts`, experiments, datasets and the registry
through their writers in :mod:`gittrack.store`), its report, and ``gittrack export``
(:mod:`~gittrack.interop.export`: the runs table and a long metrics table as Parquet or CSV).

May import :mod:`gittrack.models`, :mod:`gittrack.tracking`, :mod:`gittrack.query`,
:mod:`gittrack.store`, :mod:`gittrack.git` and :mod:`gittrack.errors`; nothing imports it
but the CLI.  MLflow itself is imported only by ``mlflow_client``, and only when asked for.
"""

"""gittrack as MLflow's tracking store, model-registry store and artifact repository.

With ``MLFLOW_TRACKING_URI=gittrack:.`` MLflow's own client (fluent API, autolog, every
flavor, ``mlflow ui``) writes gittrack's files through gittrack's store code: the run
directories, metric CSVs, experiment events and registry files of ``docs/format.md``.
MLflow finds these classes through the entry points in ``pyproject.toml``
(:mod:`~gittrack.integrations.mlflow_store.entry`); nothing else in gittrack imports this
package, and only this package imports ``mlflow``.

Modules: ``uris`` (``gittrack:`` store and artifact URIs), ``convert`` (gittrack's
entities as MLflow's), ``unsupported`` (MLflow methods gittrack cannot serve raise
MLflow's own exception naming them), ``tracking_store``, ``logged_models`` (MLflow 3's
logged models as files in their run), ``registry_store``, ``artifact_repo``, ``grammar``
(MLflow's search grammar, parsed by MLflow, answered by gittrack's engine), ``params``
and ``latest`` (a run's latest metrics as MLflow's file store picks them; these two
import nothing of MLflow).
"""

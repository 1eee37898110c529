"""Other engines that drive or host gittrack runs.

Owns the bridges to third-party engines, each an optional extra that imports its engine
lazily: ``optuna`` (a ``study.optimize`` callback: each trial a child run of a study run),
``ray`` (a Ray Tune logger callback recording every trial from the driver) and
``mlflow_store`` (gittrack as MLflow's tracking, model-registry and artifact store for the
``gittrack:`` URI scheme, so MLflow's own client writes gittrack's files).

May import ``models``, ``tracking`` and the layers below them; nothing in gittrack imports
this package except the CLI.
"""

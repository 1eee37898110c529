"""``mlflow.data`` for ``import gittrack as mlflow``: describe datasets for ``log_input``
(implemented in :mod:`gittrack.tracking.datasets`)."""

from gittrack.tracking.datasets import (
    Dataset,
    DatasetInput,
    InputTag,
    NumpyDataset,
    PandasDataset,
    from_numpy,
    from_pandas,
)

__all__ = [
    "Dataset",
    "DatasetInput",
    "InputTag",
    "NumpyDataset",
    "PandasDataset",
    "from_numpy",
    "from_pandas",
]

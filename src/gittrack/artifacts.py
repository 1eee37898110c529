"""``mlflow.artifacts`` for ``import gittrack as mlflow``: ``download_artifacts``,
``load_text``, ``load_dict``, ``list_artifacts`` (``runs:/`` and ``models:/`` URIs work)."""

from gittrack.tracking.fluent_extras import download_artifacts, list_artifacts, load_dict, load_text

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_text"]

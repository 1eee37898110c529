"""``gittrack:`` URIs mean the same store to ``import gittrack`` as to MLflow with the plugin,
so code that sets ``gittrack:.`` works after either import (no MLflow needed here)."""

from __future__ import annotations

from pathlib import Path

import pytest

import gittrack
from gittrack.errors import InvalidValueError
from gittrack.tracking.uri import store_of_uri


def test_gittrack_uris_name_the_work_trees_store(repo: Path) -> None:
    (repo / "src").mkdir()
    store = (repo / ".runs").resolve()
    assert store_of_uri("gittrack:.") == store
    assert store_of_uri("gittrack:src") == store
    assert store_of_uri(f"gittrack://{repo}/src") == store
    assert store_of_uri(f"gittrack:{repo}/.runs") == store
    with pytest.raises(InvalidValueError, match="local directory"):
        store_of_uri("gittrack://host/path")


def test_set_tracking_uri_takes_a_gittrack_uri(in_repo: Path) -> None:
    gittrack.set_tracking_uri("gittrack:.")
    with gittrack.start_run() as run:
        gittrack.log_param("p", 1)
    assert (in_repo / ".runs" / run.info.run_id / "params.yaml").is_file()
    assert not any(p.name.startswith("gittrack:") for p in in_repo.iterdir())

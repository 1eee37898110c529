"""Parents and children: `gittrack show PARENT` lists its child runs with their status and
the primary metric, `gittrack ls --parent RUN` lists a sweep's trials."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from helpers import git, invoke

import gittrack
from gittrack.review.ls import ls, short_ids


@pytest.fixture
def family(in_repo: Path) -> dict[str, str]:
    """A parent with three children (val_loss 0.5, 0.3, 0.3: a tie) and an unrelated run."""
    ids = {}
    gittrack.set_experiment("search")
    with gittrack.start_run(run_name="parent") as parent:
        for name, loss in (("t0", 0.5), ("t1", 0.3), ("t2", 0.3)):
            with gittrack.start_run(run_name=name, nested=True) as child:
                gittrack.log_metrics({"val_loss": loss, "train_acc": 1 - loss})
            ids[name] = child.info.run_id
    ids["parent"] = parent.info.run_id
    with gittrack.start_run(run_name="loner"):
        gittrack.log_metric("val_loss", 0.1)
    return ids


def test_show_lists_the_children_with_status_and_primary_metric(family: dict[str, str]) -> None:
    result = invoke("show", "parent")
    assert result.exit_code == 0, result.stderr
    tail = result.stdout.splitlines()[-5:]
    names = ("t0", "t1", "t2")
    short = dict(zip(names, short_ids([family[n] for n in names]), strict=True))
    assert tail == [
        "",
        "children (3; val_loss ↓, * the best)",
        f"  {short['t0']}  t0  FINISHED  0.5",
        f"  {short['t1']}  t1  FINISHED  0.3 *",  # a tie is shown as a tie
        f"  {short['t2']}  t2  FINISHED  0.3 *",
    ]
    data = json.loads(invoke("show", "parent", "--format", "json").stdout)
    assert data["children"]["metric"] == "val_loss"
    assert [(c["name"], c["value"], c["best"]) for c in data["children"]["runs"]] == [
        ("t0", 0.5, False),
        ("t1", 0.3, True),
        ("t2", 0.3, True),
    ]
    assert "children" not in json.loads(invoke("show", "loner", "--format", "json").stdout)


def test_ls_parent_lists_exactly_the_children(family: dict[str, str], in_repo: Path) -> None:
    result = invoke("ls", "--parent", "parent", "--columns", "parent,metrics.val_loss", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["name"], r["parent"], r["metrics.val_loss"]) for r in rows] == [
        ("t2", family["parent"], "0.3"),
        ("t1", family["parent"], "0.3"),
        ("t0", family["parent"], "0.5"),
    ]
    # -n counts children, not runs; by id prefix, with a filter, and at a revision
    # a prefix with 8 of the id's 12 random hex digits: unique among runs of one second
    assert list(ls(in_repo / ".runs", parent=family["parent"][:24], limit=1, exact=True)["name"]) == ["t2"]
    filtered = ls(in_repo / ".runs", parent="parent", filter_string="metrics.val_loss > 0.4", exact=True)
    assert list(filtered["name"]) == ["t0"]
    git(in_repo, "add", "-A")
    git(in_repo, "commit", "-q", "-m", "runs")
    at_head = invoke("ls", "--rev", "HEAD", "--parent", "parent", "--format", "csv")
    assert len(at_head.stdout.splitlines()) == 4


def test_ls_parent_of_an_unknown_run(family: dict[str, str], in_repo: Path) -> None:
    result = invoke("ls", "--parent", "nobody")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: no run matches 'nobody' in {in_repo / '.runs'}\n"
    childless = invoke("ls", "--parent", "loner")
    assert (childless.exit_code, childless.stdout, childless.stderr) == (0, "", "no runs\n")

"""``gittrack commit``'s batch path: the meta.yaml fast read agrees with the YAML parser, and
committing many runs gives the commit the straightforward path gives."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from helpers import git, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

import gittrack
from gittrack import git as gitmod
from gittrack.maintenance.commit_summary import from_record, read_summary
from gittrack.store import layout, yamlio
from gittrack.store.layout import Meta, MetricSummary
from gittrack.store.reader import parse_record

_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
_numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6).map(float)
_summaries = st.builds(
    MetricSummary,
    last=_numbers,
    min=_numbers,
    max=_numbers,
    count=st.integers(0, 10**6),
    step=st.integers(-5, 10**6),
)


@settings(max_examples=300, deadline=None)
@given(
    name=_texts | st.sampled_from(["yes", "null", "1.5", "0123", "r1", "a b", "it's", "~"]),
    experiment=_texts | st.sampled_from(["Default", "linear-fit", "on"]),
    status=st.sampled_from(["FINISHED", "FAILED", "KILLED", "RUNNING"]),
    metrics=st.dictionaries(
        _texts | st.sampled_from(["rmse", "sub/acc", "val.loss", "1"]), _summaries, max_size=4
    ),
    start=st.integers(0, 4 * 10**12),
)
def test_the_fast_read_agrees_with_the_yaml_parser(
    name: str, experiment: str, status: str, metrics: dict[str, MetricSummary], start: int
) -> None:
    meta = Meta(
        run_id="20260101-000000-0123456789ab",
        name=name,
        experiment=experiment,
        status=status,
        start_time=start,
        end_time=start + 5,
        source={"argv": ["-c", name]},
        git={"untracked": [], "commit": None},
        metrics=metrics,
    )
    text = yamlio.dump(meta.to_dict()).encode()
    fast = read_summary(text)
    full = from_record(parse_record("here", text, b"", b"", dict))
    if fast is None:
        return  # the caller parses the file whole
    assert status != "RUNNING"
    assert (fast.run_id, fast.name, fast.experiment, fast.status, fast.start_time) == (
        full.run_id,
        full.name,
        full.experiment,
        full.status,
        full.start_time,
    )
    assert fast.last.keys() == full.last.keys()
    for key, value in fast.last.items():
        assert value == full.last[key] or (math.isnan(value) and math.isnan(full.last[key]))


def test_gittrack_writes_what_the_fast_read_takes(repo: Path) -> None:
    gittrack.set_experiment("linear-fit")
    with gittrack.start_run(run_name="lr0.1") as run:
        gittrack.log_metrics({"rmse": 0.5, "sub/acc": 0.25})
    text = (repo / ".runs" / run.info.run_id / layout.META).read_bytes()
    summary = read_summary(text)
    assert summary is not None and summary.last == {"rmse": 0.5, "sub/acc": 0.25}
    for odd in (b"name: yes\n", b"name: 'x\n  y'\n", b"metrics:\n- 1\n", b"# comment\n"):
        assert read_summary(text + odd) is None


def test_committing_many_runs_matches_the_straightforward_commit(repo: Path, tmp_path: Path) -> None:
    """The same runs committed by gittrack (batch staging) and by `git add` of exactly the
    run files give the same tree; a user's own staged file stays staged and out."""
    gittrack.set_experiment("sweep")
    for i in range(30):
        gitmod.clear_capture_cache()
        with gittrack.start_run(run_name=f"r{i}"):
            gittrack.log_param("i", i)
            gittrack.log_metric("rmse", 1 / (i + 1))
    twin = tmp_path / "twin"
    shutil.copytree(repo, twin)
    git(twin, "add", "--", ".runs")
    git(twin, "commit", "-q", "-m", "plain")
    (repo / "notes.txt").write_text("mine\n")
    git(repo, "add", "notes.txt")
    result = invoke("commit", "--all-finished")
    assert result.exit_code == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD:.runs") == git(twin, "rev-parse", "HEAD:.runs")
    assert git(repo, "diff", "--cached", "--name-only") == "notes.txt"
    assert git(repo, "status", "--porcelain", "--untracked-files=all", "--", ".runs") == ""

"""The UI's models pages and the run page's lineage, through real HTTP on 127.0.0.1.

The registry pages (``/models``, ``/models/<name>``) at the work tree and at a revision,
with the problems ``gittrack check`` reports; the run page's logged models, datasets,
figures, tables, error and child runs; compare's datasets row; the history page's default
metric.  Names, tag values and error messages carry HTML, which must come out as text.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from helpers import git, invoke
from markupsafe import escape
from test_ui_server import PAYLOADS, get, post, request, run_path, serving, token_of

import gittrack
from gittrack.store import context

EVIL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="alert(1)">'
    '<script>alert(2)</script><rect width="40" height="40" fill="teal"/></svg>'
)
TAGGED = PAYLOADS[2]  # a version's tag value and description
EVIL_MODEL = PAYLOADS[1]  # a registered model's name


def _fit(offset: float) -> object:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"x": np.arange(8.0), PAYLOADS[0]: np.arange(8.0) ** 2})
    return LinearRegression().fit(frame, 2 * frame["x"] + offset), frame


def make_model_runs(repo: Path) -> dict[str, str]:
    """Two runs with a model each (registered), datasets, figures and a table; a failed run;
    a parent with three children."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    gittrack.set_experiment("models")
    ids: dict[str, str] = {}
    for name, rmse, rows in (("ridge-a", 0.3, 8), ("ridge-b", 0.2, 6)):
        with gittrack.start_run(run_name=name) as run:
            model, frame = _fit(rmse)
            gittrack.log_metric("val_rmse", rmse)
            gittrack.log_metric("train_acc", 1 - rmse)
            data = gittrack.data.from_pandas(frame.head(rows), source="data/train.csv", name=f"train-{rows}")
            gittrack.log_input(data, context="training")
            gittrack.sklearn.log_model(model, artifact_path="model", input_example=frame.head(2))
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot([3, 1, 2])
            gittrack.log_figure(fig, "plots/curve.png")
            gittrack.log_figure(fig, "plots/curve.svg")
            plt.close(fig)
            gittrack.log_figure(go.Figure(go.Scatter(y=[1, 3, 2])), "plots/interactive.html")
            gittrack.log_text(EVIL_SVG, "plots/evil.svg")
            gittrack.log_table({"class": ["a", PAYLOADS[0]], "score": [0.5, 0.25]}, "eval/scores.json")
            ids[name] = run.info.run_id
    client = gittrack.MlflowClient()
    for run_id in (ids["ridge-a"], ids["ridge-b"]):
        gittrack.register_model(f"runs:/{run_id}/model", "course-model")
    client.update_model_version("course-model", 2, description=TAGGED)
    client.set_model_version_tag("course-model", 2, "reviewer", TAGGED)
    client.transition_model_version_stage("course-model", 1, "Staging")
    client.set_registered_model_alias("course-model", "champion", 2)
    gittrack.register_model(f"runs:/{ids['ridge-a']}/model", EVIL_MODEL)
    with pytest.raises(ValueError), gittrack.start_run(run_name="broken") as run:
        ids["broken"] = run.info.run_id
        raise ValueError(f"bad input {PAYLOADS[0]}")
    with gittrack.start_run(run_name="sweep") as parent:
        for i, value in enumerate((0.5, 0.25, 0.75)):
            with gittrack.start_run(run_name=f"trial-{i}", nested=True) as child:
                gittrack.log_metric("val_rmse", value)
                ids[f"trial-{i}"] = child.info.run_id
        ids["sweep"] = parent.info.run_id
    return ids


@pytest.fixture
def runs(repo: Path) -> dict[str, str]:
    return make_model_runs(repo)


@pytest.fixture
def base(repo: Path, runs: dict[str, str]) -> Iterator[str]:
    with serving(repo / ".runs") as url:
        yield url


def model_path(name: str) -> str:
    return "/models/" + quote(name, safe="")


def body_of(base: str, path: str) -> str:
    status, body = get(base, path)
    assert status == 200, (path, body[:500])
    return body


def main_of(page: str) -> str:
    return page[page.index("<main>") :]


def test_models_page_lists_models_with_latest_versions_aliases_and_stages(base: str) -> None:
    page = body_of(base, "/models")
    assert '<a href="/models">Models</a>' in page  # in the layout's navigation
    rows = re.findall(r"<tr><td><a href=\"(/models/[^\"]+)\"[^>]*>(.*?)</a></td><td>(\d+)</td>", page)
    assert rows == [  # by name, as models ls
        (model_path(EVIL_MODEL), "&lt;img src=x onerror=alert(1)&gt;", "1"),
        ("/models/course-model", "course-model", "2"),
    ]
    assert '<a href="/models/course-model#v2">@champion → v2</a>' in page
    assert "Staging: 1" in page and '<a href="/models/course-model#v2">v2</a>' in page


def test_a_model_page_lists_every_version_with_its_run(base: str, runs: dict[str, str]) -> None:
    page = body_of(base, "/models/course-model")
    assert '<h1 id="model-name">course-model</h1>' in page
    versions = re.findall(r'<tr id="v(\d+)"[^>]*>(.*?)</tr>', page, re.S)
    assert [n for n, _ in versions] == ["1", "2"]
    v1, v2 = (cells for _, cells in versions)
    assert '<span class="stage">Staging</span>' in v1 and "@champion" in v2
    assert f'href="{run_path(runs["ridge-a"])}"' in v1 and ">ridge-a<" in v1 and "FINISHED" in v1
    assert f"runs:/{runs['ridge-b']}/model" in v2 and f'{run_path(runs["ridge-b"])}#model-model"' in v2
    commit = git(Path.cwd(), "rev-parse", "HEAD").strip()
    assert f'title="{commit}">{commit[:8]}<' in v1
    assert f'<td>{context.user()} <span class="muted">20' in v1  # who registered it, and when
    assert '<span class="tag">reviewer: &#34;&#39;&gt;&lt;svg onload=alert(1)&gt;</span>' in v2
    assert "val_rmse ↓" in page  # the primary metric of the versions' runs
    assert re.search(r'<td class="best"><span>0.2</span> ★</td>', v2) and "★" not in v1
    status, body = get(base, "/models/no-such-model")
    assert status == 404 and "no registered model" in body


def test_registry_text_is_escaped(base: str, runs: dict[str, str]) -> None:
    pages = ["/models", "/models/course-model", model_path(EVIL_MODEL), run_path(runs["ridge-a"])]
    for path in pages:
        body = body_of(base, path)
        for payload in PAYLOADS:
            assert payload not in body, (path, payload)
        assert "<svg onload" not in body and "<img src=x" not in body, path
    assert '<h1 id="model-name">&lt;img src=x onerror=alert(1)&gt;</h1>' in body_of(
        base, model_path(EVIL_MODEL)
    )


def test_registry_problems_are_shown_as_check_reports_them(
    repo: Path, base: str, runs: dict[str, str]
) -> None:
    versions = repo / ".runs" / "models" / "course-model" / "versions"
    first = sorted(versions.iterdir())[0]
    shutil.copy(first, versions / "2-abcdef.yaml")  # a merge gave two registrations number 2
    (repo / ".runs" / "models" / "course-model" / "aliases" / "gone.yaml").write_text("version: 9\n")
    text = first.read_text().replace(runs["ridge-a"], "20200101-000000-000000000000")
    (versions / "7-fedcba.yaml").write_text(text)  # its run is missing
    report = invoke("check")
    said = [line for line in report.stdout.splitlines() if "/models/" in line]
    kinds = {"exists 2 times after a merge", "alias 'gone'", "which is not in this store", "not committed"}
    assert all(any(k in line for line in said) for k in kinds), report.stdout
    for path in ("/models", "/models/course-model"):
        page = body_of(base, path)
        assert 'id="registry-problems"' in page and "gittrack check --fix" in page
        for line in said:
            where, message = line.split(": ", 1)
            if path == "/models" or "/course-model/" in where:
                shown = f'<span class="mono where">{escape(where)}</span> {escape(message)}'
                assert shown in page, (path, line)
    page = body_of(base, "/models/course-model")
    assert page.count('class="duplicate"') == 2 and "taken twice" in page
    assert '20200101-000000-000000000000</span> <span class="bad">not in this store</span>' in page


def test_models_at_a_revision(repo: Path, runs: dict[str, str]) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "runs and models")
    gittrack.register_model(f"runs:/{runs['ridge-b']}/model", "later-model")
    gittrack.MlflowClient().set_registered_model_alias("course-model", "champion", 1)
    with serving(repo / ".runs", rev="HEAD") as url:
        page = body_of(url, "/models")
        assert "course-model" in page and "later-model" not in page
        page = body_of(url, "/models/course-model")
        assert re.search(r'<tr id="v2"[^>]*>.*?@champion', page, re.S)  # as committed
        assert f'href="{run_path(runs["ridge-a"])}"' in page
        assert 'id="registry-problems"' not in page
        assert get(url, "/models/later-model")[0] == 404
        run_page = body_of(url, run_path(runs["ridge-b"]))
        assert '<a href="/models/course-model#v2" class="registered-link">course-model v2</a>' in run_page
        assert "Register" not in run_page  # read-only at a revision
        assert "train-6@" not in run_page and "<td>train-6</td>" in run_page  # its datasets
        assert run_page.count("?inline=1") == 3 and "<th>class</th><th>score</th>" in run_page
        status, headers, _ = request(
            url, run_path(runs["ridge-b"], "artifacts", "plots/curve.png") + "?inline=1"
        )
        assert status == 200 and headers["content-type"] == "image/png"
    with serving(repo / ".runs") as url:
        assert "later-model" in body_of(url, "/models")


def test_models_at_a_revision_whose_run_is_not_committed(repo: Path, runs: dict[str, str]) -> None:
    git(repo, "add", ".runs/models")
    git(repo, "commit", "-q", "-m", "the registry without its runs")
    with serving(repo / ".runs", rev="HEAD") as url:
        page = body_of(url, "/models/course-model").replace("&#39;", "'")
        assert (
            f"version 1 of 'course-model' points at run {runs['ridge-a']}, which is not in the store at HEAD"
            in page
        )
        assert page.count("not in this store") == 2


def test_run_page_shows_its_models_and_datasets(base: str, runs: dict[str, str]) -> None:
    page = main_of(body_of(base, run_path(runs["ridge-a"])))
    section = re.search(r'<section id="models">(.*?)</section>', page, re.S).group(1)  # type: ignore[union-attr]
    assert '<div class="model-card" id="model-model">' in section
    assert '<span class="flavor">python_function</span> <span class="flavor">sklearn</span>' in section
    assert "<dt>Serialization</dt><dd>cloudpickle</dd>" in section
    assert '<tr><td>x</td><td class="mono">double</td><td>true</td></tr>' in section
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in section  # a column name, as text
    assert "tensor float64 (-1,)" in section  # the output spec
    assert '<pre class="example">{&#34;columns&#34;' in section  # the input example
    assert '<a href="/models/course-model#v1" class="registered-link">course-model v1</a>' in section
    assert '<span class="stage">Staging</span>' in section
    assert f'href="{model_path(EVIL_MODEL)}#v1"' in section
    assert f'href="{run_path(runs["ridge-a"], "preview", "model/MLmodel")}"' in section
    datasets = re.search(r'<table class="grid" id="datasets-table">(.*?)</table>', page, re.S).group(1)  # type: ignore[union-attr]
    assert re.search(r"<td>train-8</td><td>training</td><td class=\"mono\">[0-9a-f]{8}</td>", datasets)
    assert "data/train.csv" in datasets and "<td>8</td>" in datasets
    assert "x double, &lt;script&gt;alert(1)&lt;/script&gt; double" in datasets


def test_run_page_shows_figures_inline_and_tables_escaped(base: str, runs: dict[str, str]) -> None:
    run_id = runs["ridge-a"]
    page = main_of(body_of(base, run_path(run_id)))
    figures = re.search(r'<section id="figures">(.*?)</section>', page, re.S).group(1)  # type: ignore[union-attr]
    shown = re.findall(r'<img src="([^"]+)"', figures)
    assert shown == [
        run_path(run_id, "artifacts", f"plots/{n}") + "?inline=1"
        for n in ("curve.png", "curve.svg", "evil.svg")
    ]
    assert "<iframe" not in page and "<object" not in page and "<embed" not in page
    assert "cdn.plot.ly" not in page  # the plotly figure is offered, never inlined
    assert f'<a href="{run_path(run_id, "artifacts", "plots/interactive.html")}" download' in figures
    table = re.search(r'<section id="tables">(.*?)</section>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "<th>class</th><th>score</th>" in table
    assert "<td><span>&lt;script&gt;alert(1)&lt;/script&gt;</span></td><td><span>0.25</span></td>" in table
    assert "input_example" not in table  # a model's example is no logged table
    preview = body_of(base, run_path(run_id, "preview", "eval/scores.json"))
    assert "<th>class</th>" in preview and "&lt;script&gt;alert(1)" in preview and PAYLOADS[0] not in preview


def test_an_svg_is_served_so_that_it_cannot_run_script(base: str, runs: dict[str, str]) -> None:
    path = run_path(runs["ridge-a"], "artifacts", "plots/evil.svg")
    status, headers, body = request(base, path + "?inline=1")
    assert status == 200 and body.decode() == EVIL_SVG
    assert headers["content-type"] == "image/svg+xml" and headers["x-content-type-options"] == "nosniff"
    policy = [p.strip() for p in headers["content-security-policy"].split(";")]
    assert "sandbox" in policy and "default-src 'none'" in policy  # no allow-scripts, no script-src
    assert not any(p.startswith("script-src") for p in policy)
    status, headers, _ = request(base, path)  # a download: never rendered
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment;")
    status, headers, _ = request(
        base, run_path(runs["ridge-a"], "artifacts", "plots/interactive.html") + "?inline=1"
    )
    assert (
        headers["content-type"] == "application/octet-stream"
        and "sandbox" in headers["content-security-policy"]
    )
    preview = body_of(base, run_path(runs["ridge-a"], "preview", "plots/evil.svg"))
    assert f'<img class="artifact" src="{path}?inline=1"' in preview and "<svg" not in preview


def test_a_failed_run_shows_its_error_near_the_top(base: str, runs: dict[str, str]) -> None:
    page = main_of(body_of(base, run_path(runs["broken"])))
    error = re.search(r'<section class="failure" id="error" role="alert">(.*?)</section>', page, re.S)
    assert error and page.index('id="error"') < page.index('<dl class="facts">')
    assert '<strong class="mono" id="error-type">ValueError</strong>' in error.group(1)
    assert '<span id="error-message">bad input &lt;script&gt;alert(1)&lt;/script&gt;</span>' in error.group(1)
    traceback = re.search(r'<pre class="traceback" id="error-traceback">(.*?)</pre>', error.group(1), re.S)
    assert traceback and "raise ValueError" in traceback.group(1) and "<script>" not in traceback.group(1)
    assert 'id="error"' not in body_of(base, run_path(runs["ridge-a"]))


def test_a_parent_lists_its_children_and_a_child_links_its_parent(base: str, runs: dict[str, str]) -> None:
    page = body_of(base, run_path(runs["sweep"]))
    row = r"<tr( class=\"best-row\")?><td><a href=\"([^\"]+)\"[^>]*>([^<]+)</a></td>"
    rows = re.findall(row + r"<td>(.*?)</td><td[^>]*>(.*?)</td></tr>", page)
    assert [(r[2], bool(r[0])) for r in rows] == [("trial-0", False), ("trial-1", True), ("trial-2", False)]
    assert rows[1][1] == run_path(runs["trial-1"]) and "FINISHED" in rows[1][3] and "0.25" in rows[1][4]
    assert "val_rmse</strong> ↓" in page
    child = body_of(base, run_path(runs["trial-2"]))
    assert f'<dd id="parent-run"><a href="{run_path(runs["sweep"])}">sweep</a>' in child
    assert 'id="children"' not in child


def test_compare_has_a_datasets_row(base: str, runs: dict[str, str]) -> None:
    query = urlencode([("run", runs["ridge-a"]), ("run", runs["ridge-b"]), ("run", runs["broken"])])
    page = body_of(base, "/compare?" + query)
    row = re.search(r'<tr id="compare-datasets" class="differs"><th>datasets</th>(.*?)</tr>', page)
    assert row, page
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert re.fullmatch(r'<span class="mono">train-8@[0-9a-f]{8} \(training\)</span>', cells[0])
    assert "train-6@" in cells[1] and cells[2] == '<span class="muted">none</span>'
    query = urlencode([("run", runs["trial-0"]), ("run", runs["trial-1"])])
    assert 'id="compare-datasets"' not in body_of(base, "/compare?" + query)  # no run logged one


def test_history_defaults_to_the_primary_metric(repo: Path) -> None:
    gittrack.set_experiment("h")
    with gittrack.start_run():
        gittrack.log_metrics({"train_acc": 0.9, "val_loss": 0.4, "aaa": 1.0})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a run")
    with serving(repo / ".runs") as url:
        page = body_of(url, "/history")
        assert '<option value="val_loss" selected>' in page and "<strong>val_loss</strong> ↓" in page
    (repo / ".gittrack.yml").write_text("primary_metric: train_acc\n")
    with serving(repo / ".runs") as url:
        assert '<option value="train_acc" selected>' in body_of(url, "/history")


def test_register_a_logged_model_from_the_run_page(repo: Path, base: str, runs: dict[str, str]) -> None:
    run_id = runs["ridge-b"]
    token = token_of(base, run_id)
    status, headers, _ = post(
        base, run_path(run_id, "register"), {"csrf": token, "path": "model", "name": "new-model"}
    )
    assert status == 303 and headers["location"] == run_path(run_id)
    assert (repo / ".runs" / "models" / "new-model" / "model.yaml").is_file()
    assert '<a href="/models/new-model#v1" class="registered-link">new-model v1</a>' in body_of(
        base, run_path(run_id)
    )
    status, _, body = post(base, run_path(run_id, "register"), {"csrf": token, "path": "nope", "name": "x"})
    assert status == 400 and b"this run logged no model at &#39;nope&#39;" in body
    status, _, _ = post(base, run_path(run_id, "register"), {"path": "model", "name": "y"})  # no token
    assert status == 403 and not (repo / ".runs" / "models" / "y").exists()


def test_a_model_named_with_dots_or_url_characters_has_its_page(base: str, runs: dict[str, str]) -> None:
    from gittrack.ui.templating import model_url

    for name in ("..", "a model #1? 100%"):
        gittrack.register_model(f"runs:/{runs['ridge-a']}/model", name)
        assert model_url(name).count("/") == 2  # never read as a path by the browser
        page = body_of(base, model_url(name))
        assert f'<h1 id="model-name">{escape(name)}</h1>' in page
        assert f'href="{escape(model_url(name, 1))}"' in body_of(base, "/models")

"""The web UI end to end in headless Chromium, driven by Playwright.

Needs ``/usr/bin/chromium`` (Debian's package; scripts/test.sh installs it) and the
``playwright`` Python package (the dev extra).  Playwright's own browser download is
never used.  Screenshots of each page go to tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import git
from test_ui_models import make_model_runs
from test_ui_server import make_runs, run_path, serving

import gittrack

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install it with 'apt-get install chromium' (scripts/test.sh does)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(repo: Path) -> Iterator[tuple[str, dict[str, str]]]:
    runs = make_runs(repo)
    with serving(repo / ".runs") as url:
        yield url, runs


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    """One browser context for the module, so plotly.min.js is parsed from its cache."""
    shared = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    yield shared
    shared.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A fresh page; fails the test if any script dialog opens (an XSS would) or a script errors."""
    tab = context.new_page()
    problems: list[str] = []
    tab.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    tab.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    tab.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    yield tab
    tab.close()
    assert problems == []


def shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"))


def chart(tab: Any, metric: str) -> Any:
    return tab.locator(f'figure.chart-box:has(figcaption:text-is("{metric}")) .chart')


def test_experiments_then_filter_the_runs(page: Any, site: tuple[str, dict[str, str]]) -> None:
    url, _runs = site
    page.goto(url + "/")
    assert page.locator("#experiments-table tbody tr").count() == 2
    shot(page, "experiments")
    page.click("text=vision")
    page.wait_for_selector("#runs-table")
    assert page.locator("#runs-table tbody tr").count() == 3
    page.fill("#filter", "params.depth >= 1")
    page.wait_for_selector('#run-count[data-count="2"]')
    assert page.locator("#runs-table tbody tr").count() == 2
    assert "filter=params.depth" in page.url
    shot(page, "runs")
    page.fill("#filter", "params.depth >=")
    error = page.wait_for_selector("#filter-error")
    assert error.inner_text().startswith("filter error at column")


def test_run_page_draws_one_chart_per_metric(page: Any, site: tuple[str, dict[str, str]]) -> None:
    url, runs = site
    page.goto(url + run_path(runs["gamma"]))
    loss = chart(page, "val_loss")
    loss.locator(".main-svg").first.wait_for()
    assert loss.evaluate("div => div.data[0].y.length") == 12
    assert loss.locator(".scatterlayer path.point").count() == 12
    page.check("#log-y")
    assert loss.evaluate("div => div.layout.yaxis.type") == "log"
    page.select_option("#x-axis", "time")
    assert loss.evaluate("div => div.layout.xaxis.type") == "date"
    page.uncheck("#log-y")
    page.select_option("#x-axis", "step")
    shot(page, "run")
    page.goto(url + run_path(runs["gamma"], "preview", "table.csv"))
    assert page.locator("table.csv tbody tr").count() == 100
    shot(page, "artifact")


def test_select_three_runs_and_compare(page: Any, site: tuple[str, dict[str, str]]) -> None:
    url, _runs = site
    page.goto(url + "/runs?exp=vision")
    for box in page.locator("input.pick").all():
        box.check()
    page.click("#compare-button")
    page.wait_for_url("**/compare?**")
    assert page.locator("#compare-params tr.differs").count() == 4  # depth, lr, model, a key only alpha has
    loss = chart(page, "val_loss")
    loss.locator(".main-svg").first.wait_for()
    assert loss.evaluate("div => div.data.length") == 3
    page.locator("#parcoords .main-svg").first.wait_for()
    shot(page, "compare")


def test_download_an_artifact(page: Any, site: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, runs = site
    page.goto(url + run_path(runs["alpha"]))
    with page.expect_download() as info:
        page.locator("#artifacts-table tr", has_text="notes/readme.txt").locator("a.download").click()
    target = tmp_path / "readme.txt"
    info.value.save_as(str(target))
    assert target.read_bytes() == b"hello\n"
    assert info.value.suggested_filename == "readme.txt"


def test_history_page(page: Any, site: tuple[str, dict[str, str]], repo: Path) -> None:
    url, _runs = site
    for n, loss in enumerate([0.05, 0.06, 0.03]):  # three more commits, one run on each
        (repo / "train.py").write_text(f"print({n})\n")
        git(repo, "commit", "-q", "-am", f"try {n}")
        with gittrack.start_run(experiment_id="vision", run_name=f"try-{n}"):
            gittrack.log_metric("val_loss", loss)
    page.goto(url + "/history?exp=vision&metric=val_loss")
    page.locator("#history-chart .main-svg").first.wait_for()
    assert page.locator("#history-table tbody tr").count() == 4
    assert page.locator("#history-chart").evaluate("div => div.data[0].y.length") == 4
    shot(page, "history")


def test_a_running_run_updates_its_chart(page: Any, repo: Path, browser: Any) -> None:
    gittrack.set_experiment("live")
    run = gittrack.start_run(run_name="live")
    try:
        gittrack.log_metric("loss", 1.0, step=0)
        with serving(repo / ".runs") as url:
            page.goto(url + run_path(run.info.run_id))
            loss = chart(page, "loss")
            loss.locator(".main-svg").first.wait_for()
            assert loss.evaluate("div => div.data[0].y.length") == 1
            gittrack.log_metric("loss", 0.5, step=1)
            page.wait_for_function(
                "() => document.querySelector('.chart').data[0].y.length === 2", timeout=10_000
            )
            count = page.locator("#metrics-summary table.metrics tbody tr td").nth(4)
            page.wait_for_function(  # the metrics table is refreshed with the charts
                "() => document.querySelectorAll('#metrics-summary td')[4].textContent === '2'",
                timeout=10_000,
            )
            assert count.inner_text() == "2"
    finally:
        gittrack.end_run()


def test_a_long_run_name_is_cut_with_a_tooltip(page: Any, repo: Path) -> None:
    name = ("a_very_long_run_name_without_breaks_" * 6)[:200]  # nowhere to wrap
    gittrack.set_experiment("long")
    with gittrack.start_run(run_name=name):
        gittrack.log_params({"lr": 0.1, "model": "xgb"})
        gittrack.log_metric("loss", 0.5)
    with gittrack.start_run(run_name="short"):
        gittrack.log_metric("loss", 0.4)
    page.set_viewport_size({"width": 1400, "height": 800})
    with serving(repo / ".runs") as url:
        page.goto(url + "/runs")
        table = page.locator("#runs-table").bounding_box()
        assert table["x"] + table["width"] <= 1400
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        link = page.locator("#runs-table a.name", has_text="a_very_long").first
        assert link.get_attribute("title") == name
        assert link.evaluate("a => a.scrollWidth > a.clientWidth")  # cut by CSS, whole in the tooltip
        assert link.bounding_box()["width"] < 400


def test_a_tag_added_through_the_form(page: Any, site: tuple[str, dict[str, str]]) -> None:
    """The browser's own POST passes the origin and token checks (no rename needed)."""
    url, runs = site
    page.goto(url + run_path(runs["gamma"]))
    page.fill("#add-tag input[name=key]", "stage")
    page.fill("#add-tag input[name=value]", "<b>prod</b>")
    with page.expect_navigation():
        page.click("#add-tag button")
    assert page.url == url + run_path(runs["gamma"])  # 303 back to the run page
    assert page.input_value("#tags-table input[aria-label='value of tag stage']") == "<b>prod</b>"
    assert gittrack.get_run(runs["gamma"]).data.tags["stage"] == "<b>prod</b>"


def test_rename_a_run_and_edit_its_note_through_the_forms(
    page: Any, site: tuple[str, dict[str, str]]
) -> None:
    url, runs = site
    page.goto(url + run_path(runs["gamma"]))
    page.click("#rename summary")
    page.fill("#rename-form input[name=name]", "gamma <renamed>")
    with page.expect_navigation():
        page.click("#rename-form button")
    assert page.url == url + run_path(runs["gamma"])  # 303 back to the run page
    assert page.inner_text("#run-name").startswith("gamma <renamed>")
    page.click("#note summary")
    page.fill("#note-form textarea", "first line\n<b>second</b> line")
    with page.expect_navigation():
        page.click("#note-form button")
    assert page.inner_text("#note-text") == "first line\n<b>second</b> line"
    assert gittrack.get_run(runs["gamma"]).info.run_name == "gamma <renamed>"
    page.click("text=Runs")
    page.wait_for_selector("#runs-table")
    assert page.locator("#runs-table a.name", has_text="gamma <renamed>").count() == 1


def test_the_models_page_then_a_run_with_a_model_and_figures(page: Any, repo: Path) -> None:
    """From the navigation to a model's versions to the run that logged it: its model card,
    its figures drawn (the SVG too, whose scripts must not run: the page fixture fails on a
    dialog), its table."""
    runs = make_model_runs(repo)
    with serving(repo / ".runs") as url:
        page.goto(url + "/")
        page.click("header nav >> text=Models")
        page.wait_for_selector("#models-table")
        assert page.locator("#models-table tbody tr").count() == 2
        shot(page, "models")
        page.click("#models-table >> text=course-model")
        page.wait_for_selector("#versions-table")
        assert page.locator("#versions-table tbody tr").count() == 2
        assert "★" in page.inner_text("#v2")
        page.locator("#v1").get_by_role("link", name="ridge-a").click()
        page.wait_for_selector("#models .model-card")
        assert page.url == url + run_path(runs["ridge-a"])
        card = page.locator("#model-model")
        assert "sklearn" in card.inner_text() and "cloudpickle" in card.inner_text()
        assert card.locator("table.spec").first.locator("tbody tr").count() == 2
        images = page.locator("#figures img")
        assert images.count() == 3
        for index in range(3):
            images.nth(index).scroll_into_view_if_needed()
            page.wait_for_function(
                "i => { const img = document.querySelectorAll('#figures img')[i];"
                " return img.complete && img.naturalWidth > 0; }",
                arg=index,
                timeout=10_000,
            )
        assert page.locator("#tables table.logged-table tbody tr").count() == 2
        page.locator("#models").scroll_into_view_if_needed()
        shot(page, "run-model")

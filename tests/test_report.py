"""``gittrack report``: one self-contained, escaped HTML file of the selected runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import invoke
from test_ui_server import PAYLOADS, make_runs

from gittrack.ui.report import build_report


def page_data(text: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', text)
    assert match
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_report_is_self_contained_and_escaped(repo: Path) -> None:
    runs = make_runs(repo)
    result = invoke("report", "-e", "vision", "-o", "out/report.html")
    assert result.exit_code == 1  # the folder does not exist: a clear error, no traceback
    assert result.stderr.startswith("Error: cannot write out/report.html: ")
    (repo / "out").mkdir()
    result = invoke("report", "-e", "vision", "-o", "out/report.html")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "wrote out/report.html (3 runs)\n"
    text = (repo / "out" / "report.html").read_text("utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"?(https?:)?//", text)  # nothing fetched
    assert "<script src=" not in text and 'rel="stylesheet"' not in text
    assert "Plotly" in text and len(text) > 3_000_000  # plotly.js is inside
    for payload in PAYLOADS:
        assert payload not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    for name in ("alpha", "gamma"):
        assert f">{name}<" in text
    assert runs["other"] not in text  # another experiment
    data = page_data(text)
    assert {r["name"] for r in data["runs"]} == {"alpha", "gamma", PAYLOADS[1]}  # type: ignore[attr-defined]


def test_report_of_named_runs_and_a_filter(repo: Path) -> None:
    runs = make_runs(repo)
    text, count = build_report(repo / ".runs", runs=[runs["alpha"], "gamma"])
    assert count == 2
    assert [r["name"] for r in page_data(text)["runs"]] == ["alpha", "gamma"]  # type: ignore[attr-defined]
    text, count = build_report(repo / ".runs", filter_string="params.depth >= 1 and metrics.val_loss < 1")
    assert count == 2 and ">alpha<" not in text
    result = invoke("report", "-f", "params.depth >=", "-o", "x.html")
    assert result.exit_code == 1 and result.stderr.startswith("Error: filter error at column")
    assert not (repo / "x.html").exists()

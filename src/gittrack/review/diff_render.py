"""Rendering a :class:`~gittrack.review.diff.DiffReport`: a terminal table, a pull-request comment
in markdown, and JSON for programs."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from gittrack.review.diff import (
    DiffReport,
    ExperimentDiff,
    MetricChange,
    RunRef,
    Side,
    change_text,
    number,
)

NEUTRAL = "\N{HEAVY MINUS SIGN}"
SYMBOLS = {"better": "✅", "worse": "❌", "same": NEUTRAL, "new": NEUTRAL, "unchanged": NEUTRAL}


def to_json(report: DiffReport) -> str:
    """The report as JSON; NaN becomes null, infinities the strings ``inf``/``-inf``."""
    return json.dumps(_jsonable(asdict(report)), indent=2, ensure_ascii=False, default=str) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def side_text(side: Side) -> str:
    return side.label if side.commit is None else f"{side.label} ({side.commit[:8]})"


def summary_rows(report: DiffReport, *, markdown: bool) -> list[list[str]]:
    """experiment, metric, base best, head best, change, verdict: one row per metric."""
    code = "`{}`" if markdown else "({})"
    rows = []
    for exp in report.experiments:
        for m in exp.metrics:
            base = number(m.base_value) + (" " + code.format(m.base_run.name) if m.base_run else "")
            head = number(m.head_value) + (" " + code.format(m.head_run.name) if m.head_run else "")
            verdict = f"{SYMBOLS[m.verdict]} {m.verdict}" if markdown else m.verdict
            metric = f"{m.metric} {'↓' if m.direction == 'min' else '↑'}"
            rows.append([exp.experiment, metric, base, head, change_text(m), verdict])
    return rows


HEADERS = ["experiment", "metric", "base best", "head best", "change", "verdict"]


def render_markdown(report: DiffReport) -> str:
    """A pull-request comment: the summary table, then runs and params in ``<details>``."""
    lines = [
        "### gittrack diff",
        "",
        f"Base {_md_side(report.base)} → head {_md_side(report.head)}: the best run of the base"
        " against the best run the head adds, by last value (↓ lower is better, ↑ higher).",
        "",
    ]
    registry = [f"- {_md_escape(c.text(), table=False)}" for c in report.registry]
    if registry:
        lines += ["#### Model registry", "", *registry, ""]
    if not report.experiments:
        return "\n".join([*lines, "No runs added, removed or changed.", ""])
    lines += [_md_row(HEADERS), _md_row(["---"] * len(HEADERS))]
    lines += [_md_row(row) for row in summary_rows(report, markdown=True)]
    added = sum(len(e.added) for e in report.experiments)
    removed = sum(len(e.removed) for e in report.experiments)
    lines += ["", "<details>", f"<summary>Details: {added} run(s) added, {removed} removed</summary>", ""]
    for exp in report.experiments:
        lines += [f"#### {_md_escape(exp.experiment)}", ""]
        lines += [f"- {item}" for item in _detail_items(exp, markdown=True)]
        lines.append("")
    lines += ["</details>", ""]
    return "\n".join(lines)


def render_table(report: DiffReport) -> str:
    """The report for a terminal: sides, the summary table, then one block per experiment."""
    from gittrack.review.text_table import format_table

    lines = [f"base  {side_text(report.base)}", f"head  {side_text(report.head)}"]
    lines += ["(the best of all base runs against the best of the runs the head adds)", ""]
    lines += [f"registry: {c.text()}" for c in report.registry] + ([""] if report.registry else [])
    if not report.experiments:
        return "\n".join([*lines, "no runs added, removed or changed", ""])
    rows = summary_rows(report, markdown=False)
    lines += [format_table(HEADERS, rows, "simple"), ""]
    for exp in report.experiments:
        lines.append(f"{exp.experiment}:")
        lines += [f"  {item}" for item in _detail_items(exp, markdown=False)]
    return "\n".join(lines) + "\n"


def _detail_items(exp: ExperimentDiff, *, markdown: bool) -> list[str]:
    """Added and removed runs, each added run that FAILED with its error, then the param
    differences of each pair of best runs."""
    items = [_run_list("added", exp.added, markdown), _run_list("removed", exp.removed, markdown)]
    for run in exp.failed:
        who = f"`{run.run_id}` {run.name}" if markdown else f"{run.name} ({run.run_id})"
        items.append(f"FAILED: {who}: {run.error or 'no error recorded'}")
    pairs: dict[tuple[str, str], list[MetricChange]] = {}
    for m in exp.metrics:
        if m.base_run and m.head_run:
            pairs.setdefault((m.base_run.run_id, m.head_run.run_id), []).append(m)
    quote = (lambda t: f"`{t}`") if markdown else (lambda t: t)
    for group in pairs.values():
        first = group[0]
        assert first.base_run is not None and first.head_run is not None
        if first.base_run == first.head_run:
            continue  # the same run is best on both sides: no param can differ
        by = ", ".join(m.metric for m in group)
        pair = f"{quote(first.base_run.name)} → {quote(first.head_run.name)}"
        changes = "; ".join(f"{quote(p.name)} {_param(p.base)} → {_param(p.head)}" for p in first.params)
        items.append(f"params of the best runs by {by} ({pair}): {changes or 'no difference'}")
    return [_md_escape(i, table=False) if markdown else i for i in items]


def _run_list(label: str, runs: tuple[RunRef, ...], markdown: bool) -> str:
    if not runs:
        return f"{label}: none"
    return f"{label} ({len(runs)}): " + ", ".join(
        f"`{r.run_id}` {r.name}" if markdown else f"{r.name} ({r.run_id})" for r in runs
    )


def _param(value: Any) -> str:
    from gittrack.review.render import cell

    return "(unset)" if value is None else cell(value, 40)


def _md_side(side: Side) -> str:
    return side.label if side.commit is None else f"`{side.label}` (`{side.commit[:8]}`)"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(_md_escape(c) for c in cells) + " |"


def _md_escape(text: str, *, table: bool = True) -> str:
    """Keep a value on its line (and table cell), and from opening HTML tags."""
    text = text.replace("<", "&lt;").replace("\n", " ")
    return text.replace("|", "\\|") if table else text

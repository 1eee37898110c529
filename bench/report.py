"""Turn the raw results into rows: value per backend, ratio MLflow/gittrack, target, met or missed."""

# ruff: noqa: RUF001  (the multiplication sign and en dash are meant: this writes markdown)

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from harness import median

Results = dict[str, Any]


@dataclass
class Target:
    kind: str  # "ratio": ratio >= value; "max": gittrack <= value; "faster": ratio > 1
    value: float = 1.0

    def met(self, gittrack: float | None, ratio: float | None) -> bool | None:
        if self.kind == "max":
            return None if gittrack is None else gittrack <= self.value
        if ratio is None:
            return None
        return ratio >= self.value if self.kind == "ratio" else ratio > 1

    def __str__(self) -> str:
        return {"ratio": f"≥ ×{self.value:g}", "max": f"≤ {self.value:g}", "faster": "> ×1"}[self.kind]


@dataclass
class Row:
    workload: str
    measure: str
    unit: str
    values: dict[str, float | str | None]  # backend -> number, or "pending"/"error"/None
    higher_is_better: bool = False
    basis: str = "faster"  # which MLflow store the ratio uses: "file", "sqlite", "faster" or "none"
    target: Target | None = None

    def number(self, backend: str) -> float | None:
        value = self.values.get(backend)
        return value if isinstance(value, (int, float)) else None

    @property
    def baseline(self) -> tuple[str, float | None]:
        stores = {"file": "mlflow-file", "sqlite": "mlflow-sqlite"}
        if self.basis == "none":
            return "none", None
        if self.basis in stores:
            return self.basis, self.number(stores[self.basis])
        candidates = [(n, self.number(b)) for n, b in stores.items() if self.number(b) is not None]
        if not candidates:
            return "faster", None
        pick = max if self.higher_is_better else min
        return pick(candidates, key=lambda c: c[1])  # type: ignore[arg-type, return-value]

    @property
    def ratio(self) -> float | None:
        base, gittrack = self.baseline[1], self.number("gittrack")
        if base is None or not gittrack:
            return None
        return gittrack / base if self.higher_is_better else base / gittrack

    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.number("gittrack"), self.ratio)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "target": str(self.target) if self.target else None,
                "ratio": self.ratio, "ratio_vs": self.baseline[0], "met": self.met()}  # fmt: skip


def value(result: Results | None, get: Callable[[Results], float | None]) -> float | str | None:
    """A number out of one worker result, or why there is none."""
    if result is None:
        return None
    for problem in ("pending", "error"):
        if problem in result:
            return problem
    try:
        return get(result)
    except (KeyError, TypeError, ValueError):
        return "error"


def per_backend(results: dict[str, Results], get: Callable[[Results], float | None]) -> dict[str, Any]:
    return {backend: value(result, get) for backend, result in results.items()}


# -- rows per workload ------------------------------------------------------------------------------


def w1_rows(res: dict[str, Results], sizes: dict[str, Any]) -> list[Row]:
    targets = {"log_param": 20, "set_tag": 20, "log_metric": 40}
    rows = [Row("W1", f"{kind}", "µs/call",
                per_backend(res, lambda r, k=kind: median(r["us_per_call"][k])),
                basis="file", target=Target("ratio", t)) for kind, t in targets.items()]  # fmt: skip
    rows.append(Row("W1", "end_run after the calls", "s", per_backend(res, lambda r: median(r["end_run_s"]))))
    return rows


def w2_rows(res: dict[str, Results], sizes: dict[str, Any]) -> list[Row]:
    return [Row("W2", "complete runs (10 params, 5 tags, 5×100 metrics, 1 KB artifact)", "runs/s",
                per_backend(res, lambda r: median(r["runs_per_s"])), higher_is_better=True,
                target=Target("ratio", 20))]  # fmt: skip


def w3_rows(res: dict[str, Any], sizes: dict[str, Any]) -> list[Row]:
    rows = []
    for size, by_backend in res.items():
        n = f"{int(size):,} runs"

        def cold(key: str, by_backend: dict[str, Results] = by_backend) -> dict[str, Any]:
            return per_backend(by_backend, lambda r: median([c[key] for c in r["cold"]]))

        rows += [
            Row("W3", f"{n}: build the store", "s", per_backend(by_backend, lambda r: r["build_s"])),
            Row("W3", f"{n}: cold process (import + search)", "s", cold("wall_s"),
                target=Target("ratio", 10)),
            Row("W3", f"{n}: cold search call alone", "s", cold("search_s"), target=Target("ratio", 10)),
            Row("W3", f"{n}: warm search (same process)", "s",
                per_backend(by_backend, lambda r: median(r["warm"]["warm_s"])), target=Target("max", 0.2)),
            Row("W3", f"{n}: cold process, index deleted", "s",
                {**cold("wall_s"), "gittrack": value(by_backend.get("gittrack"),
                 lambda r: median([c["wall_s"] for c in r["cold_no_index"]]))},
                basis="file", target=Target("faster")),
            Row("W3", f"{n}: peak RSS of the cold search process", "MB", cold("peak_rss_mb")),
            Row("W3", f"{n}: runs matched (must be equal)", "runs", cold("rows"), basis="none"),
        ]  # fmt: skip
    return rows


def w4_rows(res: dict[str, Any], sizes: dict[str, Any]) -> list[Row]:
    def pick(command: str, key: str = "median_s") -> dict[str, Any]:
        return {b: (r.get(command) or {}).get(key) for b, r in res.items()}

    return [
        Row("W4", "`gittrack --help` vs `mlflow --version`", "s", pick("help"), target=Target("max", 0.15)),
        Row("W4", f"`gittrack ls -n 20` vs `mlflow runs list` ({sizes['w4_size']:,}-run store)", "s",
            pick("ls"), target=Target("max", 0.5)),
        Row("W4", "peak RSS of that ls / runs list", "MB", pick("ls", "peak_rss_mb"),
            target=Target("max", 200)),
    ]  # fmt: skip


def w5_rows(res: dict[str, Results], sizes: dict[str, Any]) -> list[Row]:
    return [Row("W5", f"get_metric_history of a {sizes['w5_steps']:,}-step metric", "s",
                per_backend(res, lambda r: median(r["history"]["seconds"])), target=Target("ratio", 10)),
            Row("W5", "build that metric (MLflow: log_batch ×1,000)", "s",
                per_backend(res, lambda r: r["build"]["build_s"]))]  # fmt: skip


def w6_rows(res: dict[str, Any], sizes: dict[str, Any]) -> list[Row]:
    rows = []
    for source, label in (("worktree", "working tree"), ("rev", "rev=HEAD")):
        r = res.get(source)
        rows += [
            Row("W6", f"read {sizes['w6_size']:,} runs from the {label}: cold process", "s",
                {"gittrack": value(r, lambda x: median([c["wall_s"] for c in x["cold"]]))}),
            Row("W6", f"read {sizes['w6_size']:,} runs from the {label}: warm search", "s",
                {"gittrack": value(r, lambda x: median(x["warm"]["warm_s"]))}),
        ]  # fmt: skip
    return rows


def w7_rows(res: Results, sizes: dict[str, Any]) -> list[Row]:
    """gittrack only (MLflow's UI is a separate server app): no MLflow values, no ratio, no target."""
    n = f"{int(res.get('runs') or sizes['w7_size']):,} runs"

    def one(get: Callable[[Results], float | None]) -> dict[str, Any]:
        return {"gittrack": value(res, get)}

    browser = res.get("browser") if _problem(res) is None else res  # the worker's error, if any
    browser_label = "browser: `page.goto` → runs table visible (warm server, headless Chromium)"
    browser_value: Any = None
    if isinstance(browser, dict) and "skipped" in browser:
        browser_label += f" – skipped: {browser['skipped']}"  # no number, not a failure
    elif isinstance(browser, dict):
        browser_value = value(browser, lambda b: median(b["seconds"]))
    matched = res.get("filtered_rows")
    matches = f", {matched:,} runs match" if isinstance(matched, int) else ""
    return [
        Row("W7", f"{n}: start `gittrack ui` (spawn → URL printed)", "s",
            one(lambda r: median(r["start_s"])), basis="none"),
        Row("W7", f"{n}: cold: first GET `/runs?exp=` in a new server (index present)", "s",
            one(lambda r: median(r["cold_s"])), basis="none"),
        Row("W7", f"{n}: warm: the same GET again (same server)", "s",
            one(lambda r: median(r["warm_s"])), basis="none"),
        Row("W7", f"{n}: warm: filtered page `metrics.m0 < 0.5`{matches}", "s",
            one(lambda r: median(r["filtered_warm_s"])), basis="none"),
        Row("W7", f"{n}: {browser_label}", "s", {"gittrack": browser_value}, basis="none"),
        Row("W7", f"{n}: HTML size of the runs page (100 rows)", "KB",
            one(lambda r: r["html_bytes"] / 1024), basis="none"),
        Row("W7", f"{n}: peak RSS of the server after those requests", "MB",
            one(lambda r: r["server_peak_rss_mb"]), basis="none"),
    ]  # fmt: skip


def _problem(result: Any) -> str | None:
    if isinstance(result, dict):
        return next((p for p in ("pending", "error") if p in result), None)
    return None


ROWS = {"W1": w1_rows, "W2": w2_rows, "W3": w3_rows, "W4": w4_rows, "W5": w5_rows, "W6": w6_rows,
        "W7": w7_rows}  # fmt: skip


# -- markdown ---------------------------------------------------------------------------------------


def fmt(number: float | str | None, unit: str) -> str:
    if number is None:
        return "–"
    if isinstance(number, str):
        return number
    if unit == "runs/s" or number >= 100:
        return f"{number:,.0f}" if number >= 100 else f"{number:.1f}"
    return f"{number:.3g}"


def markdown(rows: list[Row]) -> str:
    lines = ["| Workload | Measure | Unit | MLflow file | MLflow SQLite | gittrack | MLflow/gittrack "
             "| Target | Met |", "|---|---|---|--:|--:|--:|--:|---|---|"]  # fmt: skip
    for row in rows:
        ratio = row.ratio
        ratio_text = "–" if ratio is None else f"×{ratio:.3g} ({row.baseline[0]})"
        met = {True: "met", False: "**missed**", None: "–"}[row.met()]
        if row.target is not None and row.met() is None and row.values.get("gittrack") == "pending":
            met = "pending"
        cells = [row.workload, row.measure, row.unit,
                 *(fmt(row.values.get(b), row.unit) for b in ("mlflow-file", "mlflow-sqlite", "gittrack")),
                 ratio_text, str(row.target) if row.target else "", met]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

"""Render bench/scale.py's JSON results: markdown tables and a log-log plot per result file.

    python bench/scale_report.py bench/results/scale-before.json [bench/results/scale-after.json]
        [--md table.md] [--plot-dir docs]

One table per store size: the operations of issue #16, one column per result file (before and
after side by side when two are given), and the reference on the same data (``git add -A &&
git commit`` for commits, MLflow's SQLite store for ``search_runs``) from the last file that
has it.  The plot (matplotlib, in the dev extra) shows time against number of runs for each
command, log-log: ``<plot-dir>/scale-plot.png``, or ``scale-plot-<label>.png`` for a labelled
result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# (row label, where in result["gittrack"][N], sub-key or None, reference (section, key, sub-key))
ROWS: list[tuple[str, str, str | None, tuple[str, str, str | None] | None]] = [
    ("`gittrack commit --all-finished` (N new runs)", "commit", None, ("gittrack", "git_add_commit", None)),
    ("`gittrack ls -n 20`, index cold", "ls_cold", None, None),
    ("`gittrack ls -n 20`, index warm", "ls_warm", None, None),
    ('`gittrack ls -n 20 -f "metrics.rmse < 0.5"`, warm', "ls_filter_warm", None, None),
    ("`gittrack ls --rev HEAD -n 5`, first call", "ls_rev", "first", None),
    ("`gittrack ls --rev HEAD -n 5`, second call", "ls_rev", "second", None),
    ("`gittrack diff HEAD~1 HEAD` (+20 runs), first call", "diff", "first", None),
    ("`gittrack diff HEAD~1 HEAD` (+20 runs), second call", "diff", "second", None),
    ("`gittrack check`", "check", None, None),
    (
        "`search_runs` filtered, cold (index deleted)",
        "search_filter",
        "first",
        ("mlflow", "search_filter", "first"),
    ),
    ("`search_runs` filtered, warm", "search_filter", "second", ("mlflow", "search_filter", "second")),
    ("`search_runs` top 20 by rmse, cold", "search_top20", "first", ("mlflow", "search_top20", "first")),
    ("`search_runs` top 20 by rmse, warm", "search_top20", "second", ("mlflow", "search_top20", "second")),
    ("`search_runs` all runs, cold", "search_all", "first", ("mlflow", "search_all", "first")),
    ("`search_runs` all runs, warm", "search_all", "second", ("mlflow", "search_all", "second")),
    ("`gittrack ui`: server start", "ui", "start", None),
    ("`gittrack ui`: runs page (one experiment), first GET", "ui", "runs_first", None),
    ("`gittrack ui`: runs page, second GET", "ui", "runs_second", None),
    ("`gittrack ui`: /compare of 5 runs, first GET", "ui", "compare_first", None),
    ("`gittrack ui`: /compare of 5 runs, second GET", "ui", "compare_second", None),
]
NONE = "\u2013"  # an en dash: no value
REFERENCE = "reference on the same data (`git add -A && git commit`; MLflow 3 SQLite store)"
PLOTTED = [
    ("commit", None, "commit --all-finished"),
    ("ls_cold", None, "ls -n 20 (cold)"),
    ("ls_warm", None, "ls -n 20 (warm)"),
    ("ls_filter_warm", None, "ls -f (warm)"),
    ("ls_rev", "second", "ls --rev HEAD (2nd call)"),
    ("diff", "second", "diff HEAD~1 HEAD (2nd call)"),
    ("check", None, "check"),
    ("search_filter", "second", "search_runs filter (warm)"),
    ("search_all", "second", "search_runs all (warm)"),
    ("ui", "runs_second", "ui runs page (2nd GET)"),
]


def cell(entry: dict[str, Any] | None, sub: str | None) -> str:
    if entry is None:
        return NONE
    if entry.get("status") == "timeout":
        return f"> {entry['timeout']:.0f} s (timeout)"
    if entry.get("status") == "error":
        return "error"
    value = entry.get("median")
    if isinstance(value, dict):
        value = value.get(sub or "")
    return NONE if value is None else seconds(value)


def seconds(value: float) -> str:
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 10:
        return f"{value:.1f} s"
    if value >= 1:
        return f"{value:.2f} s"
    return f"{value:.3f} s"


def value_of(entry: dict[str, Any] | None, sub: str | None) -> float | None:
    if not entry or entry.get("status") != "ok":
        return None
    value = entry.get("median")
    if isinstance(value, dict):
        value = value.get(sub or "")
    return value if isinstance(value, (int, float)) else None


def label(result: dict[str, Any], path: Path) -> str:
    return str(result["meta"].get("label") or path.stem)


def tables(results: list[tuple[Path, dict[str, Any]]]) -> str:
    sizes = sorted({int(n) for _, r in results for n in r["gittrack"]})
    names = [label(r, p) for p, r in results]
    out: list[str] = []
    for _path, result in results:
        meta = result["meta"]
        mach = meta["machine"]
        out.append(
            f"- **{label(result, _path)}**: {meta['date']}, {mach['cpu']} ({mach['cores']} cores), "
            f"Python {meta['python']}, gittrack {meta['gittrack']} at `{meta['gittrack_commit'][:10]}`, "
            f"MLflow {meta['mlflow'] or NONE}, {meta['git']}; load average at start "
            f"{meta['load_average_start'][0]:.1f}; median of {meta['repeats']}, "
            f"timeout {meta['timeout']:.0f} s"
        )
    for n in sizes:
        out += ["", f"#### {n:,} runs", ""]
        out.append("| operation | " + " | ".join(f"gittrack {x}" for x in names) + f" | {REFERENCE} |")
        out.append("|---|" + "---|" * (len(names) + 1))
        for row, key, sub, ref in ROWS:
            cells = [cell(r["gittrack"].get(str(n), {}).get(key), sub) for _, r in results]
            refcell = ""
            if ref is not None:
                found = [r for _, r in results if r.get(ref[0], {}).get(str(n), {}).get(ref[1])]
                if found:
                    refcell = cell(found[-1][ref[0]][str(n)][ref[1]], ref[2])
            out.append(f"| {row} | " + " | ".join(cells) + f" | {refcell} |")
        for title, key, fmt in (
            ("files per run", "files_per_run", "{:.1f}"),
            ("bytes of content per run", "bytes_per_run", "{:,}"),
            ("work tree of `.runs` on disk", "work_tree_disk_bytes", "mb"),
            ("packed `.git` (after `git gc`)", "git_pack_bytes", "mb"),
        ):
            cells = []
            for _, r in results:
                v = r["sizes"].get(str(n), {}).get(key)
                cells.append(NONE if v is None else (f"{v / 1e6:.1f} MB" if fmt == "mb" else fmt.format(v)))
            out.append(f"| {title} | " + " | ".join(cells) + " | |")
        loads = []
        for (_, r), x in zip(results, names, strict=True):
            entries = all_entries(r, n)
            if entries:
                low, high = min(e["load_before"] for e in entries), max(e["load_after"] for e in entries)
                loads.append(f"{x}: {low:.1f} to {high:.1f}")
        out += ["", f"1-minute load average during the measurements ({n:,} runs): " + "; ".join(loads) + "."]
    return "\n".join(out) + "\n"


def all_entries(result: dict[str, Any], n: int) -> list[dict[str, Any]]:
    found = []
    for section in ("gittrack", "mlflow"):
        found += [e for e in result.get(section, {}).get(str(n), {}).values() if "load_before" in e]
    return found


def plot(path: Path, result: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 6))
    ax.set_prop_cycle(
        color=[plt.get_cmap("tab20")(i) for i in range(0, 20, 2)] + ["black", "dimgray", "darkgray"]
    )
    sizes = sorted(int(n) for n in result["gittrack"])
    for key, sub, name in PLOTTED:
        points = [(n, value_of(result["gittrack"][str(n)].get(key), sub)) for n in sizes]
        xs = [n for n, v in points if v is not None]
        ys = [v for _, v in points if v is not None]
        line = ax.plot(xs, ys, marker="o", label=name)[0]
        timed_out = [
            n for n in sizes if (result["gittrack"][str(n)].get(key) or {}).get("status") == "timeout"
        ]
        if timed_out:
            ax.plot(timed_out, [result["meta"]["timeout"]] * len(timed_out), "^", color=line.get_color())
    refs = [
        ("gittrack", "git_add_commit", None, "git add -A && git commit"),
        ("mlflow", "search_filter", "second", "MLflow SQLite search_runs filter"),
        ("mlflow", "search_all", "second", "MLflow SQLite search_runs all"),
    ]
    for section, key, sub, name in refs:
        points = [(n, value_of(result.get(section, {}).get(str(n), {}).get(key), sub)) for n in sizes]
        xs = [n for n, v in points if v is not None]
        if xs:
            ax.plot(xs, [v for _, v in points if v is not None], linestyle="--", marker="x", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("runs in the store")
    ax.set_ylabel("seconds (median; ▲ = timeout)")
    meta = result["meta"]
    cores, day = meta["machine"]["cores"], meta["date"][:10]
    ax.set_title(f"gittrack {label(result, path)}: time against number of runs ({cores} cores, {day})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path, nargs="+", help="JSON files of bench/scale.py (before, after)")
    p.add_argument("--md", type=Path, help="write the tables here (default: stdout)")
    p.add_argument("--plot-dir", type=Path, default=Path("docs"), help="where scale-plot*.png go")
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args(argv)
    results = [(path, json.loads(path.read_text(encoding="utf-8"))) for path in args.results]
    text = tables(results)
    if args.md:
        args.md.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if not args.no_plot:
        for path, result in results:
            name = result["meta"].get("label")
            out = args.plot_dir / (f"scale-plot-{name}.png" if name else "scale-plot.png")
            plot(path, result, out)
            print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

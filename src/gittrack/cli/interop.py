"""``gittrack import mlflow`` and ``gittrack export``: runs in from MLflow, tables out."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

import click

from gittrack.cli.options import Context, experiment_option, filter_option, note, rev_option, warn


@click.group("import")
def import_group() -> None:
    """Bring runs in from another tracker, with their history.

    \b
    Example:
      gittrack import mlflow ./mlruns
      gittrack import mlflow sqlite:///mlflow.db --dry-run
    """


class Bar:
    """A progress bar over runs on stderr; warnings are printed above it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.total = self.done = 0
        self._drawn = 0.0

    def start(self, total: int) -> None:
        self.total = total
        self._draw(force=True)

    def advance(self) -> None:
        self.done += 1
        self._draw(force=self.done == self.total)

    def message(self, text: str) -> None:
        self.stream.write("\r\033[K" + text + "\n")
        self._draw(force=True)

    def _draw(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        share = self.done / self.total if self.total else 1.0
        filled = int(share * 30)
        bar = "#" * filled + "-" * (30 - filled)
        self.stream.write(f"\rImporting runs [{bar}] {self.done:,}/{self.total:,} {share:4.0%}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


@import_group.command(
    "mlflow", short_help="Import an MLflow store: an mlruns folder, sqlite:///mlflow.db, or a server."
)
@click.argument("source")
@click.option(
    "-e",
    "--experiment",
    "experiments",
    multiple=True,
    metavar="NAME",
    help="Only this MLflow experiment (its name or id; repeatable). Default: all, deleted ones too.",
)
@click.option(
    "--dry-run", is_flag=True, help="Read everything and report what would be written; write nothing."
)
@click.option(
    "--artifact-root",
    "artifact_roots",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Another folder to look for artifacts in, when their recorded paths do not exist here (repeatable).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="A progress bar over runs on stderr [default: when stderr is a terminal].",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the whole report (every skip, warning and value not imported) as JSON.",
)
@click.pass_obj
def mlflow_command(
    obj: Context,
    source: str,
    experiments: tuple[str, ...],
    dry_run: bool,
    artifact_roots: tuple[Path, ...],
    progress: bool | None,
    report_file: Path | None,
) -> None:
    """Import an MLflow store: experiments, runs with their params, tags, metric histories,
    artifacts, logged models and datasets, and the model registry.

    SOURCE is an mlruns folder (MLflow's file store), sqlite:///path/mlflow.db (read with
    Python's sqlite3: MLflow is not needed), or, with MLflow installed, any tracking URI its
    client reads (http://host:5000). Importing again adds only what is new and changes nothing
    that is there. Each run keeps MLflow's run id as the tag mlflow.importedRunId:
    `gittrack show <mlflow run id>` finds it. Values gittrack cannot store (a negative step,
    say) are listed in the summary, never dropped silently. See docs/import.md.

    \b
    Examples:
      gittrack import mlflow ./mlruns
      gittrack import mlflow sqlite:///mlflow.db --dry-run
      gittrack import mlflow sqlite:///mlflow.db -e course --report import.json
      gittrack import mlflow http://127.0.0.1:5000
    """
    import json

    from gittrack.interop.importer import import_mlflow
    from gittrack.interop.report import summary

    show_bar = sys.stderr.isatty() if progress is None else progress
    bar = Bar(sys.stderr) if show_bar else None
    try:
        report = import_mlflow(
            obj.store(),
            source,
            experiments=experiments,
            dry_run=dry_run,
            artifact_roots=artifact_roots,
            progress=bar,
            warn=(lambda m: bar.message(f"Warning: {m}")) if bar is not None else warn,
        )
    finally:
        if bar is not None and bar.total:
            bar.close()
    if report_file is not None:
        report_file.write_text(
            json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    note(summary(report).rstrip("\n"))


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("parquet", "csv")),
    default="parquet",
    show_default=True,
    help="parquet (needs pyarrow: pip install 'gittrack[parquet]') or csv.",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write runs.<format> and metrics.<format> into.",
)
@experiment_option
@filter_option('Only runs matching this MLflow-style filter, e.g. "metrics.rmse < 0.5".')
@click.option("--deleted", is_flag=True, help="Only runs marked deleted.")
@click.option("--all", "all_runs", is_flag=True, help="Active and deleted runs.")
@rev_option
@click.pass_obj
def export_command(
    obj: Context,
    fmt: str,
    out_dir: Path,
    experiments: tuple[str, ...],
    filter_string: str,
    deleted: bool,
    all_runs: bool,
    rev: str | None,
) -> None:
    """Write the runs as two tables for DuckDB, Polars, Spark or pandas: runs (one row per
    run: attributes, params, last metric values, tags) and metrics (every logged value, long:
    run_id, key, step, timestamp, value). Selects runs as `gittrack ls` does.

    \b
    Examples:
      gittrack export -o export/
      gittrack export --format csv -e baseline -f "metrics.rmse < 0.5" -o export/
      duckdb -c "SELECT key, max(value) FROM 'export/metrics.parquet' GROUP BY key"
    """
    from gittrack.interop.export import export

    if deleted and all_runs:
        raise click.UsageError("--deleted and --all cannot be used together")
    view = "all" if all_runs else "deleted" if deleted else "active"
    written = export(
        obj.store(),
        out_dir,
        fmt=fmt,
        experiments=experiments,
        filter_string=filter_string,
        view=view,
        rev=rev,
        warn=warn,
    )
    for table, (path, rows) in written.items():
        note(f"{table}: {rows:,} rows -> {path}")


COMMANDS = [import_group, export_command]

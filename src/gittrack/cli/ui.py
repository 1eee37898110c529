"""``gittrack ui`` (the local web app) and ``gittrack report`` (one static HTML file)."""

from __future__ import annotations

from pathlib import Path

import click

from gittrack.cli.options import Context, experiment_option, filter_option, note, rev_option, warn


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=5000, show_default=True, help="Port (0: any free port)."
)
@rev_option
@click.option("--open", "open_browser", is_flag=True, help="Open the UI in a web browser.")
@click.pass_obj
def ui(obj: Context, host: str, port: int, rev: str | None, open_browser: bool) -> None:
    """Browse and edit runs in a local web app (until Ctrl+C).

    Runs can be renamed, tagged, noted, deleted and restored in the page. With
    --rev, or listening beyond this machine (--host), the app is read-only.

    \b
    Examples:
      gittrack ui
      gittrack ui --port 8080 --open
      gittrack ui --rev main
    """
    from gittrack.store.config import load_config
    from gittrack.ui.app import App
    from gittrack.ui.server import is_loopback, make_server, serve

    server = make_server(App(obj.store(), load_config(), rev), host, port)
    if not is_loopback(host):
        warn(
            f"listening on {host}: anyone who can reach this machine can read every run; "
            "use --host 127.0.0.1 to stay local"
        )
    serve(server, note, open_browser=open_browser)


@click.command()
@click.argument("runs", nargs=-1)
@experiment_option
@filter_option("MLflow-style filter for the runs.")
@rev_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
)
@click.pass_obj
def report(
    obj: Context,
    runs: tuple[str, ...],
    experiments: tuple[str, ...],
    filter_string: str,
    rev: str | None,
    output: Path,
) -> None:
    """Write one self-contained HTML file about RUNS (or the runs matching -f/-e).

    The file needs no network: charts and scripts are inside it. Good for CI
    artifacts and pull requests.

    \b
    Examples:
      gittrack report -e baseline -o report.html
      gittrack report -f "metrics.rmse < 0.5" -o good.html
    """
    from gittrack.store.config import load_config
    from gittrack.ui.report import build_report

    built = build_report(
        obj.store(),
        runs=list(runs),
        experiments=list(experiments),
        filter_string=filter_string,
        rev=rev,
        config=load_config(),
        warn=warn,
    )
    built.write(output)
    note(f"wrote {output} ({built.runs} run{'s' if built.runs != 1 else ''})")


COMMANDS = [ui, report]

"""``gittrack models``: the model registry (``ls``, ``show``, ``promote``, ``diff``)."""

from __future__ import annotations

import click

from gittrack.cli.options import Context, emit, note, output_format, rev_option, warn


@click.group("models")
def models() -> None:
    """Registered models: list, show, promote, and what changed between revisions.

    The registry is plain YAML under .runs/models/, committed with the code: promoting a
    model is a one-file change a pull request can review. Nothing here loads a model.

    \b
    Examples:
      gittrack models ls
      gittrack models show course-model
      gittrack models promote course-model 2 --alias champion
      gittrack models diff main
    """


@models.command("ls")
@rev_option
@output_format
@click.pass_obj
def ls_command(obj: Context, rev: str | None, fmt: str) -> None:
    """Registered models with their latest version, aliases and stages.

    \b
    Examples:
      gittrack models ls
      gittrack models ls --rev main --format json
    """
    from gittrack.review.models import models_table
    from gittrack.review.render import render

    emit(render(models_table(obj.store(), rev=rev), fmt, expendable=("description", "updated"), note=note))


@models.command("show")
@click.argument("name")
@rev_option
@output_format
@click.pass_obj
def show_command(obj: Context, name: str, rev: str | None, fmt: str) -> None:
    """The versions of NAME: stage, aliases, run, the run's metrics, commit, who registered it.

    \b
    Examples:
      gittrack models show course-model
      gittrack models show course-model --rev main --format markdown
    """
    from gittrack.review.models import versions_table
    from gittrack.review.render import render

    frame = versions_table(obj.store(), name, rev=rev, warn=warn)
    emit(render(frame, fmt, expendable=("description", "created", "artifact_path"), note=note))


@models.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@click.option(
    "--alias", "aliases", multiple=True, metavar="ALIAS", help="Point this alias at VERSION (repeatable)."
)
@click.option(
    "--stage", default=None, metavar="STAGE", help="Move VERSION to None, Staging, Production or Archived."
)
@click.option(
    "--archive-existing",
    is_flag=True,
    help="With --stage Staging/Production: archive the versions now in it.",
)
@click.pass_obj
def promote_command(
    obj: Context, name: str, version: int, aliases: tuple[str, ...], stage: str | None, archive_existing: bool
) -> None:
    """Point an alias at VERSION of NAME, or move it to a stage.

    Writes one registry file; commit it (gittrack commit --all-finished, or git) so a pull
    request shows the promotion.

    \b
    Examples:
      gittrack models promote course-model 2 --alias champion
      gittrack models promote course-model 1 --stage Production --archive-existing
    """
    from gittrack.models.promote import promote

    for line in promote(
        obj.store(), name, version, aliases=aliases, stage=stage, archive_existing=archive_existing
    ):
        note(line)


@models.command("diff")
@click.argument("base", required=False)
@click.argument("head", required=False)
@output_format
@click.pass_obj
def diff_command(obj: Context, base: str | None, head: str | None, fmt: str) -> None:
    """Registry changes from BASE to HEAD: versions registered, stages, aliases moved (with
    the metric change of the runs behind them).

    BASE defaults to the merge-base with the default branch (as gittrack diff), HEAD to
    the working tree.

    \b
    Examples:
      gittrack models diff main
      gittrack models diff origin/main HEAD --format markdown
    """
    from gittrack.review.diff import base_revision
    from gittrack.review.models_diff import changes_table, registry_diff
    from gittrack.review.render import render
    from gittrack.store.config import load_config

    config = load_config()
    store = obj.store()
    changes = registry_diff(
        store, base=base_revision(store, base, head, config), head=head, config=config, warn=warn
    )
    if fmt == "table":
        emit("".join(f"{c.text()}\n" for c in changes) or "no registry changes\n")
    else:
        emit(render(changes_table(changes), fmt))


COMMANDS = [models]

"""The run writers this process holds: at most one per run directory.

A run has exactly one writer (docs/format.md).  The fluent API and the Client both
write through :func:`live` when this process already writes the run, so a
``log_metric(..., run_id=X)`` on a run started here continues its steps and summaries
instead of opening a second writer on the same files.
"""

from __future__ import annotations

from pathlib import Path

from gittrack.store.writer import RunWriter

_live: dict[tuple[str, str], RunWriter] = {}  # (store, run id) -> writer


def live(store: Path | str, run_id: str) -> RunWriter | None:
    """The writer this process holds for ``run_id`` in ``store``, if any (exact id only)."""
    return _live.get((str(store), run_id))


def hold(writer: RunWriter) -> RunWriter:
    _live[_key(writer)] = writer
    return writer


def release(writer: RunWriter) -> None:
    _live.pop(_key(writer), None)


def held() -> list[RunWriter]:
    return list(_live.values())


def _key(writer: RunWriter) -> tuple[str, str]:
    return (str(writer.run_dir.parent), writer.run_dir.name)

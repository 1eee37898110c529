"""Two runs claiming one directory: the merge of two branches whose runs drew the same id.

Both branches then wrote ``.runs/<id>/meta.yaml``, git reports a conflict in it, and the
two runs' metrics and params are mixed in one directory.  :func:`merged_runs` tells that
case apart from an ordinary conflict (one run, edited on both sides): the two sides of
the conflict are each a whole meta.yaml, of runs started at different times or by
different processes.
"""

from __future__ import annotations

from pathlib import Path

from gittrack.errors import CorruptRunError
from gittrack.maintenance.check_files import Finding
from gittrack.store.layout import Meta
from gittrack.store.reader import parse_meta


def merged_runs(path: Path, raw: bytes) -> Finding | None:
    """A finding when meta.yaml's conflict has two different runs on its two sides."""
    sides = _sides(raw.decode("utf-8", "replace"))
    if sides is None:
        return None
    metas: list[Meta] = []
    for side in sides:
        try:
            metas.append(parse_meta(side.encode(), str(path)))
        except CorruptRunError:
            return None
    ours, theirs = metas
    if (ours.start_time, ours.host, ours.pid, ours.name) == (
        theirs.start_time,
        theirs.host,
        theirs.pid,
        theirs.name,
    ):
        return None  # one run, edited on both sides: an ordinary conflict
    message = (
        f"two runs claim this directory (run id {ours.run_id!r}): {ours.name!r} and {theirs.name!r} drew "
        "the same id on two branches and the merge mixed their files. Fix: keep one here "
        "(git checkout --ours or --theirs -- this directory), and copy the other branch's "
        "run to a new directory with a fresh id (same start time, new random part), its "
        "meta.yaml run_id set to match"
    )
    return Finding(path, 0, message, "id-collision")


def _sides(text: str) -> tuple[str, str] | None:
    """The whole file as ours and as theirs, from ``<<<<<<<``/``=======``/``>>>>>>>`` blocks."""
    ours: list[str] = []
    theirs: list[str] = []
    where = "both"
    seen = False
    for line in text.split("\n"):
        if line.startswith("<<<<<<<") and where == "both":
            where, seen = "ours", True
        elif line.startswith("|||||||") and where == "ours":
            where = "base"
        elif line.startswith("=======") and where in ("ours", "base"):
            where = "theirs"
        elif line.startswith(">>>>>>>") and where == "theirs":
            where = "both"
        else:
            if where in ("both", "ours"):
                ours.append(line)
            if where in ("both", "theirs"):
                theirs.append(line)
    if not seen or where != "both":
        return None
    return "\n".join(ours), "\n".join(theirs)

"""What a merge conflict in a registry file holds on each side, in words that say what to do."""

from __future__ import annotations

from pathlib import PurePosixPath

from gittrack.store import yamlio


def conflict_message(path: str, blob: bytes) -> str:
    """What a file with merge conflict markers holds on each side, and how to settle it."""
    sides = conflict_sides(blob)
    if "/aliases/" in path and len(sides) == 2:
        found = [_alias_number(side) for side in sides]
        alias = PurePosixPath(path).stem
        return (
            f"alias '{alias}' was moved on both sides of a merge (to version {found[0]} and to "
            f"version {found[1]}); choose one: gittrack models promote MODEL VERSION --alias {alias}"
        )
    return "merge conflict markers: edit the file to keep one side, then commit"


def conflict_sides(blob: bytes) -> list[bytes]:
    """The two versions of the text around conflict markers (ours, theirs)."""
    ours, theirs, where = [], [], "both"
    for line in blob.splitlines(keepends=True):
        if line.startswith(b"<<<<<<<"):
            where = "ours"
        elif line.startswith(b"|||||||"):
            where = "base"
        elif line.startswith(b"=======") and where in ("ours", "base"):
            where = "theirs"
        elif line.startswith(b">>>>>>>"):
            where = "both"
        else:
            if where in ("both", "ours"):
                ours.append(line)
            if where in ("both", "theirs"):
                theirs.append(line)
    return [b"".join(ours), b"".join(theirs)]


def _alias_number(text: bytes) -> str:
    try:
        data = yamlio.load(text)
    except yamlio.YAMLError:
        return "?"
    return str(data.get("version", "?")) if isinstance(data, dict) else "?"

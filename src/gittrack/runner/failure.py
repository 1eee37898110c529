"""Why a command run by ``gittrack run`` failed, from the end of its error output.

The wrapper keeps the last bytes of the command's stderr (of its one output pipe when
stdout and stderr go to the same terminal).  When they hold a Python traceback, the last
one is the error: its type and message from the exception line (``ValueError: bad
value``, ``mypkg.DataError: ...``) and the traceback from ``Traceback (most recent call
last):`` on.  Otherwise the error is the output's last non-empty line, with the last
:data:`LAST_LINES` lines as its "traceback", and no type.  Sizes are capped as every
``error`` of ``meta.yaml`` is (:func:`gittrack.store.layout.error_record`).
"""

from __future__ import annotations

import re

from gittrack.store.layout import error_record

TRACEBACK_HEAD = "Traceback (most recent call last):"
LAST_LINES = 20
# `Name` or `Name: message`, unindented; Name is a dotted identifier such as mypkg.DataError
_EXCEPTION_LINE = re.compile(r"([A-Za-z_][\w.]*)(?:: ?(.*))?")


def error_from_output(tail: bytes, exit_code: int) -> dict[str, str | None]:
    """The ``error`` of a run whose command exited with ``exit_code``, from ``tail``."""
    lines = tail.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    starts = [i for i, line in enumerate(lines) if line.strip() == TRACEBACK_HEAD]
    if starts:
        found = _python_error(lines[starts[-1] :])
        if found is not None:
            return found
    if not lines:
        return error_record(None, f"exit code {exit_code}, no output")
    last = lines[-LAST_LINES:]
    message = next(line.strip() for line in reversed(last) if line.strip())
    return error_record(None, message, "\n".join(last))


def _python_error(block: list[str]) -> dict[str, str | None] | None:
    """Type, message and text of a traceback; ``block`` starts at its first line."""
    for index, line in enumerate(block[1:], start=1):
        if not line or line[0].isspace():
            continue  # frames: `  File "...", line N, in f` and their indented source lines
        match = _EXCEPTION_LINE.fullmatch(line)
        if match is None:
            return None
        message = "\n".join([match.group(2) or "", *block[index + 1 :]]).strip()
        return error_record(match.group(1), message, "\n".join(block))
    return None

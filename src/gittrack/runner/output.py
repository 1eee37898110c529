"""Output of a command run by ``gittrack run``: echoed to the terminal, saved to a capped
``output.log``, and split into lines for the metric parser.

See :mod:`gittrack.runner.command` for the policy (one pipe when the terminal's stdout and
stderr are the same file, head and tail kept past the cap).
"""

from __future__ import annotations

import os
import selectors
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

TAIL_BYTES = 1024 * 1024
ERROR_TAIL_BYTES = 64 * 1024  # the end of the error output kept to find why a command failed
_MAX_LINE = 64 * 1024  # longer "lines" (binary output, progress bars) are not parsed for metrics


def same_file(a: IO[bytes], b: IO[bytes]) -> bool:
    try:
        return os.path.samestat(os.fstat(a.fileno()), os.fstat(b.fileno()))
    except (OSError, ValueError, AttributeError):  # no real file behind it (BytesIO, CliRunner)
        return False


def echo(sink: IO[bytes], data: bytes) -> bool:
    """Write to the terminal side; False when its reader went away (``| head``)."""
    try:
        sink.write(data)
        sink.flush()
    except OSError:  # EPIPE, or EIO from a terminal that hung up
        return False
    return True


class Tail:
    """The last ``size`` bytes written to it (the end of a command's error output)."""

    def __init__(self, size: int = ERROR_TAIL_BYTES) -> None:
        self.size = size
        self._data = bytearray()

    def write(self, data: bytes) -> None:
        self._data += data
        if len(self._data) > 2 * self.size:  # trim now and then, not per write
            del self._data[: len(self._data) - self.size]

    def value(self) -> bytes:
        return bytes(self._data[-self.size :])


class Pump:
    """Moves bytes from the child's pipes to the terminal, output.log and the metric parser;
    the bytes of ``tail_of`` (the stderr pipe, or the one pipe of both) also go to ``tail``."""

    def __init__(
        self,
        pipes: Sequence[tuple[IO[bytes] | None, IO[bytes]]],
        log: OutputLog | None,
        on_line: Callable[[str], None] | None,
        *,
        tail_of: IO[bytes] | None = None,
        tail: Tail | None = None,
    ) -> None:
        self._selector = selectors.DefaultSelector()
        for pipe, sink in pipes:
            if pipe is not None:
                kept = tail if pipe is tail_of else None
                self._selector.register(pipe, selectors.EVENT_READ, (sink, bytearray(), kept))
        self._log = log
        self._on_line = on_line

    def open(self) -> bool:
        return bool(self._selector.get_map())

    def step(self, timeout: float) -> bool:
        """Move what is ready within ``timeout`` seconds; True when anything was read."""
        moved = False
        for key, _ in self._selector.select(timeout):
            pipe: IO[bytes] = key.fileobj  # type: ignore[assignment]
            sink, pending, tail = key.data
            data = os.read(pipe.fileno(), 65536)
            if not data:
                self._drop(pipe, pending)
                continue
            moved = True
            if self._log is not None:
                self._log.write(data)
            if tail is not None:
                tail.write(data)
            if not echo(sink, data):
                self._drop(pipe, pending)  # closing our end gives the child EPIPE, as `| head` would
            if self._on_line is not None:
                self._lines(pending, data)
        return moved

    def _lines(self, pending: bytearray, data: bytes) -> None:
        assert self._on_line is not None
        pending += data
        *lines, rest = pending.replace(b"\r", b"\n").split(b"\n")
        for line in lines:
            if len(line) <= _MAX_LINE:
                self._on_line(line.decode("utf-8", "replace"))
        pending[:] = rest if len(rest) <= _MAX_LINE else b""

    def _drop(self, pipe: IO[bytes], pending: bytearray) -> None:
        self._selector.unregister(pipe)
        pipe.close()
        if pending and self._on_line is not None:
            self._on_line(pending.decode("utf-8", "replace"))
        pending.clear()

    def close(self) -> None:
        for key in list(self._selector.get_map().values()):
            self._drop(key.fileobj, key.data[1])  # type: ignore[arg-type]
        self._selector.close()


class OutputLog:
    """``output.log`` capped at ``cap`` bytes: head as it comes, marker and tail at close."""

    def __init__(self, path: Path, cap: int) -> None:
        self.cap = cap
        self.tail_size = min(TAIL_BYTES, cap // 2)
        self.total = 0
        self._tail = bytearray()  # at least the last tail_size bytes seen
        self._file = open(path, "w+b", buffering=0)  # noqa: SIM115 - kept open while the command runs

    def write(self, data: bytes) -> None:
        if self.total < self.cap:
            self._file.write(data[: self.cap - self.total])
        self.total += len(data)
        self._tail += data
        if len(self._tail) > 2 * self.tail_size + 65536:  # trim now and then, not per write
            del self._tail[: len(self._tail) - self.tail_size]

    def close(self) -> None:
        if self._file.closed:
            return
        if self.total > self.cap:
            self._write_truncated()
        self._file.close()

    def _write_truncated(self) -> None:
        head_size = self.cap - self.tail_size
        self._file.seek(0)
        head = self._file.read(head_size)
        cut = head.rfind(b"\n") + 1
        head_end = cut if cut > head_size // 2 else head_size  # whole lines unless they are huge
        tail = bytes(self._tail[-self.tail_size :]) if self.tail_size else b""
        newline = tail.find(b"\n") + 1
        if 0 < newline < len(tail) // 2:
            tail = tail[newline:]
        omitted = self.total - head_end - len(tail)
        marker = (
            f"[gittrack: output.log truncated: {omitted} bytes omitted here; it keeps the first "
            f"{head_end} and the last {len(tail)} of {self.total} bytes (output.max_log_mb)]\n"
        ).encode()
        if head_end and head[head_end - 1 : head_end] != b"\n":
            marker = b"\n" + marker
        self._file.truncate(head_end)
        self._file.seek(head_end)
        self._file.write(marker + tail)

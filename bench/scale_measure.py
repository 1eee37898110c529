"""Timing helpers of the scale benchmark: commands in fresh processes with a timeout, the UI
server, sizes on disk, machine facts.  Only the standard library."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# urllib would send requests for 127.0.0.1 to a proxy named by http_proxy; the UI is local.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


SAVE: Callable[[], None] | None = None  # called after every measurement (the driver saves its JSON)


class Timeout(Exception):
    pass


def load() -> float:
    return round(os.getloadavg()[0], 2)


def run(
    cmd: Sequence[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> tuple[float, str]:
    """Wall seconds of ``cmd`` in a new process (group); Timeout after ``timeout`` seconds,
    RuntimeError (with its stderr's end) when it fails.  Returns (seconds, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise Timeout from None
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError(f"exit {proc.returncode}: {' | '.join(tail)}")
    return seconds, out.decode("utf-8", "replace")


def measure(
    name: str,
    repeats: int,
    sample: Callable[[], float | dict[str, float]],
    timeout: float,
    prepare: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Repeat ``sample`` (after ``prepare``), record samples, median and load average.

    ``sample`` returns seconds, or several named seconds (one measurement per name, e.g. a
    first and a second call).  A Timeout records "> timeout" and stops the repeats.
    """
    entry: dict[str, Any] = {"load_before": load(), "samples": [], "status": "ok"}
    print(f"  {name} ...", end="", file=sys.stderr, flush=True)
    for _ in range(repeats):
        if prepare is not None:
            prepare()
        try:
            entry["samples"].append(sample())
        except Timeout:
            entry["status"] = "timeout"
            entry["timeout"] = timeout
            break
        except Exception as exc:
            entry["status"] = "error"
            entry["error"] = f"{type(exc).__name__}: {exc}"[:2000]
            break
    entry["load_after"] = load()
    samples = entry["samples"]
    if samples and isinstance(samples[0], dict):
        entry["median"] = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    elif samples:
        entry["median"] = statistics.median(samples)
    shown = entry.get("median", entry["status"])
    print(f" {json.dumps(shown) if isinstance(shown, dict) else shown}", file=sys.stderr, flush=True)
    return entry


class Saved(dict):  # type: ignore[type-arg]
    """Measurements of one store size: every new entry calls :data:`SAVE`, so an interrupted
    benchmark keeps what it measured."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if SAVE is not None:
            SAVE()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def clear_caches(repo: Path) -> None:
    """Make the next read cold: the store's index cache and any gittrack cache under .git."""
    shutil.rmtree(repo / ".runs" / ".cache", ignore_errors=True)
    for path in (repo / ".git").glob("gittrack*"):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()


def copy_tree(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)


# -- the UI server ---------------------------------------------------------------------------


class UIServer:
    """``gittrack ui --port 0`` in ``repo``; its URL read from the line it prints."""

    def __init__(self, cmd: Sequence[str], repo: Path, timeout: float) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [*cmd, "ui", "--host", "127.0.0.1", "--port", "0"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.url = None
        deadline = time.monotonic() + timeout
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            found = re.search(r" at (https?://\S+?)/? ", line)
            if found:
                self.url = found.group(1)
                break
            if time.monotonic() > deadline:
                break
        if self.url is None:
            self.stop()
            raise RuntimeError("gittrack ui printed no address")
        self.start_seconds = time.perf_counter() - self.started

    def get(self, path: str, timeout: float) -> float:
        start = time.perf_counter()
        try:
            with _LOCAL.open(f"{self.url}{path}", timeout=timeout) as response:
                response.read()
        except TimeoutError:
            raise Timeout from None
        return time.perf_counter() - start

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# -- sizes and machine -------------------------------------------------------------------------


def sizes(repo: Path, runs: int) -> dict[str, Any]:
    """Work-tree size of the store, files and bytes per run, packed .git size."""
    files = 0
    content = 0
    for dirpath, dirnames, filenames in os.walk(repo / ".runs"):
        if ".cache" in dirnames:
            dirnames.remove(".cache")
        files += len(filenames)
        content += sum(os.lstat(os.path.join(dirpath, f)).st_size for f in filenames)
    disk = int(
        subprocess.run(
            ["du", "-sk", "--exclude=.cache", str(repo / ".runs")], capture_output=True, text=True
        ).stdout.split()[0]
    )
    objects = subprocess.run(["git", "count-objects", "-v"], cwd=repo, capture_output=True, text=True).stdout
    counts = dict(line.split(": ") for line in objects.strip().splitlines())
    git_kib = int(
        subprocess.run(["du", "-sk", str(repo / ".git")], capture_output=True, text=True).stdout.split()[0]
    )
    return {
        "runs": runs,
        "files": files,
        "files_per_run": round(files / runs, 2),
        "content_bytes": content,
        "bytes_per_run": round(content / runs),
        "work_tree_disk_bytes": disk * 1024,
        "git_dir_bytes": git_kib * 1024,
        "git_pack_bytes": int(counts.get("size-pack", 0)) * 1024,
        "git_loose_objects": int(counts.get("count", 0)),
    }


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    with contextlib.suppress(OSError, IndexError):
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    return {"cpu": model, "cores": os.cpu_count(), "memory": mem, "platform": sys.platform}

"""The workloads. Each task receives the backend module (``mlflow`` or ``gittrack``) and
runs the same code against either; only bulk store building differs, because MLflow
needs ``MlflowClient.log_batch`` to build 10,000 runs in reasonable time.

A task returns a JSON-able dict; the driver (``run.py``) runs each task in a fresh process.
"""

from __future__ import annotations

import inspect
import random
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

from harness import EXPERIMENT, is_mlflow, repeat, timed

QUERY = {
    "filter_string": "metrics.m0 < 0.5 and params.p0 = 'x'",
    "order_by": ["metrics.m1 DESC"],
}
HISTORY_KEY = "loss"


class Pending(Exception):
    """The backend lacks the API this task needs (gittrack features still being written)."""


def require(module: ModuleType, name: str, keyword: str | None = None) -> Any:
    func = getattr(module, name, None)
    if func is None:
        raise Pending(f"{module.__name__}.{name} does not exist yet")
    if keyword and keyword not in inspect.signature(func).parameters:
        raise Pending(f"{module.__name__}.{name} has no {keyword!r} argument yet")
    return func


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- W1: per-call logging overhead -----------------------------------------------------------


def w1_logging(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """µs per log_param / set_tag / log_metric call, each kind timed separately, one run per repeat."""
    mlflow.set_experiment(EXPERIMENT)
    kinds: dict[str, Callable[[], None]] = {
        "log_param": lambda: [mlflow.log_param(f"p{i}", i) for i in range(a["params"])],
        "set_tag": lambda: [mlflow.set_tag(f"t{i}", f"v{i}") for i in range(a["tags"])],
        "log_metric": lambda: [
            mlflow.log_metric(f"m{k}", step * 0.001, step=step)
            for step in range(a["steps"]) for k in range(a["metrics"])
        ],
    }  # fmt: skip
    calls = {"log_param": a["params"], "set_tag": a["tags"], "log_metric": a["metrics"] * a["steps"]}
    seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
    end_run: list[float] = []
    for _ in range(3):
        mlflow.start_run()
        for kind, func in kinds.items():
            if not seconds[kind] or (len(seconds[kind]) < 3 and sum(seconds[kind]) < a["budget_s"]):
                seconds[kind].append(timed(func)[0])
        end_run.append(timed(mlflow.end_run)[0])
    us = {kind: [s / calls[kind] * 1e6 for s in samples] for kind, samples in seconds.items()}
    return {"us_per_call": us, "calls": calls, "end_run_s": end_run}


# -- W2: many small runs ------------------------------------------------------------------------


def w2_many_runs(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """Runs per second for complete runs: params, tags, metric steps, one 1 KB artifact."""
    mlflow.set_experiment(EXPERIMENT)
    artifact = root / "artifact.bin"
    artifact.write_bytes(random.Random(0).randbytes(1024))

    def one_run(i: int) -> None:
        with mlflow.start_run():
            mlflow.log_params({f"p{k}": f"{i}-{k}" for k in range(10)})
            mlflow.set_tags({f"t{k}": f"tag{k}" for k in range(5)})
            for step in range(a["steps"]):
                mlflow.log_metrics({f"m{k}": step * 0.01 + k for k in range(5)}, step=step)
            mlflow.log_artifact(str(artifact))

    per_run: list[float] = []
    while len(per_run) < a["runs"] and sum(per_run) < a["budget_s"]:
        per_run.append(timed(lambda: one_run(len(per_run)))[0])
    thirds = [per_run[i::3] for i in range(3)] if len(per_run) >= 3 else [per_run]
    return {"runs": len(per_run), "total_s": sum(per_run),
            "runs_per_s": [len(t) / sum(t) for t in thirds]}  # fmt: skip


# -- W3/W4/W6 stores: runs with 10 params, 5 metrics, 3 tags ----------------------------------------


def run_content(index: int) -> tuple[dict[str, str], list[dict[str, float]], dict[str, str]]:
    """Params, metric values per step and tags of run ``index``: the same on every backend."""
    rng = random.Random(index)
    params = {"p0": rng.choice("xyz"), "p1": str(rng.randint(1, 512)), "p2": f"{rng.random():.4g}"}
    params.update({f"p{k}": f"value-{rng.randint(0, 99)}" for k in range(3, 10)})
    steps = [{f"m{k}": rng.random() for k in range(5)} for _ in range(3)]
    tags = {"t0": rng.choice(["baseline", "tuned"]), "t1": f"seed-{index}", "t2": "bench"}
    return params, steps, tags


def build_runs(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """Create ``a["runs"]`` finished runs as fast as each backend's public API allows."""
    exp_id = mlflow.set_experiment(EXPERIMENT).experiment_id
    build = _build_with_log_batch if is_mlflow(mlflow) else _build_with_fluent_api
    seconds, _ = timed(lambda: build(mlflow, exp_id, a["runs"]))
    return {"exp_id": exp_id, "runs": a["runs"], "build_s": seconds}


def _build_with_fluent_api(mlflow: ModuleType, exp_id: str, runs: int) -> None:
    for i in range(runs):
        params, steps, tags = run_content(i)
        with mlflow.start_run(experiment_id=exp_id):
            mlflow.log_params(params)
            mlflow.set_tags(tags)
            for step, values in enumerate(steps):
                mlflow.log_metrics(values, step=step)


def _build_with_log_batch(mlflow: ModuleType, exp_id: str, runs: int) -> None:
    from mlflow.entities import Metric, Param, RunTag

    client = mlflow.MlflowClient()
    for i in range(runs):
        params, steps, tags = run_content(i)
        run_id = client.create_run(exp_id).info.run_id
        now = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, now, s) for s, values in enumerate(steps) for k, v in values.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )
        client.set_terminated(run_id)


def search(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """One search (the cold call), then ``a["repeats"]`` more in the same process (warm)."""
    search_runs = require(mlflow, "search_runs", "rev" if a.get("rev") else None)
    kwargs = {"experiment_ids": [a["exp_id"]], **(QUERY if a.get("filtered", True) else {})}
    if a.get("rev"):
        kwargs["rev"] = a["rev"]
    first_s, frame = timed(lambda: search_runs(**kwargs))
    warm = repeat(lambda: search_runs(**kwargs), times=a["repeats"], budget_s=a["budget_s"])
    return {"search_s": first_s, "warm_s": warm if a["repeats"] else [], "rows": len(frame),
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


# -- W5: one long metric history ------------------------------------------------------------------


def build_history(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """One run with a ``a["steps"]``-step metric (MLflow: log_batch in chunks of 1,000)."""
    mlflow.set_experiment(EXPERIMENT)
    steps = a["steps"]

    def build() -> str:
        with mlflow.start_run() as run:
            run_id = run.info.run_id
            if is_mlflow(mlflow):
                _log_history_in_batches(mlflow, run_id, steps)
            else:
                for step in range(steps):
                    mlflow.log_metric(HISTORY_KEY, 1.0 / (step + 1), step=step)
        return str(run_id)

    seconds, run_id = timed(build)
    return {"run_id": run_id, "steps": steps, "build_s": seconds}


def _log_history_in_batches(mlflow: ModuleType, run_id: str, steps: int) -> None:
    from mlflow.entities import Metric

    client = mlflow.MlflowClient()
    for start in range(0, steps, 1000):
        now = int(time.time() * 1000)
        chunk = [Metric(HISTORY_KEY, 1.0 / (s + 1), now, s) for s in range(start, min(start + 1000, steps))]
        client.log_batch(run_id, metrics=chunk)


def metric_history(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """``MlflowClient().get_metric_history`` of the long metric, repeated in one fresh process."""
    client = require(mlflow, "MlflowClient")()
    points: list[int] = []
    samples = repeat(lambda: points.append(len(client.get_metric_history(a["run_id"], HISTORY_KEY))),
                     times=a["repeats"], budget_s=a["budget_s"])  # fmt: skip
    return {"seconds": samples, "points": points[0], "peak_rss_mb": peak_rss_mb()}


# -- W7: the web UI's runs page (gittrack only) -------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# urllib would send requests for 127.0.0.1 to a proxy named by http_proxy; the UI is local.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class UIServer:
    """``gittrack ui --port 0`` started in ``root``; its URL read from stderr; stopped with Ctrl+C.

    ``start_s`` is the time from spawning the process to the URL line (imports, store, socket).
    Stderr is drained by a thread throughout, since the server logs every request there.
    """

    def __init__(self, root: Path, timeout_s: float = 60) -> None:
        executable = Path(sys.executable).parent / "gittrack"
        command = [str(executable)] if executable.exists() else [sys.executable, "-m", "gittrack"]
        self.lines: list[str] = []
        self.url: str | None = None
        seen = threading.Event()
        start = time.perf_counter()
        self.proc = subprocess.Popen(
            [*command, "ui", "--port", "0"],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

        def drain() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.lines.append(line)
                found = self.url is None and re.search(r" at (https?://\S+?)/? ", line)
                if found:
                    self.url = found.group(1)
                    seen.set()
            seen.set()  # end of stderr: the server exited

        self.reader = threading.Thread(target=drain, daemon=True)
        self.reader.start()
        seen.wait(timeout_s)
        self.start_s = time.perf_counter() - start
        if self.url is None:
            self.stop()
            raise RuntimeError(f"gittrack ui printed no URL within {timeout_s} s (exit code "
                               f"{self.proc.returncode}): {''.join(self.lines)[-2000:]}")  # fmt: skip

    def get(self, path: str) -> tuple[float, bytes]:
        """Seconds from sending the request to having read the whole body, and the body."""
        start = time.perf_counter()
        with _LOCAL.open(f"{self.url}{path}", timeout=300) as response:
            body = response.read()
        return time.perf_counter() - start, body

    def peak_rss_mb(self) -> float | None:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        return next((int(line.split()[1]) / 1024 for line in status.splitlines()
                     if line.startswith("VmHWM:")), None)  # fmt: skip

    def stop(self) -> int | None:
        """Ctrl+C (the server's own way to stop), then terminate, then kill; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self.reader.join(5)
        return self.proc.returncode

    def __enter__(self) -> UIServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _run_count(body: bytes) -> int | None:
    found = re.search(rb'id="run-count" data-count="(\d+)"', body)
    return int(found.group(1)) if found else None


def ui_page(gittrack: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """``/runs?exp=`` served by ``gittrack ui``: the first GET in new servers (cold), then
    repeated GETs, a filtered page and a headless browser's first table render in the last one."""
    page = "/runs?" + urlencode({"exp": a["experiment"]})
    filtered = "/runs?" + urlencode({"exp": a["experiment"], "filter": a["filter"]})
    result: dict[str, Any] = {"page": page, "filtered_page": filtered, "start_s": [], "cold_s": [],
                              "exit_codes": []}  # fmt: skip
    for i in range(a["cold_repeats"]):
        last = i == a["cold_repeats"] - 1 or sum(result["cold_s"]) + sum(result["start_s"]) > a["budget_s"]
        with UIServer(root) as server:
            result["start_s"].append(server.start_s)
            seconds, body = server.get(page)
            result["cold_s"].append(seconds)
            if last:
                result["html_bytes"], result["rows"] = len(body), _run_count(body)
                result["warm_s"] = [server.get(page)[0] for _ in range(a["warm_repeats"])]
                seconds, body = server.get(filtered)
                result["filtered_first_s"], result["filtered_rows"] = seconds, _run_count(body)
                result["filtered_html_bytes"] = len(body)
                result["filtered_warm_s"] = [server.get(filtered)[0] for _ in range(a["warm_repeats"])]
                result["browser"] = browser_render(f"{server.url}{page}", a["browser_repeats"])
                result["server_peak_rss_mb"] = server.peak_rss_mb()
        result["exit_codes"].append(server.proc.returncode)
        if last:
            break
    return result


def browser_render(url: str, repeats: int) -> dict[str, Any]:
    """Seconds from ``page.goto(url)`` until ``#runs-table`` is visible, in headless Chromium.

    One navigation first (untimed) fills the browser's cache with app.css and app.js, as a
    user's second visit would have; ``about:blank`` between samples so each is a new document.
    Skipped (not failed) without /usr/bin/chromium or the playwright package.
    """
    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} is missing"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": f"playwright is not installed in {sys.prefix} (bench/setup.sh installs it)"}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                tab = browser.new_page(viewport={"width": 1280, "height": 800})
                errors: list[str] = []
                tab.on("pageerror", lambda e: errors.append(str(e)))

                def render() -> None:
                    tab.goto(url, wait_until="commit")
                    tab.wait_for_selector("#runs-table", state="visible", timeout=120_000)

                render()
                samples = []
                for _ in range(repeats):
                    tab.goto("about:blank")
                    samples.append(timed(render)[0])
                return {"seconds": samples, "chromium": browser.version, "page_errors": errors}
            finally:
                browser.close()
    except Exception as exc:  # a browser that does not start is that row's error, not W7's
        import traceback

        return {"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"}


TASKS: dict[str, Callable[[ModuleType, Path, dict[str, Any]], dict[str, Any]]] = {
    "w1": w1_logging,
    "w2": w2_many_runs,
    "build_runs": build_runs,
    "search": search,
    "build_history": build_history,
    "metric_history": metric_history,
    "ui_page": ui_page,
}

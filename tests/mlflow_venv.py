"""MLflow's virtualenv for the checks of gittrack's MLflow store plugin (issue 17).

MLflow is never a gittrack dependency: it lives in ``bench/.venv`` (``bash bench/setup.sh``,
MLflow 3.17.2 with gittrack editable from this checkout, so the plugin's entry points are
there once the plugin exists).  Tests drive MLflow in subprocesses of that interpreter and skip
with :func:`missing`'s reason when it cannot run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MLFLOW_PYTHON = Path(os.environ.get("GITTRACK_MLFLOW_PYTHON", ROOT / "bench" / ".venv" / "bin" / "python"))
MLFLOW_CLI = MLFLOW_PYTHON.parent / "mlflow"
QUIET = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
    "MLFLOW_ALLOW_FILE_STORE": "true",
    "PYTHONWARNINGS": "ignore",
}
# The plugin is there when its tracking store is; a missing registry store or artifact
# repository then fails the tests that need them, rather than skipping them.
_ENTRY_POINTS = (
    "import importlib.metadata as m, json\n"
    "print(json.dumps({g: any(e.name == 'gittrack' for e in m.entry_points(group=g))\n"
    "    for g in ('mlflow.tracking_store',)}))\n"
)


def missing(plugin: bool = True) -> str | None:
    """Why MLflow (and, with ``plugin``, gittrack's store plugin in it) cannot run here, or None."""
    if not MLFLOW_PYTHON.exists():
        return f"MLflow's virtualenv {MLFLOW_PYTHON} is missing: run bash bench/setup.sh"
    if not plugin:
        return None
    done = subprocess.run([str(MLFLOW_PYTHON), "-c", _ENTRY_POINTS], capture_output=True, text=True)
    found = json.loads(done.stdout or "{}")
    absent = [group for group, present in found.items() if not present]
    if done.returncode != 0 or absent:
        return (
            f"gittrack's MLflow store plugin is not installed in {MLFLOW_PYTHON}: no 'gittrack' entry point "
            f"in {absent or 'any group'} (bench/.venv/bin/pip install -e . once the plugin is in this branch)"
        )
    return None


def mlflow_env(**extra: str) -> dict[str, str]:
    """This environment without gittrack's and MLflow's settings, MLflow quiet and offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITTRACK_", "MLFLOW_"))}
    env.pop("PYTHONPATH", None)  # bench/.venv has gittrack installed from this checkout
    return env | QUIET | extra


def run_mlflow(
    code: str, cwd: Path, *, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``code`` under MLflow's interpreter in ``cwd``."""
    return subprocess.run(
        [str(MLFLOW_PYTHON), "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env if env is not None else mlflow_env(),
        timeout=timeout,
    )


def last_json(done: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a child printed on its last line; fails with its stderr when it did not."""
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def mlflow_server(
    backend_uri: str, cwd: Path, log: Path, *, command_name: str = "ui", timeout: float = 180
) -> Iterator[str]:
    """``mlflow ui --backend-store-uri backend_uri`` (in MLflow 3.17 the same command as ``mlflow
    server``) on 127.0.0.1 (a free port), one worker; yields its base URL once ``/health``
    answers, and stops it (its whole process group) after."""
    port = free_port()
    command = [str(MLFLOW_CLI), command_name, "--backend-store-uri", backend_uri]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=cwd, env=mlflow_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, log, timeout)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"mlflow server exited {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"mlflow server did not answer /health within {timeout} s:\n{log.read_text()[-4000:]}")


def api(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A REST call: GET without ``body``, POST with it; the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())

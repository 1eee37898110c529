"""The web UI over a real store, through real HTTP on 127.0.0.1 (no browser).

Covers every page, escaping of run-supplied text, artifact path traversal, the
read-only guarantee, inline filter errors, damaged runs and the ``gittrack ui`` CLI.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from helpers import git, invoke, tree_snapshot

import gittrack
from gittrack.store.config import load_config
from gittrack.ui.app import App
from gittrack.ui.server import make_server

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"'><svg onload=alert(1)>",
)


@contextmanager
def serving(store: Path, rev: str | None = None) -> Iterator[str]:
    """The UI on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = make_server(App(store, load_config(), rev), "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url.rstrip("/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def request(
    base: str,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Send ``path`` exactly as given (no client-side normalisation of ``..``)."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = b"x=1"
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def get(base: str, path: str) -> tuple[int, str]:
    status, _headers, body = request(base, path)
    return status, body.decode("utf-8")


def make_runs(repo: Path) -> dict[str, str]:
    """A store of four runs whose names, values, keys and files carry XSS payloads."""
    gittrack.set_experiment("vision")
    ids: dict[str, str] = {}
    (repo / "train.py").write_text("print('changed')\n")  # dirty tree: runs record a git.diff
    for i, name in enumerate(["alpha", PAYLOADS[1], "gamma"]):
        with gittrack.start_run(run_name=name) as run:
            gittrack.log_params({"lr": 0.1 * (i + 1), "model": PAYLOADS[0] if i else "xgb", "depth": i})
            gittrack.set_tag("note", PAYLOADS[2])
            for step in range(10 + i):
                gittrack.log_metric("val_loss", 1.0 / (step + 1 + i), step=step)
                gittrack.log_metric("accuracy", 1 - 1.0 / (step + 2 + i), step=step)
            gittrack.log_text("hello\n", "notes/readme.txt")
            gittrack.log_text("a,b\n" + "".join(f"{n},{PAYLOADS[0]}\n" for n in range(150)), "table.csv")
            gittrack.log_dict({"key": PAYLOADS[2]}, "config.yaml")
            ids[name] = run.info.run_id
    gittrack.set_experiment(PAYLOADS[2])
    with gittrack.start_run(run_name="other") as run:
        gittrack.log_metric("accuracy", 0.5)
        ids["other"] = run.info.run_id
    _hand_edit(repo / ".runs" / ids["alpha"])
    return ids


def _hand_edit(run_dir: Path) -> None:
    """Keys and file names the API would refuse, as a hand-edited or foreign store may hold."""
    with open(run_dir / "params.yaml", "a") as f:
        f.write(f"{json.dumps(PAYLOADS[0])}: {json.dumps(PAYLOADS[1])}\n")
    with open(run_dir / "tags.yaml", "a") as f:
        f.write(f"{json.dumps(PAYLOADS[2])}: x\n")
    metric = run_dir / "metrics" / f"{PAYLOADS[0]}.csv"  # "/" in the payload: a sub-folder
    metric.parent.mkdir(parents=True)
    metric.write_text("step,timestamp,value\n0,1700000000000,1.5\n")
    for payload in PAYLOADS[1:]:
        (run_dir / "artifacts" / f"{payload}.txt").write_text(payload)


@pytest.fixture
def runs(repo: Path) -> dict[str, str]:
    return make_runs(repo)


@pytest.fixture
def base(repo: Path, runs: dict[str, str]) -> Iterator[str]:
    with serving(repo / ".runs") as url:
        yield url


def run_path(run_id: str, *rest: str) -> str:
    return "/runs/" + quote(run_id, safe="") + "".join("/" + quote(r, safe="/") for r in rest)


def all_pages(runs: dict[str, str]) -> list[str]:
    alpha, bad = runs["alpha"], runs[PAYLOADS[1]]
    compare = urlencode([("run", alpha), ("run", bad), ("run", runs["gamma"])])
    pages = [
        "/",
        "/runs",
        "/runs?" + urlencode({"exp": "vision"}),
        "/runs?" + urlencode({"exp": PAYLOADS[2]}),
        "/runs?" + urlencode({"filter": "params.depth >= 1", "sort": "metrics.val_loss", "dir": "asc"}),
        "/runs?" + urlencode([("col", "params." + PAYLOADS[0]), ("col", "tags.note"), ("filter", "")]),
        "/runs?" + urlencode({"filter": "params.model = '" + PAYLOADS[0] + "'", "partial": "1"}),
        "/runs?" + urlencode({"filter": PAYLOADS[1]}),
        "/compare?" + compare,
        "/history",
        "/history?" + urlencode({"exp": "vision", "metric": "accuracy"}),
    ]
    for run_id in (alpha, bad):
        pages += [run_path(run_id), run_path(run_id, "metrics.json"), run_path(run_id, "diff")]
        pages += [run_path(run_id, "preview", p) for p in ("notes/readme.txt", "table.csv", "config.yaml")]
    pages += [run_path(alpha, "preview", f"{p}.txt") for p in PAYLOADS[1:]]
    return pages


def test_every_page_answers_200(base: str, runs: dict[str, str]) -> None:
    for page in all_pages(runs):
        status, body = get(base, page)
        assert status == 200, (page, body[:300])
    for asset in ("/static/app.js", "/static/app.css", "/static/plotly.min.js"):
        status, headers, body = request(base, asset)
        assert status == 200 and len(body) > 1000, asset
        assert headers["content-type"].startswith("text/css" if asset.endswith(".css") else "text/javascript")


def test_run_supplied_text_is_always_escaped(base: str, runs: dict[str, str]) -> None:
    bodies = {page: get(base, page)[1] for page in all_pages(runs)}
    for page, body in bodies.items():
        for payload in PAYLOADS:
            assert payload not in body, (page, payload)
        assert "<svg onload" not in body and "<img src=x" not in body, page
    run_page = bodies[run_path(runs["alpha"])]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in run_page  # the hand-written param key, as text
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in run_page  # the metric name, in JSON
    assert "&lt;img src=x onerror=alert(1)&gt;" in bodies["/runs"]  # a run name
    assert "&#39;&gt;&lt;svg onload=alert(1)&gt;" in bodies["/"]  # the experiment name


def test_pages_show_what_the_store_holds(base: str, runs: dict[str, str]) -> None:
    _, home = get(base, "/")
    assert re.search(r"vision</a></td><td>3</td>", home)
    assert "val_loss ↓" in home and "accuracy ↑" in home
    _, page = get(base, "/runs?" + urlencode({"exp": "vision"}))
    assert 'data-count="3"' in page and page.count('class="pick"') == 3
    _, page = get(base, run_path(runs["alpha"]))
    data = json.loads(re.search(r'id="page-data">(.*?)</script>', page).group(1))  # type: ignore[union-attr]
    charts = {c["metric"]: c for c in data["charts"]}
    assert len(charts["val_loss"]["traces"][0]["step"]) == 10
    assert data["poll"] is None and "FINISHED" in page
    _, diff = get(base, run_path(runs["alpha"], "diff"))
    assert '<span class="add">+print(&#39;changed&#39;)</span>' in diff
    _, preview = get(base, run_path(runs["alpha"], "preview", "table.csv"))
    assert preview.count("<tr>") == 101 and "first 100 rows" in preview  # header + 100 rows
    status, headers, body = request(base, run_path(runs["alpha"], "artifacts", "notes/readme.txt"))
    assert status == 200 and body == b"hello\n"
    assert (
        headers["content-disposition"].startswith("attachment;")
        and "sandbox" in headers["content-security-policy"]
    )
    _, history = get(base, "/history?" + urlencode({"metric": "val_loss"}))
    assert 'id="history-table"' in history and "best run" in history


def test_filter_error_is_shown_inline(base: str) -> None:
    status, page = get(base, "/runs?" + urlencode({"filter": "metrics.val_loss < 'x' and"}))
    assert status == 200
    match = re.search(r'<div class="error" id="filter-error" data-column="(\d+)">(.*?)<', page)
    assert match and match.group(2).startswith("filter error at column ")
    assert 'data-count="0"' in page
    status, page = get(base, "/runs?" + urlencode({"filter": "params.depth >= 1", "partial": "1"}))
    assert status == 200 and 'data-count="2"' in page and not page.startswith("<!doctype")


ESCAPES = [
    "artifacts/../meta.yaml",
    "artifacts/..%2fmeta.yaml",
    "artifacts/%2e%2e/meta.yaml",
    "artifacts/%2e%2e%2fmeta.yaml",
    "artifacts/%252e%252e/meta.yaml",
    "artifacts/%252e%252e%252fmeta.yaml",
    "artifacts/notes/../../meta.yaml",
    "artifacts//etc/passwd",
    "artifacts/%2fetc%2fpasswd",
    "artifacts/..%5cmeta.yaml",
    "artifacts/C:%5cWindows",
    "artifacts/outside-link",
    "artifacts/notes/passwd-link",
    "artifacts/dir-link/meta.yaml",
    "artifacts/",
    "artifacts/notes",
    "preview/../meta.yaml",
    "preview/%2e%2e/meta.yaml",
    "preview/%252e%252e/meta.yaml",
    "preview/outside-link",
    "preview/%2fetc%2fpasswd",
]


def test_artifact_paths_cannot_leave_the_artifacts_folder(
    repo: Path, base: str, runs: dict[str, str]
) -> None:
    run_dir = repo / ".runs" / runs["alpha"]
    (run_dir / "artifacts" / "outside-link").symlink_to(run_dir / "meta.yaml")
    (run_dir / "artifacts" / "notes" / "passwd-link").symlink_to("/etc/passwd")
    (run_dir / "artifacts" / "dir-link").symlink_to(run_dir)
    prefix = "/runs/" + runs["alpha"] + "/"
    for tail in ESCAPES:
        status, _headers, body = request(base, prefix + tail)
        assert status == 404, tail
        assert b"run_id" not in body and b"root:" not in body, tail
    for path in ("/runs/..%2f..%2fetc/artifacts/passwd", "/runs/%2e%2e/artifacts/x", "/runs/../etc/passwd"):
        assert request(base, path)[0] == 404, path
    assert request(base, prefix + "artifacts/notes/readme.txt")[0] == 200  # the real file still works


def test_only_get_and_head_change_nothing(repo: Path, base: str, runs: dict[str, str]) -> None:
    get(base, "/")  # warm the (git-ignored) index so that nothing below has a reason to write
    before = tree_snapshot(repo / ".runs")
    targets = [
        "/",
        "/runs",
        run_path(runs["alpha"]),
        run_path(runs["alpha"], "artifacts", "notes/readme.txt"),
    ]
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for target in targets:
            status, headers, body = request(base, target, method)
            assert status == 405 and headers["allow"] == "GET, HEAD", (method, target)
            assert b"read-only" in body
    status, headers, body = request(base, "/runs", "HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert tree_snapshot(repo / ".runs") == before


def test_unknown_things_are_404(base: str, runs: dict[str, str]) -> None:
    for path in (
        "/nope",
        "/runs/no-such-run",
        "/runs/" + runs["alpha"] + "/nope",
        "/static/../pyproject.toml",
    ):
        status, body = get(base, path)
        assert status == 404, path
        assert "Traceback" not in body
    status, body = get(base, "/compare?" + urlencode({"run": runs["alpha"]}))
    assert status == 400 and "between 2 and 10" in body


def test_foreign_host_header_is_refused(base: str) -> None:
    status, _headers, _body = request(base, "/", headers={"Host": "attacker.example:5000"})
    assert status == 400  # DNS rebinding: a page elsewhere cannot read runs through us
    assert request(base, "/", headers={"Host": "localhost:5000"})[0] == 200


def test_a_damaged_run_is_a_warning_and_the_others_are_listed(
    repo: Path, base: str, runs: dict[str, str]
) -> None:
    bad = repo / ".runs" / "20200101-000000-bad000"
    bad.mkdir()
    (bad / "meta.yaml").write_text("run_id: [unclosed\n  : : garbage")
    for page in ("/", "/runs"):
        status, body = get(base, page)
        assert status == 200 and "Warnings" in body and "skipping run 20200101-000000-bad000" in body
        assert "gamma" in body or "vision" in body
        assert "Traceback" not in body
    status, body = get(base, "/runs/20200101-000000-bad000")
    assert status == 404 and "meta.yaml" in body


def test_an_internal_error_shows_no_details(
    base: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from gittrack.ui.pages import experiments

    def broken(*_args: object) -> None:
        raise RuntimeError("secret detail /home/user/key")

    monkeypatch.setattr(experiments, "render", broken)
    status, body = get(base, "/")
    assert status == 500 and "internal error" in body
    assert "secret detail" not in body and "Traceback" not in body
    assert "Traceback" in capfd.readouterr().err  # logged for the person running the server


def test_changes_show_on_reload_and_a_running_run_polls(repo: Path, base: str) -> None:
    gittrack.set_experiment("live")
    run = gittrack.start_run(run_name="live-run")
    try:
        gittrack.log_metric("loss", 1.0, step=0)
        run_id = run.info.run_id
        _, page = get(base, "/runs?" + urlencode({"exp": "live"}))
        assert "live-run" in page and "RUNNING" in page
        _, page = get(base, run_path(run_id))
        data = json.loads(re.search(r'id="page-data">(.*?)</script>', page).group(1))  # type: ignore[union-attr]
        assert data["poll"] == run_path(run_id, "metrics.json")
        gittrack.log_metric("loss", 0.5, step=1)
        _, fresh = get(base, data["poll"])
        assert json.loads(fresh)["charts"][0]["traces"][0]["value"] == [1.0, 0.5]
    finally:
        gittrack.end_run()
    assert json.loads(get(base, run_path(run_id, "metrics.json"))[1])["status"] == "FINISHED"


def test_a_running_run_page_polls_its_metrics_table_too(repo: Path, base: str) -> None:
    gittrack.set_experiment("live")
    with gittrack.start_run(run_name="live-run") as run:
        gittrack.log_metric("loss", 1.0, step=0)
        poll = run_path(run.info.run_id, "metrics.json")
        first = json.loads(get(base, poll)[1])["summary"]
        gittrack.log_metric("loss", 0.5, step=1)
        second = json.loads(get(base, poll)[1])["summary"]
    cells = r"<td>loss <span class=\"muted\">↓</span></td>" + r"<td><span[^>]*>([^<]*)</span></td>" * 5
    assert re.search(cells, first).groups() == ("1", "1", "1", "1", "0")  # type: ignore[union-attr]
    assert re.search(cells, second).groups() == ("0.5", "0.5", "1", "2", "1")  # type: ignore[union-attr]


def test_compare_shows_dirty_commits_and_names_the_runs_left_out(
    repo: Path, base: str, runs: dict[str, str]
) -> None:
    gittrack.set_experiment("many")
    extra = []
    for i in range(9):
        with gittrack.start_run(run_name=f"many-{i}") as run:
            gittrack.log_metric("loss", float(i))
        extra.append(run.info.run_id)
    asked = [runs["alpha"], runs["gamma"], runs["other"], *extra]  # twelve runs
    status, page = get(base, "/compare?" + urlencode([("run", r) for r in asked]))
    assert status == 200 and "<h1>Compare 10 runs</h1>" in page
    notice = re.search(r'id="compare-capped"[^>]*>(.*?)</p>', page, re.S)
    assert notice and "at most 10 runs" in notice.group(1)
    assert [r for r in asked if r in notice.group(1)] == asked[10:]
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert f'<span class="mono" title="{commit}">{commit[:8]}*</span>' in page  # dirty, as in ls
    status, page = get(base, "/compare?" + urlencode([("run", r) for r in asked[:3]]))
    assert status == 200 and 'id="compare-capped"' not in page


def test_a_revision_is_read_from_git(repo: Path, runs: dict[str, str]) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "runs")
    with serving(repo / ".runs", rev="HEAD") as url:
        for page in ("/", "/runs", run_path(runs["alpha"]), "/history"):
            assert get(url, page)[0] == 200, page
        status, _headers, body = request(url, run_path(runs["alpha"], "artifacts", "notes/readme.txt"))
        assert status == 200 and body == b"hello\n"
        assert request(url, run_path(runs["alpha"], "artifacts", "%2e%2e/meta.yaml"))[0] == 404
        assert "print(&#39;changed&#39;)" in get(url, run_path(runs["alpha"], "diff"))[1]


def test_cli_says_in_one_line_when_the_port_is_taken(repo: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke("ui", "--port", str(port))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(rf"Error: port {port} on 127\.0\.0\.1 is already in use; try --port \d+", lines[0])


def test_cli_warns_when_listening_beyond_this_machine(repo: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gittrack", "ui", "--host", "0.0.0.0", "--port", "0"],
        cwd=repo,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("serving" in line for line in lines):
            line = proc.stderr.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line)
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()  # type: ignore[union-attr]
    text = "".join(lines)
    assert "Warning: listening on 0.0.0.0: anyone who can reach this machine can read every run" in text
    assert re.search(r"serving .* at http://0\.0\.0\.0:\d+/", text)


# -- edits ----------------------------------------------------------------------------------


def token_of(base: str, run_id: str) -> str:
    """The CSRF token the run page embeds in its forms."""
    _, page = get(base, run_path(run_id))
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the run page has no edit forms"
    return found.group(1)


def post(
    base: str,
    path: str,
    fields: dict[str, str],
    *,
    origin: str | None = "",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A form POST as the UI's own pages send it (``origin=""``: the server's own origin)."""
    sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    if origin is not None:
        sent["Origin"] = origin or base
    return request(base, path, "POST", sent, urlencode(fields).encode("utf-8"))


def run_files(repo: Path) -> dict[str, bytes]:
    """Every run file (the git-ignored index left out)."""
    return {k: v for k, v in tree_snapshot(repo / ".runs").items() if not k.startswith(".cache/")}


def committed(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "runs")


def changed_files(repo: Path) -> list[str]:
    """What ``git status`` reports as changed or new (paths from the top of the repository)."""
    return sorted(line.split(maxsplit=1)[1] for line in git(repo, "status", "--porcelain").splitlines())


def test_tags_and_deletion_are_edited_in_the_run_files(repo: Path, base: str, runs: dict[str, str]) -> None:
    committed(repo)
    run_id = runs["gamma"]
    token = token_of(base, run_id)
    status, headers, _ = post(
        base, run_path(run_id, "tags"), {"csrf": token, "key": "stage", "value": "<b>prod</b>"}
    )
    assert status == 303 and headers["location"] == run_path(run_id)
    assert changed_files(repo) == [f".runs/{run_id}/tags.yaml"]
    _, page = get(base, run_path(run_id))
    assert 'value="&lt;b&gt;prod&lt;/b&gt;"' in page  # the new tag, in its edit box
    post(base, run_path(run_id, "tags"), {"csrf": token, "key": "stage", "value": "staging"})
    assert gittrack.get_run(run_id).data.tags["stage"] == "staging"

    status, headers, _ = post(base, run_path(run_id, "delete"), {"csrf": token})
    assert status == 303 and headers["location"] == run_path(run_id)
    assert f".runs/{run_id}/meta.yaml" in changed_files(repo)
    _, page = get(base, run_path(run_id))
    assert 'id="deleted-notice"' in page and "Restore run" in page
    assert run_id not in get(base, "/runs")[1]
    assert post(base, run_path(run_id, "restore"), {"csrf": token})[0] == 303
    assert run_id in get(base, "/runs")[1]


def test_rename_a_run_and_edit_its_note(repo: Path, base: str, runs: dict[str, str]) -> None:
    committed(repo)
    run_id = runs["gamma"]
    token = token_of(base, run_id)
    assert post(base, run_path(run_id, "rename"), {"csrf": token, "name": "  gamma-2  "})[0] == 303
    assert changed_files(repo) == [f".runs/{run_id}/meta.yaml"]
    assert gittrack.get_run(run_id).info.run_name == "gamma-2"
    assert '<h1 id="run-name">gamma-2 ' in get(base, run_path(run_id))[1]
    note = "Better than beta.\r\n<script>alert(1)</script>"
    assert post(base, run_path(run_id, "note"), {"csrf": token, "note": note})[0] == 303
    assert gittrack.get_run(run_id).data.tags["mlflow.note.content"] == note.replace("\r\n", "\n")
    page = get(base, run_path(run_id))[1]
    assert "Better than beta.\n&lt;script&gt;alert(1)&lt;/script&gt;</div>" in page
    assert post(base, run_path(run_id, "note"), {"csrf": token, "note": "  "})[0] == 303
    assert "mlflow.note.content" not in gittrack.get_run(run_id).data.tags
    assert post(base, run_path(run_id, "tags", "delete"), {"csrf": token, "key": "note"})[0] == 303
    assert "note" not in gittrack.get_run(run_id).data.tags


def test_a_refused_edit_is_shown_on_the_page_and_writes_nothing(
    repo: Path, base: str, runs: dict[str, str]
) -> None:
    run_id = runs["gamma"]
    token = token_of(base, run_id)
    before = run_files(repo)
    for action, fields, message in [
        ("tags", {"key": "../up", "value": "x"}, "tag name &#39;../up&#39;"),
        ("tags", {"key": "", "value": "x"}, "tag name"),
        ("rename", {"name": "   "}, "a run needs a name"),
        ("tags/delete", {"key": "no-such-tag"}, "No tag with name: no-such-tag"),
    ]:
        status, _headers, body = post(base, run_path(run_id, action), {"csrf": token, **fields})
        page = body.decode("utf-8")
        assert status == 400, (action, fields)
        error = re.search(r'<div class="error" id="edit-error" role="alert">Not saved: (.*?)</div>', page)
        assert error and message in error.group(1), (fields, page[:500])
        assert 'id="run-name"' in page  # the run page itself, with the message on top
    assert run_files(repo) == before


def test_edits_need_this_ui_s_origin_and_token(repo: Path, base: str, runs: dict[str, str]) -> None:
    run_id = runs["gamma"]
    token = token_of(base, run_id)
    target = run_path(run_id, "tags")
    fields = {"key": "stage", "value": "prod"}
    port = base.rsplit(":", 1)[1]
    get(base, "/")  # warm the index
    before = run_files(repo)
    refused = [
        post(base, target, fields),  # no token
        post(base, target, {**fields, "csrf": token[:-1]}),  # a wrong token
        post(base, target, {**fields, "csrf": ""}),
        post(base, target, {**fields, "csrf": token}, origin="http://attacker.example"),
        post(base, target, {**fields, "csrf": token}, origin=f"http://attacker.example:{port}"),
        post(base, target, {**fields, "csrf": token}, origin="null"),
        post(base, target, {**fields, "csrf": token}, origin=None),  # neither Origin nor Referer
        post(base, target, {**fields, "csrf": token}, origin=None, headers={"Referer": "http://evil/x"}),
    ]
    assert [status for status, _h, _b in refused] == [403] * len(refused)
    assert all(b"refused" in body for _s, _h, body in refused)
    wrong_kind = {"Content-Type": "text/plain"}
    assert post(base, target, {**fields, "csrf": token}, headers=wrong_kind)[0] == 415
    many = {f"f{i}": "x" for i in range(200)}
    assert post(base, target, {**fields, **many, "csrf": token})[0] == 400
    status, _headers, _body = request(base, target + "?" + urlencode({**fields, "csrf": token}))
    assert status == 404  # GET never edits
    assert run_files(repo) == before
    referer = {"Referer": base + run_path(run_id)}  # a browser that sends no Origin
    assert post(base, target, {**fields, "csrf": token}, origin=None, headers=referer)[0] == 303
    assert post(base, target, {**fields, "csrf": token}, origin=f"http://localhost:{port}")[0] == 303
    assert gittrack.get_run(run_id).data.tags["stage"] == "prod"


def test_at_a_revision_or_beyond_this_machine_the_ui_is_read_only(repo: Path, runs: dict[str, str]) -> None:
    committed(repo)
    run_id = runs["gamma"]
    before = run_files(repo)
    with serving(repo / ".runs", rev="HEAD") as url:
        page = get(url, run_path(run_id))[1]
        assert 'method="post"' not in page and 'name="csrf"' not in page
        for action in ("rename", "tags", "delete"):
            status, headers, body = post(url, run_path(run_id, action), {"csrf": "x", "name": "y"})
            assert status == 405 and headers["allow"] == "GET, HEAD", action
            assert b"git revision cannot be edited" in body
    assert run_files(repo) == before
    app = App(repo / ".runs", load_config())
    server = make_server(app, "0.0.0.0", 0, quiet=True)
    server.server_close()
    assert app.edits is False

"""Regenerate docs/screenshots/*.png from a realistic demo repository.

Builds a throwaway git repo with a few commits of examples/train.py and their runs,
serves it with `gittrack ui --port 0`, and screenshots each page in headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright).  Usage:

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote, urlencode

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] + [
    f"--disable-{x}" for x in ("background-networking", "component-update", "sync")
]
IDENTITY = {"NAME": "gittrack demo", "EMAIL": "demo@example.com"}
ENV = {
    **os.environ,
    "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",  # the venv's gittrack first
    **{f"GIT_{who}_{key}": v for who in ("AUTHOR", "COMMITTER") for key, v in IDENTITY.items()},
}
# The second experiment: a toy classifier logged inline, with a loss curve and two artifacts.
CLASSIFIER = """
import math, sys
import gittrack as mlflow
model, width = sys.argv[1], int(sys.argv[2])
mlflow.set_experiment("classifier")
with mlflow.start_run(run_name=f"{model}-w{width}"):
    mlflow.log_params({"model": model, "width": width, "optimizer": "adam"})
    for step in range(50):
        mlflow.log_metric("loss", 0.15 + 16 / width * math.exp(-step / 12), step=step)
    mlflow.log_metric("accuracy", round(0.97 - 0.4 / width, 4))
    mlflow.log_text(f"# {model}\\n\\nHidden width {width}; early stopping off.\\n", "notes.md")
    mlflow.log_dict({"data": {"dataset": "two-moons", "samples": 2000, "val_split": 0.2, "seed": 0},
        "model": {"kind": model, "layers": [width, width], "activation": "relu", "dropout": 0.1},
        "optimizer": {"name": "adam", "lr": 0.001, "weight_decay": 0.0001},
        "training": {"steps": 50, "batch_size": 64, "early_stopping": False}}, "config.yaml")
"""


def sh(repo: Path, *args: str) -> str:
    return subprocess.run(args, cwd=repo, env=ENV, check=True, capture_output=True, text=True).stdout


def train(repo: Path, grid: list[tuple[float, int]], message: str) -> None:
    """Commit the script as it is now, run it over ``grid``, then commit the runs."""
    sh(repo, "git", "commit", "-qam", message)
    for lr, epochs in grid:
        sh(repo, sys.executable, "train.py", str(lr), str(epochs))
    sh(repo, "gittrack", "commit", "--all-finished")


def edit(path: Path, *changes: tuple[str, str]) -> None:
    text = path.read_text()
    for old, new in changes:
        assert old in text, f"{old!r} not in {path}"
        text = text.replace(old, new)
    path.write_text(text)


def build_demo(repo: Path) -> None:
    sh(repo, "git", "init", "-q", "-b", "main")
    script = repo / "train.py"
    shutil.copy(ROOT / "examples" / "train.py", script)
    sh(repo, "gittrack", "init")
    sh(repo, "git", "add", "-A")
    train(repo, [(lr, e) for lr in (0.03, 0.1, 0.3) for e in (40, 80)], "Add training script")
    edit(script, ("w = b = 0.0", "w, b = 1.0, 1.0"), ('name=f"lr', 'name=f"warm-lr'))
    train(repo, [(0.1, 40), (0.3, 40), (0.3, 80)], "Warm-start the weights at 1.0")
    edit(script, ("range(200)", "range(400)"), ("synthetic-200", "synthetic-400"), ("warm-", "n400-"))
    train(repo, [(0.3, 40), (0.3, 80)], "Train on 400 samples")
    for model, width in [("mlp", 32), ("mlp", 128)]:
        sh(repo, sys.executable, "-c", CLASSIFIER, model, str(width))
    sh(repo, "gittrack", "commit", "--all-finished")


def run_ids(repo: Path, *command: str) -> dict[str, str]:
    """Run name -> run id, in the order a `gittrack ls`/`best` CSV lists them."""
    rows = csv.DictReader(sh(repo, "gittrack", *command, "--format", "csv").splitlines())
    return {row["name"]: row["id"] for row in rows}


def wait_charts(page: Page, top: str = "") -> None:
    """Wait until plotly drew every chart; then scroll the heading ``top`` up so the charts show whole."""
    for chart in page.locator(".chart").all():
        chart.locator(".main-svg").first.wait_for()
    page.wait_for_timeout(300)  # let plotly finish its first layout pass
    if top:
        page.evaluate("s => scrollBy(0, document.querySelector(s).getBoundingClientRect().top - 16)", top)


def screenshots(repo: Path, url: str) -> list[Path]:
    best_run = next(iter(run_ids(repo, "best", "-m", "rmse", "-e", "linear-fit").values()))
    names = run_ids(repo, "ls")
    three = [names[f"lr{lr}-e80"] for lr in (0.03, 0.1, 0.3)]  # one curve per learning rate
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def shot(name: str) -> Path:
            path = SHOTS / f"{name}.png"
            page.screenshot(path=str(path))
            return path

        page.goto(url + "/")
        page.wait_for_selector("#experiments-table")
        written = [shot("experiments")]
        columns = ["params.lr", "params.epochs", "metrics.rmse", "metrics.train/mse"]
        query = [("exp", "linear-fit"), ("sort", "metrics.rmse"), ("dir", "asc")]
        page.goto(url + "/runs?" + urlencode(query + [("col", c) for c in columns]))
        for run_id in three:
            page.check(f'input.pick[value="{run_id}"]')
        page.evaluate("window.scrollTo(0, 0)")  # checking scrolled down to the last box
        page.mouse.move(1270, 790)  # no row hover highlight
        written.append(shot("runs"))
        page.click("#compare-button")
        page.wait_for_url("**/compare?**")
        page.check("#only-diff")
        wait_charts(page, top="label.toggle")  # "only rows that differ", above the params
        written.append(shot("compare"))
        page.goto(url + "/runs/" + quote(best_run, safe=""))
        wait_charts(page, top="#metrics")
        written.append(shot("run"))
        page.goto(url + "/history?" + urlencode({"exp": "linear-fit", "metric": "rmse"}))
        wait_charts(page)
        written.append(shot("history"))
        page.goto(url + "/runs/" + quote(names["mlp-w128"], safe="") + "/preview/config.yaml")
        written.append(shot("artifact"))
        browser.close()
    return written


def main() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gittrack-shots.") as tmp:
        repo = Path(tmp) / "demo"
        repo.mkdir()
        build_demo(repo)
        server = subprocess.Popen(
            ["gittrack", "ui", "--port", "0"], cwd=repo, env=ENV, stderr=subprocess.PIPE, text=True
        )
        try:
            assert server.stderr is not None
            line = server.stderr.readline()
            found = re.search(r"http://[^/\s]+", line)
            if not found:
                raise SystemExit(f"gittrack ui did not start: {line}{server.stderr.read()}")
            threading.Thread(target=server.stderr.read, daemon=True).start()  # drain the access log
            written = screenshots(repo, found.group(0))
        finally:
            server.terminate()
            server.wait(10)
    print("\n".join(str(p.relative_to(ROOT)) for p in written))


if __name__ == "__main__":
    main()

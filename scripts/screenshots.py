"""Regenerate docs/screenshots/*.png from a realistic demo repository.

Builds a throwaway git repo with a few commits of examples/train.py and their runs,
a scikit-learn experiment with models, datasets and figures (two versions registered),
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

# The third: scikit-learn models with their data, a figure and a table, two of them registered.
REGRESSOR = """
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np, pandas as pd
from sklearn.linear_model import Ridge
import gittrack as mlflow
alpha = float(sys.argv[1])
rng = np.random.default_rng(0)
X = pd.DataFrame({"sqft": rng.uniform(40, 200, 400), "rooms": rng.integers(1, 7, 400).astype(float),
    "age": rng.uniform(0, 80, 400)})
y = 2.5 * X["sqft"] + 12 * X["rooms"] - 0.8 * X["age"] + rng.normal(0, 25, 400)
train, val = slice(0, 300), slice(300, 400)
mlflow.set_experiment("house-prices")
with mlflow.start_run(run_name=f"ridge-a{alpha:g}"):
    mlflow.log_params({"model": "ridge", "alpha": alpha})
    mlflow.log_input(mlflow.data.from_pandas(X[train].assign(price=y[train]), source="data/houses.csv",
        name="houses-train"), context="training")
    mlflow.log_input(mlflow.data.from_pandas(X[val].assign(price=y[val]), source="data/houses.csv",
        name="houses-val"), context="validation")
    model = Ridge(alpha=alpha * 3000).fit(X[train], y[train])
    residuals = y[val] - model.predict(X[val])
    mlflow.log_metrics({"val_rmse": float(np.sqrt(np.mean(residuals ** 2))),
        "train_rmse": float(np.sqrt(np.mean((y[train] - model.predict(X[train])) ** 2)))})
    fig, ax = plt.subplots(figsize=(4, 2.6))
    ax.scatter(model.predict(X[val]), residuals, s=6)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("predicted price"); ax.set_ylabel("residual"); fig.tight_layout()
    mlflow.log_figure(fig, "plots/residuals.png")
    mlflow.log_table({"feature": list(X.columns), "coefficient": [round(c, 3) for c in model.coef_]},
        "coefficients.json")
    mlflow.sklearn.log_model(model, artifact_path="model", input_example=X[val].head(3))
"""
REGISTER = """
import gittrack as mlflow
client = mlflow.MlflowClient()
runs = mlflow.search_runs(experiment_names=["house-prices"], order_by=["metrics.val_rmse ASC"])
for run_id in reversed(list(runs["run_id"])[:2]):
    mlflow.register_model(f"runs:/{run_id}/model", "house-price")
client.update_registered_model("house-price", description="Ridge regression on the houses data")
client.update_model_version("house-price", 2, description="best val_rmse of the alpha sweep")
client.set_model_version_tag("house-price", 2, "reviewed", "yes")
client.transition_model_version_stage("house-price", 1, "Staging")
client.set_registered_model_alias("house-price", "champion", 2)
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
    for alpha in ("0.1", "1", "10"):
        sh(repo, sys.executable, "-c", REGRESSOR, alpha)
    sh(repo, sys.executable, "-c", REGISTER)
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
        page.goto(url + "/models/house-price")
        page.wait_for_selector("#versions-table")
        written.append(shot("models"))
        page.click("#v2 a.run")
        page.wait_for_selector("#models .model-card")
        page.evaluate("scrollBy(0, document.querySelector('#models').getBoundingClientRect().top - 16)")
        written.append(shot("run-model"))
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

"""Which way a metric gets better (gittrack.query.directions): config first, then the name, else max."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gittrack.errors import ConfigError
from gittrack.query.directions import best, direction, guess, is_better, primary_metric, validation_rank
from gittrack.store.config import load_config

NAN = math.nan


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("loss", "min"),
        ("val_loss", "min"),
        ("train/rmse", "min"),
        ("test-accuracy", "max"),
        ("eval.f1", "max"),
        ("MAE", "min"),
        ("val/MSE", "min"),
        ("error", "min"),
        ("acc", "max"),
        ("auc", "max"),
        ("precision", "max"),
        ("recall", "max"),
        ("r2", "max"),
        ("f1_score", "max"),
        ("val loss", "min"),  # names may hold spaces
        ("loss/train", "min"),  # no word in the last segment: the earlier segments decide
        ("val_acc_loss", "min"),  # the last part wins over earlier ones
        ("reward", "max"),  # says nothing: higher is better
        ("epoch_time", "max"),
        ("glossary", "max"),  # words match whole parts, never inside a word
        ("lossless", "max"),
        ("errors", "max"),
    ],
)
def test_direction_from_the_name(repo: Path, metric: str, expected: str) -> None:
    assert direction(metric, load_config()) == expected


def test_guess_is_none_when_the_name_says_nothing() -> None:
    assert guess("reward") is None
    assert guess("val_loss") == "min"


def test_without_config_the_name_decides() -> None:
    assert direction("val_loss", None) == "min"
    assert direction("throughput", None) == "max"


def test_config_overrides_the_name(repo: Path) -> None:
    (repo / ".gittrack.yml").write_text(
        "metrics:\n  accuracy: min\n  loss: max\n  score: minimize\n  speed: Lower\n"
    )
    config = load_config()
    assert direction("accuracy", config) == "min"
    assert direction("loss", config) == "max"
    assert direction("score", config) == "min"
    assert direction("speed", config) == "min"
    assert direction("val_loss", config) == "min"  # the exact name is configured, not its parts
    assert direction("throughput", config) == "max"


def test_a_bad_direction_in_config_is_a_config_error(repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("metrics:\n  rmse: sideways\n")
    with pytest.raises(ConfigError, match=r"metrics: rmse: 'sideways' is not a direction; use min or max"):
        direction("rmse", load_config())


@pytest.mark.parametrize(
    ("a", "b", "way", "expected"),
    [
        (1.0, 2.0, "min", True),
        (2.0, 1.0, "min", False),
        (1.0, 2.0, "max", False),
        (2.0, 1.0, "max", True),
        (1.0, 1.0, "min", False),  # a tie is not better
        (1.0, 1.0, "max", False),
        (NAN, 1.0, "min", False),  # NaN is worse than any number
        (NAN, 1.0, "max", False),
        (1.0, NAN, "min", True),
        (1.0, NAN, "max", True),
        (NAN, NAN, "max", False),
        (-math.inf, 0.0, "min", True),
        (math.inf, 0.0, "max", True),
    ],
)
def test_is_better(a: float, b: float, way: str, expected: bool) -> None:
    assert is_better(a, b, way) is expected  # type: ignore[arg-type]


# -- the primary metric: one rule for "the" metric -----------------------------------------------


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        # validation-like first, whatever the training metrics (the UI once chose train_acc)
        (["train_acc", "val_loss", "epoch_time"], "val_loss"),
        # val before eval/dev/holdout before test
        (["test_loss", "eval_f1", "valid/acc"], "valid/acc"),
        (["test_loss", "dev-rmse"], "dev-rmse"),
        (["test_loss", "train_loss"], "test_loss"),
        # within a rank: a name that tells its direction, then by name
        (["val_epoch", "val_loss", "val_acc"], "val_acc"),
        (["val_epoch", "val_loss"], "val_loss"),
        # a whole part of the name, not a prefix: value_loss is not a validation metric
        (["value_loss", "validation.rmse"], "validation.rmse"),
        (["value_loss", "interval"], "value_loss"),
        # nothing validation-like: the first by name that tells its direction, else the first
        (["rmse", "r2", "lr"], "r2"),
        (["lr", "epoch"], "epoch"),
        ([], None),
    ],
)
def test_primary_metric_without_config(metrics: list[str], expected: str | None) -> None:
    assert primary_metric(metrics, None) == expected


def test_primary_metric_from_config_when_some_run_has_it(repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("primary_metric: train/mse\n")
    config = load_config()
    assert config.get("primary_metric") == "train/mse"
    assert primary_metric(["val_loss", "train/mse"], config) == "train/mse"
    assert primary_metric(["val_loss", "rmse"], config) == "val_loss"  # not in scope: the rule


def test_validation_rank() -> None:
    assert [validation_rank(m) for m in ("val_loss", "eval/acc", "Test-F1", "loss", "evaluate")] == [
        0, 1, 2, None, None,
    ]  # fmt: skip


def test_best_keeps_ties_and_never_picks_nan() -> None:
    pairs = [("a", 0.5), ("b", NAN), ("c", 0.25), ("d", 0.25)]
    assert best(pairs, "min") == (0.25, ["c", "d"])
    assert best(pairs, "max") == (0.5, ["a"])
    assert best([("x", NAN)], "min") is None
    assert best([], "max") is None

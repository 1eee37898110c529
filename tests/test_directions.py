"""Which way a metric gets better (gittrack.query.directions): config first, then the name, else max."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gittrack.errors import ConfigError
from gittrack.query.directions import direction, guess, is_better
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

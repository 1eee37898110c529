"""The committed files: MLflow's recorded answers, the pending list and the documented differences.

- ``expected.json``: written by :mod:`differential.record` (never by hand),
- ``pending.yaml``: cases gittrack gets wrong today, each ``{category, reason}``; the
  test marks them ``xfail(strict=True)``, so fixing one forces its removal,
- ``pending-plugin.yaml``: the same for the second pass (MLflow's client over the
  ``gittrack:`` store, ``tests/test_differential_plugin.py``),
- ``documented.yaml``: deliberate differences: ``extra_columns`` (gittrack's own
  DataFrame columns, allowed beside MLflow's) and ``cases`` (whole cases that are
  documented gittrack extensions, skipped).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml

from differential.cases import Case
from differential.compare import CATEGORIES, Verdict, compare

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.json"
PENDING = HERE / "pending.yaml"
PENDING_PLUGIN = HERE / "pending-plugin.yaml"
DOCUMENTED = HERE / "documented.yaml"


@functools.cache
def expected() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def pending() -> dict[str, dict[str, str]]:
    return _pending(PENDING)


@functools.cache
def pending_plugin() -> dict[str, dict[str, str]]:
    """The second pass's list: cases MLflow's client over the ``gittrack:`` store gets wrong."""
    return _pending(PENDING_PLUGIN)


def _pending(path: Path) -> dict[str, dict[str, str]]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for case_id, entry in loaded.items():
        if entry.get("category") not in CATEGORIES or not entry.get("reason"):
            raise ValueError(f"{path.name}: {case_id} needs a category (one of {CATEGORIES}) and a reason")
    return dict(loaded)


@functools.cache
def documented() -> dict[str, Any]:
    loaded = yaml.safe_load(DOCUMENTED.read_text(encoding="utf-8")) or {}
    return {
        "extra_columns": dict(loaded.get("extra_columns") or {}),
        "cases": dict(loaded.get("cases") or {}),
    }


def judge(case: Case, answer: dict[str, Any], *, own_columns: bool = True) -> Verdict:
    """gittrack's answer against MLflow's file store; where MLflow's two stores disagree,
    matching either one is agreement (neither can be a requirement).

    ``own_columns=False`` allows none of gittrack's own DataFrame columns: MLflow's client over
    the ``gittrack:`` store builds its DataFrames itself, so they must be MLflow's exactly."""
    entry = expected()["cases"][case.id]
    extra = documented()["extra_columns"] if own_columns else {}
    verdict = compare(case, entry["expected"], answer, extra)
    second = None if entry["stores_agree"] else entry["sqlite"]["answer"]
    if not verdict.agrees and second is not None and compare(case, second, answer, extra).agrees:
        return Verdict(None, "agrees with MLflow's SQLite store (the stores disagree)")
    return verdict

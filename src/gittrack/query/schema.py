"""What a filter may name: the prefixes and attributes of runs and of experiments.

The one filter language (:mod:`gittrack.query.filter_parse`) parses against a
:class:`Schema`: MLflow's run search accepts ``metrics.``, ``params.``, ``tags.``,
``attributes.`` (and ``datasets.``); its experiment search only ``tags.`` and the
experiment's attributes.  Each attribute compares only with strings or only with numbers,
and MLflow accepts several spellings of some (``created`` for ``start_time``,
```Run name``` for ``run_name``).  Spellings are matched case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Schema:
    what: str  # "runs" or "experiments", for messages
    kinds: frozenset[str]  # the prefixes allowed: metrics, params, tags, attributes, datasets
    strings: frozenset[str]  # attribute columns that compare only with strings
    numbers: frozenset[str]  # attribute columns that compare only with numbers
    spellings: Mapping[str, str]  # lower-cased spelling -> attribute column

    def attribute(self, spelling: str) -> str | None:
        return self.spellings.get(spelling.lower())

    def attribute_list(self) -> str:
        """The attributes in their documented order (each column once)."""
        return ", ".join(dict.fromkeys(self.spellings.values()))


def _spellings(columns: tuple[str, ...], aliases: dict[str, str]) -> dict[str, str]:
    return {c: c for c in columns} | {k.lower(): v for k, v in aliases.items()}


_RUN_STRINGS = (
    "run_id",
    "run_name",
    "status",
    "experiment_id",
    "lifecycle_stage",
    "user",
    "artifact_uri",
    "parent_run_id",
)
_RUN_NUMBERS = ("start_time", "end_time", "duration")
RUNS = Schema(
    "runs",
    frozenset({"metrics", "params", "tags", "attributes", "datasets"}),
    frozenset(_RUN_STRINGS),
    frozenset(_RUN_NUMBERS),
    _spellings(
        _RUN_STRINGS + _RUN_NUMBERS,
        {
            "run name": "run_name",
            "user_id": "user",
            "experiment": "experiment_id",
            "created": "start_time",
        },
    ),
)

_EXPERIMENT_STRINGS = ("name", "experiment_id", "lifecycle_stage")
_EXPERIMENT_NUMBERS = ("creation_time", "last_update_time")
EXPERIMENTS = Schema(
    "experiments",
    frozenset({"tags", "attributes"}),
    frozenset(_EXPERIMENT_STRINGS),
    frozenset(_EXPERIMENT_NUMBERS),
    _spellings(_EXPERIMENT_STRINGS + _EXPERIMENT_NUMBERS, {}),
)

"""Run ids and generated run names.

A run id is the UTC start time plus random hex, ``20261126-122216-3f9a1c``: unique
across machines without coordination, sortable by start time, and short enough to
type as a prefix.  Randomness comes from ``secrets``, never from the global
``random`` module that training code seeds.
"""

from __future__ import annotations

import re
import secrets
import time

RUN_ID_RE = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")

_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fancy", "fast",
    "gentle", "glad", "golden", "grand", "happy", "honest", "jolly", "keen", "kind", "lively",
    "lucky", "merry", "mighty", "neat", "noble", "polite", "proud", "quick", "quiet", "rapid",
    "shiny", "silent", "sleek", "smart", "steady", "sunny", "swift", "tidy", "vivid", "witty",
)  # fmt: skip
_NOUNS = (
    "ant", "badger", "bat", "bear", "bee", "carp", "cat", "crab", "crane", "deer", "dove",
    "eagle", "eel", "finch", "fox", "frog", "gecko", "hare", "hawk", "heron", "ibis", "koala",
    "lark", "lion", "lynx", "mole", "moth", "newt", "otter", "owl", "panda", "puma", "raven",
    "seal", "shrew", "sloth", "snail", "swan", "tiger", "toad", "trout", "wolf", "wren", "yak",
)  # fmt: skip


def new_run_id(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(3)}"


def new_run_name() -> str:
    """A friendly name like ``swift-otter-42``."""
    pick = secrets.choice
    return f"{pick(_ADJECTIVES)}-{pick(_NOUNS)}-{secrets.randbelow(100)}"

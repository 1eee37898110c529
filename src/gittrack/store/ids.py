"""Run ids and generated run names.

A run id is the UTC start time plus 12 random hex digits (48 bits),
``20261126-122216-3f9a1c07be42``: unique across machines without coordination, sortable by
start time, and addressable by any unique prefix.  Randomness comes from ``secrets``, never
from the global ``random`` module that training code seeds.  Ids written before this format
(6 hex digits) stay valid: readers take any hex part of 6 to 32 digits.

Collisions (docs/format.md has the arithmetic): two runs collide only when they start in
the same second and draw the same 48 bits.  A million runs a day, even all started in
bursts of 1,000 per second, collide with probability about 1.5e-4 per day
(86,400 s x 1000^2 / 2 / 2^48); at an even rate (~12 runs/s) about 2e-8 per day.
"""

from __future__ import annotations

import re
import secrets
import time

RUN_ID_RE = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6,32}")
RANDOM_HEX = 12  # digits of randomness in a new id (48 bits)

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
    return run_id_for(time.time() if now is None else now, secrets.token_hex(RANDOM_HEX // 2))


def run_id_for(start: float, random_hex: str) -> str:
    """The id of a run started at ``start`` (epoch seconds) with this random part (an importer
    passes part of the run's old id, so that importing again gives the same id)."""
    if not 6 <= len(random_hex) <= 32 or any(c not in "0123456789abcdef" for c in random_hex):
        raise ValueError(f"the random part of a run id is 6 to 32 lower-case hex digits, not {random_hex!r}")
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(start)) + "-" + random_hex


def new_run_name() -> str:
    """A friendly name like ``swift-otter-42``."""
    pick = secrets.choice
    return f"{pick(_ADJECTIVES)}-{pick(_NOUNS)}-{secrets.randbelow(100)}"

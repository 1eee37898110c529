"""Validation of names, values, steps and artifact paths (DESIGN.md section 5).

Every check runs before anything is written, and every error names the bad value.
"""

from __future__ import annotations

import math
import posixpath
import re
from numbers import Integral, Real

from gittrack.errors import InvalidArtifactPathError, InvalidNameError, InvalidValueError

MAX_NAME_LENGTH = 250
# \w is Unicode-aware: letters and digits of any script, and "_".
_NAME_RE = re.compile(r"[\w\-. /]+")
_valid_names: set[str] = set()  # names already checked: validation runs once per name, not per call


def check_name(name: object, what: str = "name") -> str:
    """Return ``name`` if it is a valid param, metric or tag name, else raise InvalidNameError."""
    if isinstance(name, str) and name in _valid_names:
        return name
    if not isinstance(name, str):
        raise InvalidNameError(f"{what} must be a string, got {type(name).__name__} {name!r}")
    if not name:
        raise InvalidNameError(f"{what} must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"{what} {name[:40]!r}... is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
        )
    if not _NAME_RE.fullmatch(name):
        bad = next(c for c in name if not _NAME_RE.fullmatch(c))
        raise InvalidNameError(
            f"{what} {name!r} contains {bad!r}; use letters, digits, '_', '-', '.', ' ' and '/'"
        )
    if name.startswith("/"):
        raise InvalidNameError(f"{what} {name!r} must not start with '/'")
    segments = name.split("/")
    if any(s in ("", ".", "..") or s != s.strip() for s in segments):
        raise InvalidNameError(
            f"{what} {name!r} has an empty, '.', '..' or space-padded path segment between '/'"
        )
    _valid_names.add(name)
    return name


MAX_SEGMENT_BYTES = 250  # a metric name segment becomes a file name: "<segment>.csv" <= 255 bytes


def check_metric_name(name: object) -> str:
    """A valid name whose '/'-separated parts also fit in a file name."""
    if isinstance(name, str) and name in _valid_metric_names:
        return name
    checked = check_name(name, "metric name")
    for segment in checked.split("/"):
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidNameError(
                f"metric name {checked[:40]!r}...: the part {segment[:20]!r}... is "
                f"{len(segment.encode('utf-8'))} bytes in UTF-8; file names allow {MAX_SEGMENT_BYTES}"
            )
    _valid_metric_names.add(checked)
    return checked


_valid_metric_names: set[str] = set()


def check_metric_value(key: str, value: object) -> float:
    """Return ``value`` as a float; bools, strings and other non-reals are refused."""
    kind = type(value)
    if kind is float or kind is int:  # the common case, without the slow ABC checks below
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, bool) or not isinstance(value, Real):
        value = _numpy_scalar(value)
        if isinstance(value, bool) or not isinstance(value, Real):
            raise InvalidValueError(
                f"metric {key!r}: value {value!r} ({type(value).__name__}) is not a real number"
            )
    return float(value)


def check_step(key: str, step: object) -> int:
    """Return ``step`` as an int >= 0."""
    if type(step) is int and step >= 0:
        return step
    if isinstance(step, bool) or not isinstance(step, Integral):
        step = _numpy_scalar(step)
        if isinstance(step, bool) or not isinstance(step, Integral):
            raise InvalidValueError(
                f"metric {key!r}: step {step!r} must be an integer >= 0, got {type(step).__name__}"
            )
    if step < 0:
        raise InvalidValueError(f"metric {key!r}: step {step} must be >= 0")
    return int(step)


def check_timestamp(key: str, timestamp: object) -> int:
    """Return ``timestamp`` (milliseconds since the epoch) as an int."""
    if type(timestamp) is int and timestamp >= 0:  # the common case, without the ABC checks below
        return timestamp
    if isinstance(timestamp, bool) or not isinstance(timestamp, Real):
        raise InvalidValueError(
            f"metric {key!r}: timestamp {timestamp!r} must be milliseconds since the epoch"
        )
    if not math.isfinite(float(timestamp)) or timestamp < 0:
        raise InvalidValueError(f"metric {key!r}: timestamp {timestamp!r} must be finite and >= 0")
    return int(float(timestamp))


def param_value(value: object) -> object:
    """Normalise a param value: YAML-native scalars keep their type, anything else becomes str."""
    value = _numpy_scalar(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    return str(value)


def param_str(value: object) -> str:
    """A param's string form, as MLflow would have stored it (floats by ``repr``)."""
    if value is None:
        return "None"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def check_artifact_path(path: str | None) -> str:
    """Return ``path`` normalised as a relative POSIX path ('' for the artifacts root).

    Absolute paths, drive letters, backslashes and anything that would climb out
    of the run's ``artifacts/`` folder are refused.
    """
    if path is None or path in ("", "."):
        return ""
    if not isinstance(path, str):
        raise InvalidArtifactPathError(f"artifact path must be a string, got {path!r}")
    if "\\" in path or "\x00" in path or any(ord(c) < 32 for c in path):
        raise InvalidArtifactPathError(f"artifact path {path!r} contains a backslash or control character")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise InvalidArtifactPathError(f"artifact path {path!r} must be relative")
    normal = posixpath.normpath(path)
    if normal == ".":
        return ""
    if normal == ".." or normal.startswith("../") or ".." in path.split("/"):
        raise InvalidArtifactPathError(f"artifact path {path!r} would leave the run's artifacts/")
    return normal


def _numpy_scalar(value: object) -> object:
    """numpy scalars (np.float32, np.int64, np.bool_) become the Python value they hold."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        return item()
    return value

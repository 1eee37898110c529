"""YAML with fixed settings: the C safe loader and dumper, block style, no line wrapping.

Every YAML file gittrack writes goes through :func:`dump`, so the same data always
gives the same bytes; every file it reads goes through :func:`load`, which never
constructs anything but plain scalars, lists and mappings.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

try:  # the C implementation is ~10x faster; fall back quietly where libyaml is absent
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

YAMLError = yaml.YAMLError
_NO_WRAP = 2**31 - 1


def load(text: str | bytes) -> Any:
    """Parse YAML with the safe loader; an empty document is None."""
    return yaml.load(text, Loader=_Loader)


def dump(data: Any, *, sort_keys: bool = False) -> str:
    """Serialise ``data`` in gittrack's canonical block style."""
    if data == {}:
        return ""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=sort_keys,
        width=_NO_WRAP,
    )


def dump_like_mlflow(data: Any) -> str:
    """``data`` as MLflow's ``log_dict`` writes a ``.yaml`` artifact (sorted keys, indent 2,
    non-ASCII escaped), so both front doors write the same bytes."""
    return yaml.safe_dump(data, indent=2, default_flow_style=False)


def dump_entry(key: str, value: Any) -> str:
    """One ``key: value`` entry, ready to append to a YAML mapping file.

    Plain keys with int, simple float or plain string values (most params and tags) are
    formatted directly, as PyYAML would; anything else goes through the dumper.
    """
    if _plain(key):
        kind = type(value)
        if kind is int:
            return f"{key}: {value}\n"
        if kind is float and value == value:
            text = repr(value)
            if "." in text and "e" not in text and "n" not in text:
                return f"{key}: {text}\n"
        if kind is str and _plain(value):
            return f"{key}: {value}\n"
    return dump({key: value})


_PLAIN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]{0,99}")
# YAML 1.1 reads these unquoted words as booleans or null, so they are not plain strings
_RESERVED = frozenset(
    (
        *("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON"),
        *("true", "True", "TRUE", "false", "False", "FALSE", "off", "Off", "OFF"),
        *("null", "Null", "NULL"),
    )
)


def _plain(text: str) -> bool:
    """True when ``text`` written unquoted reads back as the same string."""
    return _PLAIN_RE.fullmatch(text) is not None and text not in _RESERVED

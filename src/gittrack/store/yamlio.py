"""YAML with fixed settings: the C safe loader and dumper, block style, no line wrapping.

Every YAML file gittrack writes goes through :func:`dump`, so the same data always
gives the same bytes; every file it reads goes through :func:`load`, which never
constructs anything but plain scalars, lists and mappings.
"""

from __future__ import annotations

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


def dump_entry(key: str, value: Any) -> str:
    """One ``key: value`` entry, ready to append to a YAML mapping file."""
    return dump({key: value})

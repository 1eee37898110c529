"""Params as MLflow sends them (text) stored as ``import gittrack`` stores them (typed).

MLflow's client turns every param into a string before the store sees it; gittrack keeps a
param's YAML type (``epochs: 10``, not ``epochs: '10'``).  :func:`typed_param` gives back
the typed value exactly when its string form (:func:`gittrack.store.names.param_str`, what
every reader returns) is the text, so MLflow reads the very same string back and the two
front doors write the same ``params.yaml``.  Imports nothing of MLflow.
"""

from __future__ import annotations

from typing import Any


def typed_param(value: Any) -> Any:
    """``"10"`` is the int 10, ``"0.5"`` the float, ``"True"``/``"False"`` bools, ``"None"``
    null, when that value prints back as exactly the text; anything else stays text.

    ``"nan"`` stays text although ``repr(float("nan"))`` is ``"nan"``: a NaN param is a
    missing value to gittrack's readers and searches, while MLflow's ``'nan'`` is a string
    that ``params.s = 'nan'`` finds.  ``"inf"`` and ``"-inf"`` round-trip and are stored as
    YAML's ``.inf``/``-.inf``, read back as the same text."""
    if not isinstance(value, str):
        return value
    if value in ("True", "False"):
        return value == "True"
    if value == "None":
        return None
    for kind in (int, float):
        try:
            parsed = kind(value)
        except ValueError:
            continue
        if parsed != parsed:  # NaN: gittrack reads a NaN param as missing, so 'nan' stays text
            return value
        if (repr(parsed) if kind is float else str(parsed)) == value:
            return parsed
    return value

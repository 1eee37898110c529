"""Where runs go: the process's tracking URI, as ``mlflow.set_tracking_uri`` keeps it.

A path or ``file:`` URI names a store directory; a ``gittrack:`` URI (``gittrack:.``,
``gittrack:relative/path``, ``gittrack:///absolute/path``: what MLflow's client takes with
gittrack as its store, see docs/mlflow-plugin.md) names a directory of a work tree, whose
store is used (a path ending in ``.runs`` is the store itself).  Other schemes (``sqlite:``, ``http:``,
``databricks``...) keep the git store and warn, so MLflow scripts run unchanged.  With
no URI set, the store comes from ``GITTRACK_DIR``, then ``.gittrack.yml``, then ``.runs``
at the top of the git work tree (:func:`gittrack.store.config.resolve_store`).  The fluent
API and :class:`~gittrack.tracking.client.Client` both read this module; neither keeps
its own copy.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

from gittrack.errors import GittrackWarning, InvalidValueError
from gittrack.store.config import load_config, resolve_store

SCHEME = "gittrack:"
_FOREIGN = ("sqlite:", "databricks", "postgresql:", "mysql:", "mssql:", "uc:")
_explicit: Path | None = None  # the store set by set_tracking_uri, None when unset


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Store runs at a path or ``file:`` URI; other schemes keep the git store and warn."""
    global _explicit
    path = store_of_uri(uri, stacklevel=3)
    if path is not None:
        _explicit = path


def store_of_uri(uri: str | os.PathLike[str], *, stacklevel: int = 2) -> Path | None:
    """The store directory a tracking URI names; None (and a warning) for a foreign URI."""
    text = os.fspath(uri)
    if text.startswith(SCHEME):
        return store_of_gittrack_uri(text)
    if text.startswith("file:"):
        return Path(unquote(urlparse(text).path)).resolve()
    if "://" in text or text.startswith(_FOREIGN):
        warnings.warn(
            f"gittrack ignores tracking URI {text!r} and keeps storing runs in git ({store_path()})",
            GittrackWarning,
            stacklevel=stacklevel + 1,
        )
        return None
    return Path(text).expanduser().resolve()


def store_of_gittrack_uri(uri: str) -> Path:
    """The store of a ``gittrack:`` URI: that of the work tree holding the directory it names."""
    if uri.startswith(f"{SCHEME}//"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidValueError(
                f"{uri!r}: a gittrack: URI names a local directory (gittrack:///absolute/path)"
            )
        text = unquote(parsed.path)
    else:
        text = unquote(uri[len(SCHEME) :])
    path = Path(text or ".").expanduser().resolve()
    if path.name == ".runs":
        return path
    return resolve_store(None, load_config(path if path.is_dir() else path.parent))


def is_tracking_uri_set() -> bool:
    """True when ``set_tracking_uri`` or ``GITTRACK_DIR`` chose the store."""
    return _explicit is not None or bool(os.environ.get("GITTRACK_DIR"))


def store_path() -> Path:
    """The store new runs go to and searches read, by the documented precedence."""
    return resolve_store(_explicit, load_config())


def get_tracking_uri() -> str:
    return str(store_path())


def reset() -> None:
    """Forget the URI set in this process (tests; a notebook starting over)."""
    global _explicit
    _explicit = None

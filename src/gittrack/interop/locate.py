"""Finding an MLflow store's artifacts on this machine.

MLflow records artifact locations as absolute paths of the machine that wrote them, as a
plain path (``/home/ana/proj/mlartifacts``) or a ``file://`` URI, and a server's proxied
ones as ``mlflow-artifacts:/<path>`` (under its ``--artifacts-destination``, ``./mlartifacts``
by default).  A store that was copied, committed or moved no longer has them where they were
recorded, so a location that does not exist is looked for relative to the store: the
longest tail of the recorded path that exists under one of the search roots (the folder
holding ``mlflow.db`` or ``mlruns``, and any ``--artifact-root``).  A tail must keep the
parts that name the run or model (``<run_id>/artifacts``), so a short generic tail never
matches someone else's files.  The first match teaches the locator the move (recorded
prefix -> root), so the next lookups cost one ``stat``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from gittrack.interop.source import Located

REMOTE_HELP = "install MLflow (pip install mlflow) so gittrack can download them with MLflow's client"


def local_path(uri: str) -> str | None:
    """The filesystem path of a location: a plain path or a ``file:`` URI; None for other schemes."""
    if uri.startswith("file:"):
        return unquote(urlparse(uri).path)
    scheme = urlparse(uri).scheme
    return None if scheme else uri


class Locator:
    """Finds recorded locations under the search roots (see the module docstring)."""

    def __init__(self, roots: Sequence[Path], fetch: Callable[[str], Path | None] | None = None) -> None:
        self.roots = [r.resolve() for r in roots]
        self._moves: list[tuple[str, Path]] = []  # recorded prefix -> where it is here
        self._fetch = fetch  # downloads a remote location (MLflow's client), when available

    def find(self, uri: str, keep: int = 1) -> Path | None:
        """The existing folder or file recorded as ``uri``, or None; a tail keeps ``keep`` parts at least."""
        if uri.startswith("mlflow-artifacts:"):
            return self._proxied(uri)
        path = local_path(uri)
        if path is None:
            return None
        recorded = PurePosixPath(path)
        if not recorded.is_absolute():
            return next((r / recorded for r in self.roots if (r / recorded).exists()), None)
        if Path(path).exists():
            return Path(path)
        for prefix, here in self._moves:
            if path.startswith(prefix + "/"):
                candidate = here / path[len(prefix) + 1 :]
                if candidate.exists():
                    return candidate
        parts = recorded.parts[1:]
        for start in range(len(parts) - keep + 1):
            for root in self.roots:
                candidate = root.joinpath(*parts[start:])
                if candidate.exists():
                    self._moves.insert(0, ("/" + "/".join(parts[:start]), root))
                    return candidate
        return None

    def _proxied(self, uri: str) -> Path | None:
        tail = unquote(urlparse(uri).path).lstrip("/")
        for root in self.roots:
            for base in (root, root / "mlartifacts"):
                if tail and (base / tail).exists():
                    return base / tail
        return None

    def locate(self, uri: str | None, *, keep: int, fallback: Path | None = None) -> Located:
        """A run's or model's folder: found, known to be empty, or missing (with the reason).

        ``keep`` parts name the owner (``<run_id>/artifacts``: 2).  When the folder is not
        found but the folder above those parts is (the experiment's artifact root), the
        owner logged no files: MLflow creates the folder only when it writes one, and git
        drops empty folders.  ``fallback`` is where the reader knows the files may be (the
        file store's run folder, which moves to ``.trash`` with a deleted experiment).
        """
        if not uri:
            return Located(fallback if fallback is not None and fallback.is_dir() else None)
        found = self.find(uri, keep)
        if found is None and fallback is not None and fallback.is_dir():
            found = fallback
        if found is not None and found.is_dir():
            return Located(found)
        if local_path(uri) is None and not uri.startswith("mlflow-artifacts:"):
            fetched = self._fetch(uri) if self._fetch is not None else None
            if fetched is not None:
                return Located(fetched)
            how = "MLflow could not download them" if self._fetch is not None else REMOTE_HELP
            return Located(None, f"artifacts at {uri} are not on this machine; {how}")
        parent = uri.rstrip("/").rsplit("/", keep)[0]
        if self.find(parent, 1) is not None:
            return Located(None)
        roots = ", ".join(str(r) for r in self.roots)
        return Located(None, f"artifacts not found: {uri} does not exist, nor its tail under {roots}")

"""One run as the run and compare pages read it: from the work tree, or from a git revision.

Artifact access is the security boundary of the UI: :meth:`RunSource.open_artifact`
only ever returns a file whose real path (symlinks resolved) is inside the run's
``artifacts/`` folder, and refuses ``..``, absolute paths and odd characters outright.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from gittrack import git
from gittrack.errors import CorruptRunError
from gittrack.review.show import artifacts, describe, files_at, find_record
from gittrack.store import environments, layout
from gittrack.store.metric_csv import MetricRow, metric_files, read_history
from gittrack.store.reader import RunRecord, find_run_dir, read_run


def clean_artifact_path(path: str) -> str | None:
    """``path`` if it is a plain relative path inside ``artifacts/``, else None."""
    if not path or path.startswith("/") or any(c in path for c in "\\\0") or any(ord(c) < 32 for c in path):
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or ":" in parts[0]:
        return None
    return path


@dataclass
class RunSource:
    """Everything the pages need about one run; the work-tree flavour."""

    record: RunRecord
    run_dir: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.record.run_id

    def info(self) -> dict[str, Any]:
        """The run as :func:`gittrack.review.show.show` describes it."""
        diff = self.run_dir / layout.GIT_DIFF
        environment = environments.environment_file(self.run_dir, self.record.meta.environment)
        return describe(
            self.record,
            path=str(self.run_dir),
            diff_file=str(diff) if self.has_diff() else None,
            artifacts=self.artifacts(),
            repo_name=None,
            environment_file=None if environment is None else str(environment),
        )

    def histories(self) -> dict[str, list[MetricRow]]:
        """Every metric's rows; a damaged file is a warning and the others are still read."""
        out = {}
        for key, path in metric_files(self.run_dir).items():
            try:
                rows, problems = read_history(path)
            except (OSError, UnicodeDecodeError) as exc:
                self.warnings.append(f"metric {key}: {exc}")
                continue
            self.warnings.extend(str(p) for p in problems if "incomplete last line" not in p.message)
            out[key] = rows
        return out

    def artifacts(self) -> list[dict[str, Any]]:
        return artifacts(self.run_dir)

    def has_diff(self) -> bool:
        return (self.run_dir / layout.GIT_DIFF).is_file()

    def diff_text(self) -> str | None:
        try:
            return (self.run_dir / layout.GIT_DIFF).read_text("utf-8", errors="replace")
        except OSError:
            return None

    def open_artifact(self, path: str) -> tuple[BinaryIO, int] | None:
        """An open artifact and its size, or None when it is not a file inside ``artifacts/``."""
        clean = clean_artifact_path(path)
        if clean is None:
            return None
        root = (self.run_dir / layout.ARTIFACTS_DIR).resolve()
        target = (root / clean).resolve()  # follows symlinks: check where they really lead
        if not target.is_relative_to(root) or not target.is_file():
            return None
        try:
            handle = target.open("rb")
        except OSError:
            return None
        return handle, target.stat().st_size


@dataclass
class RevisionSource(RunSource):
    """A run as committed at a revision: everything read from git's object database."""

    root: Path = Path()
    sha: str = ""
    prefix: str = ""  # the run's folder, relative to the work-tree root
    _listing: tuple[list[dict[str, Any]], bool] | None = None

    def histories(self) -> dict[str, list[MetricRow]]:
        try:
            return self.record.histories()
        except (CorruptRunError, UnicodeDecodeError, ValueError) as exc:
            self.warnings.append(f"metric files could not be read: {exc}")
            return {}

    def info(self) -> dict[str, Any]:
        found, has_diff = self._files()
        where = f"{self.sha}:{self.prefix}"
        diff_file = f"{where}/{layout.GIT_DIFF}" if has_diff else None
        shared = self.record.meta.environment  # stored once beside the runs (docs/format.md)
        store = self.prefix.rpartition("/")[0]  # "" when the store is the work tree's root
        path = environments.relative_path(shared) if shared else ""
        environment = f"{self.sha}:{store}/{path}".replace(":/", ":", 1) if shared else None
        return describe(
            self.record,
            path=where,
            diff_file=diff_file,
            artifacts=found,
            repo_name=None,
            environment_file=environment,
        )

    def _files(self) -> tuple[list[dict[str, Any]], bool]:
        # sizes from one tree listing: no artifact is read just to be listed
        if self._listing is None:
            self._listing = files_at(self.root, self.sha, self.prefix)
        return self._listing

    def artifacts(self) -> list[dict[str, Any]]:
        return self._files()[0]

    def has_diff(self) -> bool:
        return self._files()[1]

    def diff_text(self) -> str | None:
        data = git.read_blob(self.root, self.sha, f"{self.prefix}/{layout.GIT_DIFF}")
        return None if data is None else data.decode("utf-8", errors="replace")

    def open_artifact(self, path: str) -> tuple[BinaryIO, int] | None:
        clean = clean_artifact_path(path)
        if clean is None or clean not in {a["path"] for a in self.artifacts()}:
            return None
        data = git.read_blob(self.root, self.sha, f"{self.prefix}/{layout.ARTIFACTS_DIR}/{clean}")
        return None if data is None else (io.BytesIO(data), len(data))


def load_run(store: Path, ref: str, *, rev: str | None, warn: Callable[[str], None]) -> RunSource:
    """The run ``ref`` (id, unique prefix or name); RunNotFoundError when there is none."""
    if rev is None:
        run_dir = find_run_dir(store, ref, warn)
        return RunSource(read_run(run_dir), run_dir)
    from gittrack.query.revision import records_at, store_prefix

    root, prefix = store_prefix(store)
    sha = git.resolve_revision(root, rev)
    record = find_record(records_at(store, sha, warn, resolved=True), ref, where=f"{store} at {rev}")
    return RevisionSource(
        record, Path(record.location), root=root, sha=sha, prefix=f"{prefix}/{record.run_id}"
    )


def artifact_kind(path: str) -> str:
    """How a preview shows the file: image (an SVG too: shown in an ``<img>``, which runs no
    script), csv, yaml, json, text or binary."""
    ext = posixpath.splitext(path.lower())[1]
    if ext in (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg"):
        return "image"
    if ext == ".json":
        return "json"
    if ext in (".csv", ".tsv"):
        return "csv"
    if ext in (".yaml", ".yml"):
        return "yaml"
    if ext in (".txt", ".log", ".md", ".py", ".toml", ".ini", ".cfg", ".diff", ".patch", ".html"):
        return "text"
    return "binary"

"""The model registry on disk, read back: ``<store>/models/<encoded name>/`` (docs/format.md).

::

    models/course-model/
      model.yaml                     format_version and the name (the same bytes on every branch)
      changes/<time>-<uid>.yaml      one file per change of the description or tags (and the creation)
      versions/<n>-<uid>.yaml        one file per version: its run, artifact path, commit, stage...
      aliases/<alias>.yaml           one file per alias: the version it points at

Every file has one writer and a name no other branch can pick (``uid`` is random), so
branches that register versions, move different aliases or edit the description merge
without textual conflicts.  What a merge can still leave is read, never hidden: two
versions with one number are both listed (:attr:`ModelRecord.duplicates`), and a file
with conflict markers becomes a :class:`Problem` (``gittrack check`` reports both with
the fix).  The same parser reads the work tree and any git revision.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gittrack.errors import InvalidNameError
from gittrack.store import layout, yamlio
from gittrack.store.atomic import TMP_PREFIX
from gittrack.store.registry_conflicts import conflict_message

FORMAT_VERSION = 1
MODEL_FILE = "model.yaml"
CHANGES, VERSIONS, ALIASES = "changes", "versions", "aliases"
STAGES = ("None", "Staging", "Production", "Archived")
_VERSION_FILE = re.compile(r"(\d+)-([0-9a-f]+)\.yaml")
_ALIAS = re.compile(r"[\w\-]+")
_MARKER = re.compile(rb"^(?:<{7}|={7}|>{7})", re.M)


@dataclass(frozen=True)
class Problem:
    """Something a merge or a hand edit left in the registry; ``path`` is relative to the store."""

    path: str
    line: int
    message: str
    kind: str  # "conflict", "yaml", "duplicate-version", "bad-field", "dangling-alias"


@dataclass(frozen=True)
class VersionRecord:
    """``versions/<number>-<uid>.yaml``: one registered version (the model stays in its run)."""

    number: int
    uid: str
    run_id: str
    artifact_path: str
    commit: str | None = None  # the git commit the run ran on
    user: str | None = None
    created: int = 0  # epoch ms
    updated: int = 0
    stage: str = "None"
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    deleted: bool = False

    @property
    def source(self) -> str:
        return f"runs:/{self.run_id}/{self.artifact_path}" if self.artifact_path else f"runs:/{self.run_id}"

    @property
    def filename(self) -> str:
        return f"{self.number}-{self.uid}.yaml"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "run_id": self.run_id,
            "artifact_path": self.artifact_path,
            "source": self.source,
            "commit": self.commit,
            "user": self.user,
            "created": layout.iso_utc(self.created),
            "updated": layout.iso_utc(self.updated),
            "stage": self.stage,
            "description": self.description,
            "tags": dict(sorted(self.tags.items())),
        }
        if self.deleted:
            data["deleted"] = True
        return data


@dataclass(frozen=True)
class AliasRecord:
    """``aliases/<alias>.yaml``: the version number, and the uid of that version's file."""

    alias: str
    version: int
    uid: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "uid": self.uid}


@dataclass(frozen=True)
class ChangeRecord:
    """``changes/<time>-<uid>.yaml``: the creation of the model, or a change of its description/tags."""

    key: str  # the file name without .yaml: sorts by time
    time: int
    user: str | None = None
    created: bool = False
    description: str | None = None
    has_description: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    deleted_tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"time": layout.iso_utc(self.time), "user": self.user}
        if self.created:
            data["created"] = True
        if self.has_description:
            data["description"] = self.description
        if self.tags:
            data["tags"] = dict(sorted(self.tags.items()))
        if self.deleted_tags:
            data["deleted_tags"] = list(self.deleted_tags)
        return data


@dataclass(frozen=True)
class ModelRecord:
    """A registered model as its files say, with every problem found in them."""

    name: str
    dirname: str
    versions: tuple[VersionRecord, ...]  # deleted ones included, by number then creation
    aliases: dict[str, AliasRecord]
    changes: tuple[ChangeRecord, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def live_versions(self) -> list[VersionRecord]:
        return [v for v in self.versions if not v.deleted]

    @property
    def description(self) -> str | None:
        found = [c for c in self.changes if c.has_description]
        return found[-1].description if found else None

    @property
    def tags(self) -> dict[str, str]:
        tags: dict[str, str] = {}
        for change in self.changes:
            tags.update(change.tags)
            for key in change.deleted_tags:
                tags.pop(key, None)
        return tags

    @property
    def created(self) -> int:
        times = [c.time for c in self.changes] + [v.created for v in self.versions]
        return min(times, default=0)

    @property
    def updated(self) -> int:
        times = [c.time for c in self.changes] + [v.updated for v in self.versions]
        return max(times, default=0)

    @property
    def next_number(self) -> int:
        """1 + the highest number any version (deleted ones too) ever had."""
        return 1 + max((v.number for v in self.versions), default=0)

    @property
    def duplicates(self) -> dict[int, list[VersionRecord]]:
        """Version numbers held by several files (a merge of two branches that each registered)."""
        by_number: dict[int, list[VersionRecord]] = {}
        for version in self.live_versions:
            by_number.setdefault(version.number, []).append(version)
        return {n: vs for n, vs in by_number.items() if len(vs) > 1}

    def versions_numbered(self, number: int) -> list[VersionRecord]:
        return [v for v in self.live_versions if v.number == number]

    def alias_target(self, alias: str) -> VersionRecord | None:
        """The live version an alias points at: by uid when that file exists, else by number."""
        record = self.aliases.get(alias)
        if record is None:
            return None
        by_uid = [v for v in self.live_versions if record.uid is not None and v.uid == record.uid]
        found = by_uid or self.versions_numbered(record.version)
        return found[0] if len(found) == 1 else None

    def aliases_of(self, version: VersionRecord) -> list[str]:
        return sorted(a for a in self.aliases if self.alias_target(a) == version)


# -- names ---------------------------------------------------------------------------------------


def check_model_name(name: object) -> str:
    """A registered model name: non-empty text without '/' or control characters, <= 250 chars."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidNameError(f"registered model name must be a non-empty string, got {name!r}")
    if "/" in name or any(ord(c) < 32 for c in name) or len(name) > 250:
        raise InvalidNameError(
            f"registered model name {name[:60]!r} must not contain '/' or control characters "
            "and must be at most 250 characters"
        )
    return name


def check_alias(alias: object) -> str:
    """An alias: letters, digits, '_' and '-'; not 'latest' nor 'v<digits>' (MLflow reserves them)."""
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias) or len(alias) > 255:
        raise InvalidNameError(f"alias {alias!r} must be made of letters, digits, '_' and '-'")
    if alias.lower() == "latest" or re.fullmatch(r"[vV]\d+", alias):
        raise InvalidNameError(f"alias {alias!r} is reserved: 'latest' and 'v<number>' name versions")
    return alias


def encode_name(name: str) -> str:
    """The directory name of a model: percent-encoded, never hidden (a leading '.' is encoded)."""
    encoded = urllib.parse.quote(name, safe="")
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


def model_dir(store: Path, name: str) -> Path:
    return store / layout.MODELS_DIR / encode_name(check_model_name(name))


# -- reading -------------------------------------------------------------------------------------


def read_registry(store: Path) -> list[ModelRecord]:
    """Every registered model of the store's work tree, by name."""
    return parse_registry(_files_under(store / layout.MODELS_DIR), prefix=f"{store.name}/{layout.MODELS_DIR}")


def read_model(store: Path, name: str) -> ModelRecord | None:
    """One registered model from the work tree; None when it does not exist."""
    folder = model_dir(store, name)
    if not folder.is_dir():
        return None
    files = {f"{folder.name}/{p}": b for p, b in _files_under(folder).items()}
    found = parse_registry(files, prefix=f"{store.name}/{layout.MODELS_DIR}")
    return found[0] if found else None


def _files_under(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith((".", TMP_PREFIX)):
                path = Path(folder, name)
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def parse_registry(files: Mapping[str, bytes], *, prefix: str) -> list[ModelRecord]:
    """Models from the bytes of their files, keyed by path under ``models/``; ``prefix`` (the
    store's ``models`` path) only makes problem paths readable."""
    by_model: dict[str, dict[str, bytes]] = {}
    for path, blob in files.items():
        first, _, rest = path.partition("/")
        if rest and not first.startswith("."):
            by_model.setdefault(first, {})[rest] = blob
    models = [_parse_model(d, by_model[d], f"{prefix}/{d}") for d in by_model]
    return sorted(models, key=lambda m: m.name)


def _parse_model(dirname: str, files: dict[str, bytes], where: str) -> ModelRecord:
    problems: list[Problem] = []
    name = urllib.parse.unquote(dirname)
    head = _load(files.get(MODEL_FILE), f"{where}/{MODEL_FILE}", problems)
    if isinstance(head, dict) and head.get("name"):
        name = str(head["name"])
    elif MODEL_FILE not in files:
        problems.append(Problem(f"{where}/{MODEL_FILE}", 0, "missing: the model's name file", "missing-file"))
    versions, aliases, changes = [], {}, []
    for rest, blob in sorted(files.items()):
        folder, _, filename = rest.partition("/")
        path = f"{where}/{rest}"
        if folder == VERSIONS and (match := _VERSION_FILE.fullmatch(filename)):
            data = _load(blob, path, problems)
            if isinstance(data, dict):
                versions.append(_version(int(match.group(1)), match.group(2), data, path, problems))
        elif folder == ALIASES and filename.endswith(".yaml"):
            alias = _alias(filename[: -len(".yaml")], blob, path, problems)
            if alias is not None:
                aliases[alias.alias] = alias
        elif folder == CHANGES and filename.endswith(".yaml"):
            data = _load(blob, path, problems)
            if isinstance(data, dict):
                changes.append(_change(filename[: -len(".yaml")], data))
    versions.sort(key=lambda v: (v.number, v.created, v.uid))
    changes.sort(key=lambda c: (c.time, c.key))
    model = ModelRecord(name, dirname, tuple(versions), aliases, tuple(changes))
    problems += _merge_problems(model, where)
    return ModelRecord(name, dirname, tuple(versions), aliases, tuple(changes), tuple(problems))


def _load(blob: bytes | None, path: str, problems: list[Problem]) -> Any:
    if blob is None:
        return None
    marker = _MARKER.search(blob)
    if marker is not None:
        line = blob.count(b"\n", 0, marker.start()) + 1
        problems.append(Problem(path, line, conflict_message(path, blob), "conflict"))
        return None
    try:
        return yamlio.load(blob)
    except yamlio.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(path, mark.line + 1 if mark else 0, "not valid YAML", "yaml"))
        return None


def _version(
    number: int, uid: str, data: dict[str, Any], path: str, problems: list[Problem]
) -> VersionRecord:
    try:
        return VersionRecord(
            number=number,
            uid=uid,
            run_id=str(data["run_id"]),
            artifact_path=str(data.get("artifact_path") or ""),
            commit=_opt(data.get("commit")),
            user=_opt(data.get("user")),
            created=layout.epoch_ms(data.get("created")) or 0,
            updated=layout.epoch_ms(data.get("updated") or data.get("created")) or 0,
            stage=canonical_stage(str(data.get("stage") or "None")),
            description=_opt(data.get("description")),
            tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
            deleted=bool(data.get("deleted", False)),
        )
    except (KeyError, ValueError, TypeError, AttributeError, InvalidNameError) as exc:
        problems.append(Problem(path, 0, f"bad field ({exc})", "bad-field"))
        return VersionRecord(number, uid, run_id="?", artifact_path="", deleted=True)


def _alias(alias: str, blob: bytes, path: str, problems: list[Problem]) -> AliasRecord | None:
    data = _load(blob, path, problems)
    if not isinstance(data, dict):
        return None
    try:
        return AliasRecord(alias, int(data["version"]), _opt(data.get("uid")))
    except (KeyError, ValueError, TypeError) as exc:
        problems.append(Problem(path, 0, f"bad field ({exc}): expected 'version: <number>'", "bad-field"))
        return None


def _change(key: str, data: dict[str, Any]) -> ChangeRecord:
    return ChangeRecord(
        key=key,
        time=layout.epoch_ms(data.get("time")) or 0,
        user=_opt(data.get("user")),
        created=bool(data.get("created", False)),
        description=_opt(data.get("description")),
        has_description="description" in data,
        tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
        deleted_tags=tuple(str(k) for k in data.get("deleted_tags") or ()),
    )


def _merge_problems(model: ModelRecord, where: str) -> Iterator[Problem]:
    for number, versions in sorted(model.duplicates.items()):
        later = max(versions, key=lambda v: (v.created, v.uid))
        runs = " and ".join(f"run {v.run_id} ({v.filename})" for v in versions)
        message = (
            f"version {number} of '{model.name}' exists {len(versions)} times after a merge ({runs}); "
            f"`gittrack check --fix` renumbers the later one ({later.filename}) to {model.next_number}"
        )
        yield Problem(f"{where}/{VERSIONS}/{later.filename}", 0, message, "duplicate-version")
    for alias, record in sorted(model.aliases.items()):
        if model.alias_target(alias) is None:
            message = (
                f"alias '{alias}' points at version {record.version}, which does not exist (or is "
                f"not one version); set it again: gittrack models promote MODEL VERSION --alias {alias}"
            )
            yield Problem(f"{where}/{ALIASES}/{alias}.yaml", 0, message, "dangling-alias")


def canonical_stage(stage: str) -> str:
    """MLflow's spelling of a stage, whatever the case: 'staging' -> 'Staging'."""
    for known in STAGES:
        if stage.lower() == known.lower():
            return known
    raise ValueError(f"stage {stage!r} is not one of {', '.join(STAGES)}")


def _opt(value: object) -> str | None:
    return None if value is None else str(value)

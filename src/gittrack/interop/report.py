"""What an import did: counts, skips, warnings, and every value gittrack could not store.

Nothing MLflow stores is dropped silently: a value gittrack's format cannot hold (a
negative step, a name with a character gittrack refuses...) is an :class:`Unrepresented`
entry, a run or version that was not imported is a skip with its reason, a run whose
artifacts could not be found is a warning.  :func:`summary` is the text people read;
:meth:`ImportReport.to_dict` the JSON ``--report FILE`` writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

_SHOWN = 5  # entries listed per kind in the summary; --report FILE has them all


@dataclass(frozen=True)
class Unrepresented:
    """A value MLflow stores that was not imported, and why."""

    kind: str  # "negative step", "param name", "tag name", "metric name", "status"...
    where: str  # "run <mlflow run id> (<name>)"
    detail: str


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    experiments: int = 0
    experiments_existing: int = 0
    runs: int = 0
    already_imported: int = 0
    metric_points: int = 0
    artifact_files: int = 0
    artifact_bytes: int = 0
    logged_models: int = 0
    datasets: int = 0
    registered_models: int = 0
    model_versions: int = 0
    aliases: int = 0
    registry_existing: int = 0  # versions and aliases already in the store, left as they are
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    warnings: list[str] = field(default_factory=list)
    unrepresented: list[Unrepresented] = field(default_factory=list)
    kept_as_stored: list[str] = field(default_factory=list)  # notes: values kept although suspect
    on_warning: Callable[[str], None] | None = field(default=None, repr=False, compare=False)

    def warn(self, message: str) -> None:
        """A warning for the report, shown as it happens (artifacts not found for a run)."""
        self.warnings.append(message)
        if self.on_warning is not None:
            self.on_warning(message)

    def skip(self, what: str, why: str) -> None:
        self.skipped.append((what, why))

    def lost(self, kind: str, where: str, detail: str) -> None:
        self.unrepresented.append(Unrepresented(kind, where, detail))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["on_warning"]
        data["skipped"] = [{"what": w, "why": y} for w, y in self.skipped]
        return data


def summary(report: ImportReport) -> str:
    """The final summary, for people (stderr)."""
    verb = "Would import" if report.dry_run else "Imported"
    lines = [f"{verb} from {report.source}{' (dry run: nothing written)' if report.dry_run else ''}:"]
    rows = [
        ("experiments", _with(report.experiments, report.experiments_existing, "already there")),
        ("runs", _with(report.runs, report.already_imported, "already imported")),
        ("metric points", f"{report.metric_points:,}"),
        ("artifacts", f"{report.artifact_files:,} files, {_size(report.artifact_bytes)}"),
        ("logged models", f"{report.logged_models:,}"),
        ("datasets", f"{report.datasets:,}"),
        (
            "registry",
            f"{report.registered_models:,} models, {report.model_versions:,} versions, "
            f"{report.aliases:,} aliases"
            + (f" ({report.registry_existing:,} already there)" if report.registry_existing else ""),
        ),
        ("skipped", f"{len(report.skipped):,}"),
    ]
    lines += [f"  {name:<14} {value}" for name, value in rows]
    for what, why in report.skipped[:_SHOWN]:
        lines.append(f"    {what}: {why}")
    if len(report.skipped) > _SHOWN:
        lines.append(f"    ... and {len(report.skipped) - _SHOWN} more (--report FILE lists all)")
    if report.warnings:
        lines.append(f"  warnings       {len(report.warnings):,} (artifacts not found: listed above)")
    lines += _unrepresented(report)
    lines += [f"Kept as stored: {note}" for note in report.kept_as_stored]
    return "\n".join(lines) + "\n"


def _unrepresented(report: ImportReport) -> list[str]:
    if not report.unrepresented:
        return []
    counts = Counter(u.kind for u in report.unrepresented)
    lines = [f"Not imported: {len(report.unrepresented):,} values gittrack's format cannot hold:"]
    for kind, count in counts.items():
        lines.append(f"  {kind}: {count:,}")
        for item in [u for u in report.unrepresented if u.kind == kind][:_SHOWN]:
            lines.append(f"    {item.where}: {item.detail}")
        if count > _SHOWN:
            lines.append(f"    ... and {count - _SHOWN:,} more (--report FILE lists all)")
    return lines


def _with(count: int, other: int, label: str) -> str:
    return f"{count:,}" + (f" ({other:,} {label})" if other else "")


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size:,} bytes"  # pragma: no cover - the loop always returns

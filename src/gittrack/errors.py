"""The one exception family of gittrack.

Every error the library raises on purpose is a :class:`GittrackError`; the CLI
turns it into a single ``Error: ...`` line on stderr and exit status 1.  Messages
name the offending value and, where possible, say what to do instead.
"""

from __future__ import annotations


class GittrackError(Exception):
    """Base class of every error gittrack raises on purpose."""


class InvalidNameError(GittrackError, ValueError):
    """A param, metric, tag, experiment or run name that cannot be stored."""


class InvalidValueError(GittrackError, ValueError):
    """A metric value, step, timestamp or param value that cannot be stored."""


class InvalidArtifactPathError(GittrackError, ValueError):
    """An artifact path that is absolute or would leave the run's artifacts/."""


class ArtifactNotFoundError(GittrackError, FileNotFoundError):
    """A local file or directory given to log_artifact(s) does not exist."""


class ParamConflictError(GittrackError, ValueError):
    """A param logged again with a different value."""


class RunStateError(GittrackError):
    """An operation that does not fit the current run state (no run, a run already active...)."""


class RunNotFoundError(GittrackError, LookupError):
    """No run matches an id, prefix or name."""


class AmbiguousRunError(GittrackError, LookupError):
    """A run id prefix or name matches several runs."""


class CorruptRunError(GittrackError):
    """A run directory holds a file that cannot be parsed."""


class ConfigError(GittrackError):
    """A bad .gittrack.yml, environment variable or tracking URI."""


class FilterError(GittrackError, ValueError):
    """A search filter or order-by key that cannot be parsed.

    ``column`` is the 1-based position in the filter text where the problem is.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        self.column = column
        prefix = "filter error" if column is None else f"filter error at column {column}"
        super().__init__(f"{prefix}: {message}")


class GittrackWarning(UserWarning):
    """Something worth telling the user that does not stop the work (a skipped run, no git)."""

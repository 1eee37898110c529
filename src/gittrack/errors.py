"""The one exception family of gittrack.

Every error the library raises on purpose is an :class:`MlflowException` (MLflow's name,
so ``except mlflow.exceptions.MlflowException`` keeps working after ``import gittrack as
mlflow``) carrying MLflow's ``error_code`` (``INVALID_PARAMETER_VALUE``,
``RESOURCE_DOES_NOT_EXIST``...).  gittrack's own classes derive from it through
:class:`GittrackError`, and also from the built-in class a Python caller would expect
(``ValueError``, ``LookupError``...), so both styles of ``except`` work.  The CLI turns
any of them into a single ``Error: ...`` line on stderr and exit status 1 (2 for an
:class:`UnknownKeyError`, a typo in what the user asked for).  Messages
name the offending value and, where possible, say what to do instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

# MLflow's error codes used by gittrack, with the HTTP status MLflow's server gives each.
HTTP_STATUS = {
    "INTERNAL_ERROR": 500,
    "INVALID_STATE": 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_PARAMETER_VALUE": 400,
}


class MlflowException(Exception):
    """Base class of every error gittrack raises on purpose (MLflow's exception class)."""

    default_code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(self, message: object, error_code: str | None = None, **kwargs: Any) -> None:
        self.message = str(message)
        code = error_code if isinstance(error_code, str) else None
        self.error_code = code if code in HTTP_STATUS else self.default_code
        self.json_kwargs = kwargs
        super().__init__(self.message)

    def serialize_as_json(self) -> str:
        import json

        return json.dumps({"error_code": self.error_code, "message": self.message, **self.json_kwargs})

    def get_http_status_code(self) -> int:
        return HTTP_STATUS.get(self.error_code, 500)

    @classmethod
    def invalid_parameter_value(cls, message: str, **kwargs: Any) -> MlflowException:
        return cls(message, error_code="INVALID_PARAMETER_VALUE", **kwargs)


class RestException(MlflowException):
    """MLflow's error from a tracking server; never raised by gittrack (no server), kept so
    that ``except RestException`` in MLflow code still imports."""


class GittrackError(MlflowException):
    """An error of gittrack's own (every subclass below)."""


class InvalidNameError(GittrackError, ValueError):
    """A param, metric, tag, experiment or run name that cannot be stored."""

    default_code = "INVALID_PARAMETER_VALUE"


class InvalidValueError(GittrackError, ValueError):
    """A metric value, step, timestamp or param value that cannot be stored."""

    default_code = "INVALID_PARAMETER_VALUE"


class InvalidArtifactPathError(GittrackError, ValueError):
    """An artifact path that is absolute or would leave the run's artifacts/."""

    default_code = "INVALID_PARAMETER_VALUE"


class ArtifactNotFoundError(GittrackError, FileNotFoundError):
    """A local file or directory given to log_artifact(s) does not exist."""

    default_code = "RESOURCE_DOES_NOT_EXIST"


class ParamConflictError(GittrackError, ValueError):
    """A param logged again with a different value."""

    default_code = "INVALID_PARAMETER_VALUE"


class RunStateError(GittrackError):
    """An operation that does not fit the current run state (no run, a run already active...)."""

    default_code = "INVALID_STATE"


class RunNotFoundError(GittrackError, LookupError):
    """No run matches an id, prefix or name."""

    default_code = "RESOURCE_DOES_NOT_EXIST"


class UnknownKeyError(GittrackError, LookupError):
    """A metric, param, tag or column named on the command line that no run in scope has.

    The CLI reports it as a usage error (exit status 2), with the nearest known name.
    """

    default_code = "INVALID_PARAMETER_VALUE"


class AmbiguousRunError(GittrackError, LookupError):
    """A run id prefix or name matches several runs."""

    default_code = "INVALID_PARAMETER_VALUE"


class ExperimentNotFoundError(GittrackError, LookupError):
    """No experiment has this name (no run, and no experiment file)."""

    default_code = "RESOURCE_DOES_NOT_EXIST"


class AlreadyExistsError(GittrackError, ValueError):
    """Creating something (an experiment, a registered model) whose name is taken."""

    default_code = "RESOURCE_ALREADY_EXISTS"


class CorruptRunError(GittrackError):
    """A run directory holds a file that cannot be parsed."""

    default_code = "DATA_LOSS"


class ConfigError(GittrackError):
    """A bad .gittrack.yml, environment variable or tracking URI."""

    default_code = "INVALID_PARAMETER_VALUE"


class FilterError(GittrackError, ValueError):
    """A search filter or order-by key that cannot be parsed.

    ``column`` is the 1-based position in the filter text where the problem is.
    """

    default_code = "INVALID_PARAMETER_VALUE"

    def __init__(self, message: str, column: int | None = None) -> None:
        self.column = column
        prefix = "filter error" if column is None else f"filter error at column {column}"
        super().__init__(f"{prefix}: {message}")


class UnsupportedError(GittrackError, NotImplementedError):
    """An MLflow call gittrack does not support (named in the message, never a silent no-op)."""

    default_code = "NOT_IMPLEMENTED"


class ModelNotFoundError(GittrackError, LookupError):
    """No registered model, model version, alias or logged model matches a name or URI."""

    default_code = "RESOURCE_DOES_NOT_EXIST"


class ModelExistsError(AlreadyExistsError):
    """A registered model (or rename target) that already exists."""


class InvalidModelError(GittrackError, ValueError):
    """A model that cannot be saved or loaded: bad MLmodel, unknown flavor, bad argument."""

    default_code = "INVALID_PARAMETER_VALUE"


class RegistryConflictError(GittrackError):
    """The registry holds what a merge left to resolve: a version number used twice, an
    alias or version file with conflict markers.  The message says how to fix it."""

    default_code = "INVALID_STATE"


class GittrackWarning(UserWarning):
    """Something worth telling the user that does not stop the work (a skipped run, no git)."""

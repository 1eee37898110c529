"""MLflow's exception at the store's boundary, and a loud refusal of what gittrack cannot serve.

:func:`finish` wraps every public method of a store class: gittrack's own errors become
MLflow's :class:`~mlflow.exceptions.MlflowException` with the same error code (MLflow's
client tests ``e.error_code``, e.g. ``RESOURCE_ALREADY_EXISTS`` in ``register_model``), and
a method inherited from MLflow's abstract store that MLflow leaves unimplemented (traces,
assessments, evaluation datasets, scorers, prompts, webhooks...) raises
:class:`Unsupported`, an ``MlflowException`` naming the method, never a silent no-op.
"""

from __future__ import annotations

import abc
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ErrorCode

from gittrack.errors import MlflowException as GittrackException

T = TypeVar("T", bound=type)


class Unsupported(MlflowException, NotImplementedError):  # type: ignore[misc]
    """MLflow's exception for a store method gittrack does not implement (also a
    ``NotImplementedError``, which MLflow catches where it has a fallback)."""

    def __init__(self, method: str, why: str = "") -> None:
        super().__init__(  # type: ignore[call-arg]
            f"gittrack's MLflow store does not support {method}" + (f": {why}" if why else ""),
            error_code=ErrorCode.Value("NOT_IMPLEMENTED"),
        )


def as_mlflow(exc: GittrackException) -> MlflowException:
    """gittrack's error as MLflow's, with the same error code and message."""
    try:
        code = ErrorCode.Value(exc.error_code)
    except ValueError:
        code = ErrorCode.Value("INTERNAL_ERROR")
    return MlflowException(str(exc), error_code=code)


def _translating(name: str, method: Callable[..., Any], own: bool) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except MlflowException:
            raise
        except GittrackException as exc:
            raise as_mlflow(exc) from exc
        except NotImplementedError as exc:
            if own:
                raise
            raise Unsupported(name) from exc

    wrapper.__gittrack_wrapped__ = True  # type: ignore[attr-defined]
    wrapper.__isabstractmethod__ = False  # type: ignore[attr-defined]
    return wrapper


def finish(cls: T) -> T:
    """Wrap ``cls``'s public methods (its own and those inherited from MLflow's store)."""
    for name in dir(cls):
        if name.startswith("_") and name not in ("_search_runs", "__init__"):
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, (staticmethod, classmethod, property)) or not inspect.isfunction(raw):
            continue
        if inspect.iscoroutinefunction(raw) or getattr(raw, "__gittrack_wrapped__", False):
            continue
        own = any(name in klass.__dict__ for klass in cls.__mro__ if klass.__module__.startswith("gittrack."))
        if not own and (getattr(raw, "__isabstractmethod__", False) or _empty(raw)):
            setattr(cls, name, _refusing(name))
        else:
            setattr(cls, name, _translating(name, raw, own))
    abc.update_abstractmethods(cls)
    return cls


def _refusing(name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Unsupported(name)

    refuse.__name__ = name
    refuse.__gittrack_wrapped__ = True  # type: ignore[attr-defined]
    return refuse


def _empty(function: Callable[..., Any]) -> bool:
    """True for a method whose body is only a docstring or ``pass`` (a silent no-op)."""
    import ast
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.FunctionDef) else []
    return all(
        isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        for node in body
    )

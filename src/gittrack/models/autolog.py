"""What every autolog integration shares: patching and unpatching, training sessions,
managed runs, and logging that never breaks training.

A patched ``fit`` calls the original exactly once, with the same arguments, and returns
what it returned or raises what it raised; everything autolog does around it is wrapped
so that a failure becomes a warning (none with ``silent=True``).  Only the outermost
training call logs (a GridSearchCV's inner fits do not), unless the outer session allows
children (XGBoost's scikit-learn ``fit`` lets its inner ``xgboost.train`` log into the same
run).  With no active run, one is started for the fit and ended after it: FINISHED, or
FAILED when ``fit`` raised.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gittrack.errors import GittrackWarning

AUTOLOGGING_TAG = "mlflow.autologging"


@dataclass
class Integration:
    """One integration's switches and the attributes it replaced (to restore them)."""

    name: str
    config: dict[str, Any] = field(default_factory=dict)
    patched: list[tuple[Any, str, Any]] = field(default_factory=list)  # (owner, attribute, original)


_integrations: dict[str, Integration] = {}
_sessions: list[tuple[type, bool, bool]] = []  # (estimator class, allow_children, should_log)
_disabled = 0  # > 0 inside cross_val_score & co, where MLflow logs nothing either


def configure(name: str, config: dict[str, Any]) -> Integration | None:
    """Unpatch ``name``, then (unless ``disable``) record its config; the caller patches."""
    unpatch(name)
    if config.get("disable"):
        return None
    integration = Integration(name, dict(config))
    _integrations[name] = integration
    return integration


def config(name: str, key: str, default: Any = None) -> Any:
    integration = _integrations.get(name)
    return default if integration is None else integration.config.get(key, default)


def enabled(name: str) -> bool:
    return name in _integrations


def unpatch(name: str) -> None:
    """Put back every attribute ``name`` replaced (in reverse order)."""
    integration = _integrations.pop(name, None)
    if integration is None:
        return
    for owner, attribute, original in reversed(integration.patched):
        if original is _INHERITED:
            delattr(owner, attribute)
        else:
            setattr(owner, attribute, original)


_INHERITED = object()  # the class had no attribute of its own: unpatching deletes ours


def patch(
    integration: Integration, owner: Any, attribute: str, make: Callable[[Any], Callable[..., Any]]
) -> None:
    """Replace ``owner.<attribute>`` by ``make(original)``.  On a class, an inherited plain
    function is patched on that class itself (as MLflow does), so a base class shared with
    classes that are not patched stays untouched; descriptors (``available_if``...) are left."""
    if isinstance(owner, type):
        original = inspect.getattr_static(owner, attribute, None)
        if not inspect.isfunction(original):
            return
        restore = original if attribute in vars(owner) else _INHERITED
        original = getattr(original, "__gittrack_original__", original)  # a base class's patch
    else:
        original = restore = getattr(owner, attribute, None)
        if original is None or not callable(original):
            return
    wrapper = functools.wraps(original)(make(original))
    wrapper.__gittrack_original__ = original  # type: ignore[attr-defined]
    integration.patched.append((owner, attribute, restore))
    setattr(owner, attribute, wrapper)


@contextlib.contextmanager
def session(estimator: Any, allow_children: bool) -> Iterator[bool]:
    """A training call; yields whether it should log (only outer calls, or children of an
    outer call that allows them, and never inside ``cross_val_score`` & co)."""
    kind = type(estimator)
    if _sessions:
        parent_kind, parent_allows, parent_logs = _sessions[-1]
        should = parent_logs and parent_allows and parent_kind is not kind
    else:
        should = True
    should = should and _disabled == 0
    _sessions.append((kind, allow_children, should))
    try:
        yield should
    finally:
        _sessions.pop()


def current_session_logs() -> bool | None:
    """Whether the innermost training session logs; None outside any session."""
    return _sessions[-1][2] if _sessions else None


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    global _disabled
    _disabled += 1
    try:
        yield
    finally:
        _disabled -= 1


def without_logging(original: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with disabled():
            return original(*args, **kwargs)

    return call


def run_fit(name: str, original: Callable[..., Any], body: Callable[[str, Callable[[], Any]], Any]) -> Any:
    """Run a training call in a run: the active one, else a run started (and ended) here.

    ``body(run_id, train)`` must call ``train()`` once and return its result; whatever it
    raises before or after ``train()`` is a warning, never the caller's problem."""
    from gittrack.tracking import fluent

    outcome: dict[str, Any] = {}

    def train() -> Any:
        outcome["result"] = original()
        outcome["done"] = True
        return outcome["result"]

    started = None
    if fluent.active_run() is None:
        started = safely(name, lambda: fluent.start_run(tags={AUTOLOGGING_TAG: name, **_extra_tags(name)}))
        if started is None:
            return original()
    active = fluent.active_run()
    assert active is not None
    try:
        safely(name, lambda: body(active.run_id, train))
        if "done" not in outcome:  # the body failed before training: train anyway
            train()
    except BaseException:
        if started is not None:
            safely(name, lambda: fluent.end_run("FAILED"))
        raise
    if started is not None:
        safely(name, fluent.end_run)
    return outcome["result"]


def _extra_tags(name: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (config(name, "extra_tags") or {}).items()}


class _TrainingError(Exception):
    """The original training call failed inside a logging body: re-raised as it was."""


def safely(name: str, action: Callable[[], Any]) -> Any:
    """``action()``, or None with a warning (unless silent) when it raises.  An error of the
    training call itself (marked by :func:`run_fit`) is never swallowed."""
    try:
        return action()
    except _TrainingError as marked:
        raise marked.__cause__ or marked from None
    except Exception as exc:
        if not config(name, "silent", False):
            warnings.warn(f"{name} autologging: {type(exc).__name__}: {exc}", GittrackWarning, stacklevel=3)
        return None


def guarded_train(train: Callable[[], Any]) -> Any:
    """Call the original training inside a logging body, so that its own exception passes
    through :func:`safely` untouched."""
    try:
        return train()
    except Exception as exc:
        raise _TrainingError() from exc


def bound_arguments(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The arguments of a call by parameter name (empty when they do not bind)."""
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return {}
    bound.apply_defaults()
    return dict(bound.arguments)

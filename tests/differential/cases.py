"""The differential cases: one call each, with its arguments, and what of the answer to compare.

Shapes follow MLflow's documented search syntax ("Search Runs") and the searches its own
tests exercise (file and SQLAlchemy store tests, ``test_search_utils.py``); the values
come from :mod:`differential.scenario`.  Strings may hold placeholders that each backend
resolves to its own values: ``{run:KEY}`` (a run id), ``{exp:NAME}`` (an experiment id),
``{start:KEY}``/``{end:KEY}`` (a run's start/end time in ms).

``checks`` names what is compared (see :mod:`differential.compare`): ``keys`` (the
ordered case keys, or experiment names), ``columns``, ``dtypes``, ``values`` (or one
group: ``values:params``, ``values:metrics``, ``values:tags``, ``values:attributes``),
``token`` and ``pages``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from differential.filters import (
    ATTRIBUTE_FILTERS,
    INVALID_ORDERINGS,
    METRIC_FILTERS,
    ORDERINGS,
    PARAM_FILTERS,
    SYNTAX_FILTERS,
    SYSTEM_TAG_FILTERS,
    TAG_FILTERS,
)
from differential.idioms import IDIOMS
from differential.scenario import ACTIVE, EMPTY, MAIN, SPACED, UPPER

ALL_EXPERIMENTS = [MAIN, SPACED, UPPER]


@dataclass(frozen=True)
class Case:
    id: str
    call: str
    args: dict[str, Any] = field(default_factory=dict)
    checks: tuple[str, ...] = ("keys",)
    active: str = ACTIVE  # set_experiment() before the call
    idiom: str | None = None  # a function of IDIOMS applied to the DataFrame

    def describe(self) -> str:
        return f"{self.call}({', '.join(f'{k}={v!r}' for k, v in self.args.items())})"


def runs(
    case_id: str,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
    *,
    experiments: list[str] | None = None,
    checks: tuple[str, ...] = ("keys",),
    call: str = "search_runs",
    active: str = ACTIVE,
    idiom: str | None = None,
    **more: Any,
) -> Case:
    """A run search in ``experiments`` (default: exp-main, by id)."""
    args: dict[str, Any] = {}
    if experiments is None and "experiment_names" not in more and not more.pop("no_experiment", False):
        experiments = [MAIN]
    if experiments is not None:
        args["experiments"] = experiments
    if filter_string is not None:
        args["filter_string"] = filter_string
    if order_by is not None:
        args["order_by"] = order_by
    args.update(more)
    return Case(case_id, call, args, checks, active, idiom)


def filter_cases(prefix: str, items: Iterable[tuple[str, str]], **kw: Any) -> list[Case]:
    return [runs(f"{prefix}-{name}", text, **kw) for name, text in items]


# -- whole DataFrames and Run lists ----------------------------------------------------------------

FRAME_CHECKS = ("columns", "dtypes", "values:attributes", "values:params", "values:metrics", "values:tags")


def frame_cases() -> list[Case]:
    out = []
    for name, kw in [
        ("main", {}),
        ("spaced", {"experiments": [SPACED]}),
        ("upper", {"experiments": [UPPER]}),
        ("all", {"experiments": ALL_EXPERIMENTS}),
        ("deleted", {"run_view_type": "DELETED_ONLY"}),
        ("odd-keys", {"filter_string": "tags.case_key LIKE 'm2_'"}),
    ]:
        for check in FRAME_CHECKS:
            out.append(runs(f"frame-{name}-{check.replace(':', '-')}", checks=(check,), **kw))
    out += [
        runs("frame-empty-result-columns", "metrics.rmse > 1e309", checks=("keys", "columns")),
        runs("frame-empty-experiment-columns", experiments=[EMPTY], checks=("keys", "columns")),
        runs("frame-one-run-all", "tags.case_key = 'm01'", checks=("keys", *FRAME_CHECKS)),
    ]
    return out


RUN_CHECKS = ("values:attributes", "values:params", "values:metrics", "values:tags")


def list_cases() -> list[Case]:
    out = []
    for check in RUN_CHECKS:
        name = check.replace(":", "-")
        out.append(runs(f"list-main-{name}", output_format="list", checks=("keys", check)))
        out.append(
            runs(f"list-all-{name}", experiments=ALL_EXPERIMENTS, output_format="list", checks=(check,))
        )
        out.append(runs(f"client-main-{name}", call="client.search_runs", checks=(check,)))
    out += [
        runs("list-filter-metric", "metrics.rmse < 0.5", output_format="list"),
        runs("list-filter-param", "params.epochs = '10'", output_format="list"),
        runs("list-order-rmse", order_by=["metrics.rmse DESC"], output_format="list"),
        runs("list-deleted", run_view_type="DELETED_ONLY", output_format="list"),
        runs("list-max-3", max_results=3, output_format="list"),
        runs("output-format-bad", output_format="csv"),
    ]
    return out


# -- max_results, view types, experiments --------------------------------------------------------------

LIMITS = [
    runs("max-default", checks=("keys",)),
    runs("max-1", max_results=1),
    runs("max-5", max_results=5),
    runs("max-5-ordered", order_by=["metrics.rmse ASC"], max_results=5),
    runs("max-5-filtered", "metrics.rmse > 0", order_by=["metrics.rmse DESC"], max_results=5),
    runs("max-0", max_results=0),
    runs("max-negative", max_results=-1),
    runs("max-1000", max_results=1000),
    runs("max-above-threshold", max_results=50001),
    runs("max-100000", max_results=100000),
    runs("max-float", max_results=2.5),
    runs("max-string", max_results="5"),
    runs("max-none", max_results=None),
    runs("client-max-1", call="client.search_runs", max_results=1, checks=("keys", "token")),
    runs("client-max-5", call="client.search_runs", max_results=5, checks=("keys", "token")),
    runs("client-max-0", call="client.search_runs", max_results=0, checks=("keys", "token")),
    runs("client-max-negative", call="client.search_runs", max_results=-1),
    runs("client-max-above-threshold", call="client.search_runs", max_results=50001),
    runs("client-max-all-no-token", call="client.search_runs", max_results=1000, checks=("keys", "token")),
    runs("client-default", call="client.search_runs", checks=("keys", "token")),
]

VIEWS = [
    runs("view-active", run_view_type="ACTIVE_ONLY"),
    runs("view-deleted", run_view_type="DELETED_ONLY"),
    runs("view-all", run_view_type="ALL"),
    runs("view-int-2", run_view_type=2),
    runs("view-int-3", run_view_type=3),
    runs("view-deleted-filter", "tags.gone = 'yes'", run_view_type="DELETED_ONLY"),
    runs("view-all-filter", "tags.gone = 'yes'", run_view_type="ALL"),
    runs("view-active-gone", "tags.gone = 'yes'"),
    runs("view-all-run-name", "attributes.run_name = 'baseline'", run_view_type="ALL"),
    runs("view-deleted-all-experiments", experiments=ALL_EXPERIMENTS, run_view_type="DELETED_ONLY"),
    runs("view-all-order-rmse", order_by=["metrics.rmse ASC"], run_view_type="ALL"),
    runs("client-view-deleted", call="client.search_runs", run_view_type="DELETED_ONLY"),
    runs("client-view-all", call="client.search_runs", run_view_type="ALL"),
    runs("view-bad", run_view_type=7),
]

EXPERIMENT_SELECTION = [
    runs("exp-spaced", experiments=[SPACED]),
    runs("exp-upper", experiments=[UPPER]),
    runs("exp-empty", experiments=[EMPTY]),
    runs("exp-main-and-spaced", experiments=[MAIN, SPACED]),
    runs("exp-all", experiments=ALL_EXPERIMENTS),
    runs("exp-all-filter-rmse", "metrics.rmse < 0.5", experiments=ALL_EXPERIMENTS),
    runs("exp-all-order-rmse", order_by=["metrics.rmse DESC"], experiments=ALL_EXPERIMENTS),
    runs("exp-all-filter-epochs", "params.epochs = '10'", experiments=ALL_EXPERIMENTS),
    runs("exp-all-run-name", "attributes.run_name = 'baseline'", experiments=ALL_EXPERIMENTS),
    runs("exp-all-max-7", experiments=ALL_EXPERIMENTS, max_results=7),
    runs("exp-upper-score-desc", order_by=["metrics.score DESC"], experiments=[UPPER]),
    runs("exp-upper-kind-tag", "tags.Kind = 'TREE'", experiments=[UPPER]),
    runs("exp-upper-kind-tag-lower", "tags.kind = 'tree'", experiments=[UPPER]),
    runs("exp-upper-depth", "params.depth = '11'", experiments=[UPPER]),
    runs("exp-names-main", experiment_names=[MAIN]),
    runs("exp-names-two", experiment_names=[SPACED, UPPER]),
    runs("exp-names-unknown", experiment_names=["no-such-experiment"]),
    runs("exp-names-one-unknown", experiment_names=[SPACED, "no-such-experiment"]),
    runs("exp-ids-and-names", experiments=[MAIN], experiment_names=[SPACED]),
    runs("exp-unknown-id", experiments=["no-such-experiment-id"]),
    runs("exp-active-main", no_experiment=True),
    runs("exp-active-spaced", no_experiment=True, active=SPACED),
    runs("exp-active-empty", no_experiment=True, active=EMPTY),
    runs("exp-active-filter", "metrics.rmse < 0.5", no_experiment=True),
    runs("exp-search-all", no_experiment=True, search_all_experiments=True),
    runs("exp-search-all-with-ids", experiments=[UPPER], search_all_experiments=True),
    runs("exp-empty-list", experiments=[]),
    runs("client-exp-spaced", call="client.search_runs", experiments=[SPACED]),
    runs("client-exp-all", call="client.search_runs", experiments=ALL_EXPERIMENTS),
]

# -- MlflowClient().search_runs paging -----------------------------------------------------------

PAGES = "client.search_runs.pages"
PAGING = [
    runs("pages-5", call=PAGES, max_results=5, checks=("keys", "pages")),
    runs("pages-7", call=PAGES, max_results=7, checks=("keys", "pages")),
    runs(
        "pages-10-all-experiments",
        call=PAGES,
        experiments=ALL_EXPERIMENTS,
        max_results=10,
        checks=("keys", "pages"),
    ),
    runs("pages-1000", call=PAGES, max_results=1000, checks=("keys", "pages")),
    runs(
        "pages-filter-order",
        "metrics.rmse >= 0",
        ["metrics.rmse ASC"],
        call=PAGES,
        max_results=4,
        checks=("keys", "pages"),
    ),
    runs("pages-deleted", call=PAGES, run_view_type="ALL", max_results=9, checks=("keys", "pages")),
    runs("pages-exact-multiple", call=PAGES, experiments=[UPPER], max_results=4, checks=("keys", "pages")),
    runs("pages-bad-token", call="client.search_runs", max_results=5, page_token="not-a-token"),
    runs("page-first-token", call="client.search_runs", max_results=3, checks=("keys", "token")),
]

# -- experiments ---------------------------------------------------------------------------------------


def experiment_cases() -> list[Case]:
    se, cse = "search_experiments", "client.search_experiments"
    out = [
        Case("experiments-default", se),
        Case("experiments-default-values", se, checks=("values",)),
        Case("experiments-client-default", cse),
        Case("experiments-default-included", se, {"filter_string": "name = 'Default'"}),
        Case("experiments-active", se, {"view_type": "ACTIVE_ONLY"}),
        Case("experiments-deleted", se, {"view_type": "DELETED_ONLY"}),
        Case("experiments-all", se, {"view_type": "ALL"}),
        Case("experiments-max-1", se, {"max_results": 1}),
        Case("experiments-max-2", se, {"max_results": 2}),
        Case("experiments-max-0", se, {"max_results": 0}),
        Case("experiments-client-max-2", cse, {"max_results": 2}),
        Case("experiments-name-eq", se, {"filter_string": "name = 'exp b'"}),
        Case("experiments-name-eq-values", se, {"filter_string": "name = 'exp b'"}, checks=("values",)),
        Case("experiments-name-like", se, {"filter_string": "name LIKE 'exp%'"}),
        Case("experiments-name-like-case", se, {"filter_string": "name LIKE 'Exp%'"}),
        Case("experiments-name-ilike", se, {"filter_string": "name ILIKE 'exp%'"}),
        Case("experiments-name-ne", se, {"filter_string": "name != 'Default'"}),
        Case("experiments-name-attribute", se, {"filter_string": "attribute.name = 'Exp_Upper'"}),
        Case("experiments-name-unknown", se, {"filter_string": "name = 'nope'"}),
        Case("experiments-name-and", se, {"filter_string": "name LIKE 'exp%' AND name != 'exp b'"}),
        Case("experiments-tag", se, {"filter_string": "tags.team = 'ml'"}),
        Case("experiments-tag-null", se, {"filter_string": "tags.team IS NULL"}),
        Case("experiments-creation-time", se, {"filter_string": "creation_time > 0"}),
        Case("experiments-last-update-time", se, {"filter_string": "last_update_time > 0"}),
        Case("experiments-bad-filter", se, {"filter_string": "foo = 1"}),
        Case("experiments-bad-syntax", se, {"filter_string": "name = "}),
        Case("experiments-order-name", se, {"order_by": ["name ASC"]}),
        Case("experiments-order-name-desc", se, {"order_by": ["name DESC"]}),
        Case("experiments-order-creation-desc", se, {"order_by": ["creation_time DESC"]}),
        Case("experiments-order-creation-asc", se, {"order_by": ["creation_time ASC"]}),
        Case("experiments-order-last-update", se, {"order_by": ["last_update_time DESC"]}),
        Case("experiments-order-bad", se, {"order_by": ["bar"]}),
        Case("experiments-client-order-name", cse, {"order_by": ["name"], "max_results": 3}),
        Case("experiments-active-empty", se, active=EMPTY),
        Case("experiments-client-default-included", cse, {"filter_string": "name = 'Default'"}),
        Case("experiments-client-name-like", cse, {"filter_string": "name LIKE 'exp%'"}),
        Case("experiments-client-name-ilike", cse, {"filter_string": "name ILIKE 'EXP%'"}),
        Case("experiments-client-name-ne", cse, {"filter_string": "name != 'exp b'"}),
        Case(
            "experiments-client-name-eq-values", cse, {"filter_string": "name = 'exp b'"}, ("keys", "values")
        ),
        Case("experiments-client-order-name-desc", cse, {"order_by": ["name DESC"]}),
        Case("experiments-client-order-creation", cse, {"order_by": ["creation_time ASC"]}),
        Case("experiments-client-tag", cse, {"filter_string": "tags.team = 'ml'"}),
        Case("experiments-client-creation-time", cse, {"filter_string": "creation_time > 0"}),
    ]
    for name in [MAIN, SPACED, UPPER, EMPTY, "Default", "no-such-experiment", "EXP-MAIN"]:
        slug = name.replace(" ", "-").replace("_", "-")
        out.append(
            Case(f"get-experiment-{slug}", "get_experiment_by_name", {"name": name}, ("keys", "values"))
        )
    out.append(
        Case(
            "client-get-experiment-spaced",
            "client.get_experiment_by_name",
            {"name": SPACED},
            ("keys", "values"),
        )
    )
    return out


# -- single runs and metric histories --------------------------------------------------------------


def run_cases() -> list[Case]:
    out = []
    for key in ["m01", "m03", "m18", "m20", "m37", "m43", "b03"]:
        for check in RUN_CHECKS:
            out.append(
                Case(
                    f"get-run-{key}-{check.split(':')[1]}", "get_run", {"run_id": f"{{run:{key}}}"}, (check,)
                )
            )
    out += [
        Case("client-get-run-m02", "client.get_run", {"run_id": "{run:m02}"}, ("keys", "values")),
        Case("get-run-unknown", "get_run", {"run_id": "no-such-run-id"}),
        Case("get-run-empty", "get_run", {"run_id": ""}),
    ]
    history = "client.get_metric_history"
    for key, metric in [
        ("m01", "rmse"), ("m01", "acc"), ("m12", "rmse"), ("m19", "loss"), ("m20", "loss"), ("m21", "loss"),
        ("m22", "loss"), ("m23", "loss"), ("m24", "loss"), ("m25", "f1 score"), ("m25", "val/acc"),
        ("m04", "rmse"), ("m05", "rmse"), ("m01", "nonexistent"), ("m51", "loss"),
    ]:  # fmt: skip
        slug = metric.replace(" ", "-").replace("/", "-")
        out.append(
            Case(
                f"history-{key}-{slug}",
                history,
                {"run_id": f"{{run:{key}}}", "key": metric},
                ("keys", "values"),
            )
        )
    out.append(Case("history-unknown-run", history, {"run_id": "no-such-run-id", "key": "rmse"}))
    return out


def idiom_cases() -> list[Case]:
    out = [runs(f"idiom-{name}", idiom=name) for name in IDIOMS if name not in ("len", "empty")]
    out += [
        runs("idiom-len-all", experiments=ALL_EXPERIMENTS, idiom="len"),
        runs("idiom-empty-result", "metrics.rmse > 1e309", idiom="empty"),
        runs("idiom-columns-upper", experiments=[UPPER], idiom="params-columns"),
        runs("idiom-epochs-dtype-spaced", experiments=[SPACED], idiom="epochs-dtype"),
        runs("idiom-epochs-values-spaced", experiments=[SPACED], idiom="epochs-values"),
    ]
    return out


def all_cases() -> list[Case]:
    cases = (
        filter_cases("metric", METRIC_FILTERS)
        + filter_cases("param", PARAM_FILTERS)
        + filter_cases("tag", TAG_FILTERS)
        + filter_cases("systag", SYSTEM_TAG_FILTERS)
        + filter_cases("attr", ATTRIBUTE_FILTERS)
        + filter_cases("syntax", SYNTAX_FILTERS)
        + [runs(f"order-{name}", order_by=keys) for name, keys in ORDERINGS]
        + [runs(f"order-invalid-{name}", order_by=keys) for name, keys in INVALID_ORDERINGS]
        + [runs(f"order-all-{name}", order_by=keys, run_view_type="ALL") for name, keys in ORDERINGS[:6]]
        + frame_cases()
        + list_cases()
        + LIMITS
        + VIEWS
        + EXPERIMENT_SELECTION
        + PAGING
        + experiment_cases()
        + run_cases()
        + idiom_cases()
    )
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ValueError(f"duplicate case id {case.id!r}")
        seen.add(case.id)
    return cases


CASES = all_cases()
BY_ID = {case.id: case for case in CASES}

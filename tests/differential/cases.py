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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

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


def filters(prefix: str, items: Iterable[tuple[str, str]], **kw: Any) -> list[Case]:
    return [runs(f"{prefix}-{name}", text, **kw) for name, text in items]


# -- metrics -------------------------------------------------------------------------------------

METRIC_FILTERS = [
    ("rmse-eq", "metrics.rmse = 0.5"),
    ("rmse-ne", "metrics.rmse != 0.5"),
    ("rmse-gt", "metrics.rmse > 0.5"),
    ("rmse-ge", "metrics.rmse >= 0.5"),
    ("rmse-lt", "metrics.rmse < 0.5"),
    ("rmse-le", "metrics.rmse <= 0.5"),
    ("rmse-eq-0", "metrics.rmse = 0"),
    ("rmse-ne-0", "metrics.rmse != 0"),
    ("rmse-gt-0", "metrics.rmse > 0"),
    ("rmse-lt-0", "metrics.rmse < 0"),
    ("rmse-le-0", "metrics.rmse <= 0"),
    ("rmse-ge-neg", "metrics.rmse >= -1.5"),
    ("rmse-eq-neg", "metrics.rmse = -1.5"),
    ("rmse-gt-huge", "metrics.rmse > 1e308"),
    ("rmse-lt-neg-huge", "metrics.rmse < -1e308"),
    ("rmse-ne-big", "metrics.rmse != 1e10"),
    ("rmse-eq-int", "metrics.rmse = 5"),
    ("rmse-eq-exp", "metrics.rmse = 1e2"),
    ("rmse-eq-tiny", "metrics.rmse = 1e-10"),
    ("rmse-lt-tiny", "metrics.rmse < 1e-5"),
    ("rmse-gt-neg-zero", "metrics.rmse > -0"),
    ("rmse-eq-quarter", "metrics.rmse = 0.25"),
    ("rmse-range", "metrics.rmse > 0.2 and metrics.rmse < 1"),
    ("rmse-range-upper-and", "metrics.rmse >= 0.3 AND metrics.rmse <= 0.6"),
    ("acc-gt", "metrics.acc > 0.8"),
    ("acc-eq-1", "metrics.acc = 1"),
    ("acc-eq-1.0", "metrics.acc = 1.0"),
    ("acc-ne", "metrics.acc != 0.9"),
    ("acc-ge-0", "metrics.acc >= 0"),
    ("acc-eq-neg-zero", "metrics.acc = -0.0"),
    ("loss-eq-last", "metrics.loss = 1.0"),
    ("loss-eq-max-step", "metrics.loss = 0.2"),
    ("loss-eq-last-logged", "metrics.loss = 0.9"),
    ("loss-lt", "metrics.loss < 1"),
    ("loss-ne-0", "metrics.loss != 0"),
    ("loss-eq-same-step-1", "metrics.loss = 0.6"),
    ("loss-eq-same-step-2", "metrics.loss = 0.7"),
    ("loss-gt-2", "metrics.loss > 2"),
    ("loss-eq-after-inf", "metrics.loss = 2.5"),
    ("loss-eq-after-nan", "metrics.loss = 0.5"),
    ("f1-backtick", "metrics.`f1 score` > 0.5"),
    ("f1-dquote", 'metrics."f1 score" > 0.5'),
    ("f1-ne", "metrics.`f1 score` != 0.6"),
    ("val-loss-backtick", "metrics.`val.loss` < 0.25"),
    ("val-loss-dotted", "metrics.val.loss < 0.25"),
    ("a-b-backtick", "metrics.`a-b` = 1"),
    ("a-b-bare", "metrics.a-b = 1"),
    ("val-acc-backtick", "metrics.`val/acc` > 0.6"),
    ("val-acc-bare", "metrics.val/acc > 0.6"),
    ("missing-key-gt", "metrics.nonexistent > 0"),
    ("missing-key-ne", "metrics.nonexistent != 0"),
    ("two-metrics", "metrics.rmse > 0 and metrics.acc > 0.5"),
    ("two-metrics-upper", "metrics.rmse < 1 AND metrics.acc >= 0.8"),
    ("singular-prefix", "metric.rmse < 0.3"),
    ("best-rmse", "metrics.best_rmse < 1"),
    ("spaces-around", "  metrics.rmse   <   0.5  "),
    ("no-spaces", "metrics.rmse<0.5"),
]

# -- params: always strings in MLflow -----------------------------------------------------------------

PARAM_FILTERS = [
    ("epochs-eq-10", "params.epochs = '10'"),
    ("epochs-ne-10", "params.epochs != '10'"),
    ("epochs-eq-10.0", "params.epochs = '10.0'"),
    ("epochs-eq-010", "params.epochs = '010'"),
    ("epochs-eq-True", "params.epochs = 'True'"),
    ("epochs-eq-ten", "params.epochs = 'ten'"),
    ("epochs-eq-neg", "params.epochs = '-3'"),
    ("epochs-eq-0", "params.epochs = '0'"),
    ("epochs-dquote", 'params.epochs = "10"'),
    ("epochs-like-1", "params.epochs LIKE '1%'"),
    ("epochs-like-dot", "params.epochs LIKE '%.%'"),
    ("epochs-ilike", "params.epochs ILIKE 'TEN'"),
    ("lr-eq-0.1", "params.lr = '0.1'"),
    ("lr-eq-0.10", "params.lr = '0.10'"),
    ("lr-eq-1e-05", "params.lr = '1e-05'"),
    ("lr-eq-1e-3", "params.lr = '1e-3'"),
    ("lr-eq-1.0", "params.lr = '1.0'"),
    ("lr-eq-0", "params.lr = '0'"),
    ("lr-eq-0.001", "params.lr = '0.001'"),
    ("use-bn-True", "params.use_bn = 'True'"),
    ("use-bn-False", "params.use_bn = 'False'"),
    ("use-bn-true", "params.use_bn = 'true'"),
    ("seed-007", "params.seed = '007'"),
    ("seed-7", "params.seed = '7'"),
    ("seed-1e3", "params.seed = '1e3'"),
    ("seed-0", "params.seed = '0'"),
    ("s-yes", "params.s = 'yes'"),
    ("s-null", "params.s = 'null'"),
    ("s-empty", "params.s = ''"),
    ("s-padded", "params.s = ' padded '"),
    ("s-hex", "params.s = '0x10'"),
    ("s-underscore", "params.s = '1_000'"),
    ("s-nan", "params.s = 'nan'"),
    ("s-True", "params.s = 'True'"),
    ("s-ne-empty", "params.s != ''"),
    ("big-int", "params.big = '1180591620717411303424'"),
    ("list-value", "params.lst = '[1, 2]'"),
    ("dict-value", "params.dct = \"{'a': 1}\""),
    ("neg-zero", "params.neg = '-0.0'"),
    ("none-value", "params.none = 'None'"),
    ("optimizer-eq", "params.optimizer = 'adam'"),
    ("optimizer-ne", "params.optimizer != 'sgd'"),
    ("optimizer-like-prefix", "params.optimizer LIKE 'adam%'"),
    ("optimizer-ilike-prefix", "params.optimizer ILIKE 'adam%'"),
    ("optimizer-like-contains", "params.optimizer LIKE '%a%'"),
    ("optimizer-like-underscore", "params.optimizer LIKE 'a_am'"),
    ("optimizer-ilike-exact", "params.optimizer ILIKE 'ADAM'"),
    ("optimizer-like-exact", "params.optimizer LIKE 'Adam'"),
    ("optimizer-dquote", 'params.optimizer = "adam"'),
    ("optimizer-is-null", "params.optimizer IS NULL"),
    ("optimizer-is-not-null", "params.optimizer IS NOT NULL"),
    ("epochs-is-null", "params.epochs IS NULL"),
    ("s-is-not-null", "params.s IS NOT NULL"),
    ("batch-size-backtick", "params.`batch size` = '32'"),
    ("batch-size-dquote", "params.\"batch size\" = '32'"),
    ("model-depth-dotted", "params.model.depth = '4'"),
    ("dropout-backtick", "params.`drop-out` = '0.1'"),
    ("missing-eq", "params.nonexistent = 'x'"),
    ("missing-ne", "params.nonexistent != 'x'"),
    ("prefix-param", "param.optimizer = 'sgd'"),
    ("prefix-parameter", "parameter.optimizer = 'sgd'"),
    ("prefix-parameters", "parameters.optimizer = 'sgd'"),
    ("param-and-metric", "params.optimizer = 'sgd' and metrics.rmse < 0.5"),
    ("param-and-param", "params.epochs = '10' and params.optimizer = 'adam'"),
    ("lr-child", "params.lr = '0.01' and tags.kind = 'child'"),
]

# -- tags: strings, LIKE/ILIKE with % and _ ----------------------------------------------------------

TAG_FILTERS = [
    ("model-eq", "tags.model = 'cnn'"),
    ("model-ne", "tags.model != 'cnn'"),
    ("model-like-exact", "tags.model LIKE 'cnn'"),
    ("model-ilike-exact", "tags.model ILIKE 'cnn'"),
    ("model-like-prefix", "tags.model LIKE 'c%'"),
    ("model-ilike-prefix", "tags.model ILIKE 'C%'"),
    ("model-like-contains-upper", "tags.model LIKE '%N%'"),
    ("note-like-100", "tags.note LIKE '100%'"),
    ("note-eq-100pct", "tags.note = '100%'"),
    ("note-like-escaped-pct", "tags.note LIKE '100\\%'"),
    ("note-like-ends-pct", "tags.note LIKE '%\\%'"),
    ("note-like-starts-pct", "tags.note LIKE '\\%%'"),
    ("note-like-underscore", "tags.note LIKE 'a_b'"),
    ("note-like-escaped-underscore", "tags.note LIKE 'a\\_b'"),
    ("note-like-any-nonempty", "tags.note LIKE '_%'"),
    ("note-like-all", "tags.note LIKE '%'"),
    ("note-like-empty", "tags.note LIKE ''"),
    ("note-eq-empty", "tags.note = ''"),
    ("note-ne-empty", "tags.note != ''"),
    ("note-like-mixed", "tags.note LIKE 'mixed'"),
    ("note-ilike-mixed", "tags.note ILIKE 'mixed'"),
    ("note-eq-mixed", "tags.note = 'mixed'"),
    ("note-ne-mixed", "tags.note != 'mixed'"),
    ("note-ilike-pct-mixed", "tags.note ILIKE '%IX%'"),
    ("note-eq-doubled-quote", "tags.note = 'it''s'"),
    ("note-eq-dquoted-apostrophe", 'tags.note = "it\'s"'),
    ("note-like-doublequote", "tags.note LIKE '%\"%'"),
    ("note-eq-say-hi", "tags.note = 'say \"hi\"'"),
    ("note-like-backslash", "tags.note LIKE '%\\%'"),
    ("note-like-two-backslashes", "tags.note LIKE '%\\\\%'"),
    ("note-eq-backslash", "tags.note = 'back\\slash'"),
    ("note-like-brackets", "tags.note LIKE '[x]'"),
    ("note-like-dot", "tags.note LIKE '%.%'"),
    ("note-like-space", "tags.note LIKE '% %'"),
    ("note-eq-10", "tags.note = '10'"),
    ("note-eq-True", "tags.note = 'True'"),
    ("note-is-null", "tags.note IS NULL"),
    ("note-is-not-null", "tags.note IS NOT NULL"),
    ("note-ilike-pct-only", "tags.note ILIKE '%\\%%'"),
    ("team-eq", "tags.team = 'ml'"),
    ("team-ne", "tags.team != 'ml'"),
    ("team-ilike", "tags.team ILIKE 'ML'"),
    ("team-eq-empty", "tags.team = ''"),
    ("team-like-research", "tags.team LIKE 'research'"),
    ("team-ilike-research", "tags.team ILIKE 'research'"),
    ("data-set-backtick", "tags.`data set` = 'v1'"),
    ("data-set-dquote-ilike", "tags.\"data set\" ILIKE 'v1'"),
    ("data-version-dotted", "tags.data.version = '2'"),
    ("owner-name-backtick", "tags.`owner-name` LIKE 'a%'"),
    ("singular-tag", "tag.team = 'infra'"),
    ("case-key-like", "tags.case_key LIKE 'm0_'"),
    ("kind-child", "tags.kind = 'child'"),
    ("kind-like", "tags.kind LIKE '%child'"),
    ("missing-tag-eq", "tags.nonexistent = 'x'"),
    ("missing-tag-ne", "tags.nonexistent != 'x'"),
    ("missing-tag-is-null", "tags.nonexistent IS NULL"),
]

# -- system tags --------------------------------------------------------------------------------

SYSTEM_TAG_FILTERS = [
    ("runname-eq", "tags.mlflow.runName = 'trial'"),
    ("runname-like", "tags.mlflow.runName LIKE 'trial%'"),
    ("runname-ilike", "tags.mlflow.runName ILIKE 'BASELINE'"),
    ("runname-backtick", "tags.`mlflow.runName` = 'baseline'"),
    ("runname-ne", "tags.mlflow.runName != 'trial'"),
    ("parent-eq", "tags.mlflow.parentRunId = '{run:m36}'"),
    ("parent-eq-inner", "tags.mlflow.parentRunId = '{run:m38}'"),
    ("parent-is-null", "tags.mlflow.parentRunId IS NULL"),
    ("parent-is-not-null", "tags.mlflow.parentRunId IS NOT NULL"),
    ("parent-like", "tags.mlflow.parentRunId LIKE '%'"),
    ("user-is-not-null", "tags.mlflow.user IS NOT NULL"),
    ("user-like", "tags.mlflow.user LIKE '%'"),
    ("user-ne", "tags.mlflow.user != 'nobody-at-all'"),
    ("source-type", "tags.mlflow.source.type = 'LOCAL'"),
    ("source-name-not-null", "tags.mlflow.source.name IS NOT NULL"),
]

# -- attributes ----------------------------------------------------------------------------------

ATTRIBUTE_FILTERS = [
    ("status-finished", "attributes.status = 'FINISHED'"),
    ("status-ne-finished", "attributes.status != 'FINISHED'"),
    ("status-failed", "attributes.status = 'FAILED'"),
    ("status-killed", "attributes.status = 'KILLED'"),
    ("status-running", "attributes.status = 'RUNNING'"),
    ("status-lowercase", "attributes.status = 'finished'"),
    ("status-like", "attributes.status LIKE 'F%'"),
    ("status-ilike", "attributes.status ILIKE 'f%'"),
    ("status-in", "attributes.status IN ('FAILED', 'KILLED')"),
    ("status-not-in", "attributes.status NOT IN ('FAILED', 'KILLED')"),
    ("status-bare", "status = 'FAILED'"),
    ("status-attribute", "attribute.status = 'KILLED'"),
    ("status-attr", "attr.status = 'KILLED'"),
    ("status-run-prefix", "run.status = 'KILLED'"),
    ("status-and-metric", "attributes.status = 'FINISHED' and metrics.rmse < 0.5"),
    ("run-name-eq", "attributes.run_name = 'trial'"),
    ("run-name-bare", "run_name = 'baseline'"),
    ("run-name-like", "attributes.run_name LIKE 'trial%'"),
    ("run-name-ilike", "attributes.run_name ILIKE 'baseline'"),
    ("run-name-ne", "attributes.run_name != 'trial'"),
    ("run-name-alias-backtick", "attributes.`Run name` = 'trial'"),
    ("run-name-alias-title", "attributes.`Run Name` = 'baseline'"),
    ("run-name-alias-lower", "attributes.`run name` = 'baseline'"),
    ("run-name-alias-dquote", "attributes.\"Run name\" = 'trial'"),
    ("run-name-spaces", "attributes.run_name = 'run with spaces'"),
    ("run-name-like-underscore", "attributes.run_name LIKE 'name\\_%'"),
    ("run-name-like-pct", "attributes.run_name LIKE '%\\%%'"),
    ("run-name-apostrophe", 'attributes.run_name = "it\'s a name"'),
    ("run-name-in", "attributes.run_name IN ('trial', 'baseline')"),
    ("run-id-eq", "attributes.run_id = '{run:m01}'"),
    ("run-id-bare", "run_id = '{run:m02}'"),
    ("run-id-in", "attributes.run_id IN ('{run:m01}', '{run:m02}', '{run:m43}')"),
    ("run-id-not-in", "attributes.run_id NOT IN ('{run:m01}', '{run:m02}')"),
    ("run-id-in-dquote", 'attributes.run_id IN ("{run:m03}")'),
    ("run-id-ne", "attributes.run_id != '{run:m01}'"),
    ("run-id-like", "attributes.run_id LIKE '{run:m05}'"),
    ("run-id-other-experiment", "attributes.run_id IN ('{run:b01}')"),
    ("run-id-unknown", "attributes.run_id = 'no-such-run'"),
    ("run-id-in-and-metric", "attributes.run_id IN ('{run:m01}', '{run:m02}') and metrics.rmse < 0.4"),
    ("start-gt", "attributes.start_time > {start:m25}"),
    ("start-ge", "attributes.start_time >= {start:m25}"),
    ("start-lt", "attributes.start_time < {start:m05}"),
    ("start-eq", "attributes.start_time = {start:m10}"),
    ("start-ne", "attributes.start_time != {start:m10}"),
    ("start-gt-0", "attributes.start_time > 0"),
    ("start-bare", "start_time > {start:m45}"),
    ("created-gt", "attributes.created > {start:m40}"),
    ("created-capital", "attributes.Created < {start:m03}"),
    ("created-bare", "created >= {start:m48}"),
    ("end-gt", "attributes.end_time > {end:m30}"),
    ("end-le", "attributes.end_time <= {end:m02}"),
    ("end-gt-0", "attributes.end_time > 0"),
    ("start-float", "attributes.start_time > 1.5"),
    ("user-id-like", "attributes.user_id LIKE '%'"),
    ("user-id-ne", "attributes.user_id != 'nobody-at-all'"),
    ("user-id-eq-nobody", "attributes.user_id = 'nobody-at-all'"),
    ("artifact-uri-like", "attributes.artifact_uri LIKE '%artifacts'"),
    ("artifact-uri-contains-id", "attributes.artifact_uri LIKE '%{run:m01}%'"),
    ("artifact-uri-ne", "attributes.artifact_uri != ''"),
    ("lifecycle-stage", "attributes.lifecycle_stage = 'active'"),
    ("experiment-id", "attributes.experiment_id = '{exp:exp-main}'"),
    ("duration", "attributes.duration > 0"),
    ("run-uuid", "attributes.run_uuid = '{run:m01}'"),
]

# -- odd syntax: MLflow raises on most ----------------------------------------------------------------

SYNTAX_FILTERS = [
    ("metric-string-value", "metrics.rmse = 'x'"),
    ("metric-quoted-number", "metrics.rmse > '0.5'"),
    ("metric-like", "metrics.rmse LIKE '0.5'"),
    ("metric-in", "metrics.rmse IN (0.5, 0.3)"),
    ("metric-is-null", "metrics.rmse IS NULL"),
    ("param-unquoted-number", "params.epochs = 10"),
    ("param-gt", "params.epochs > '5'"),
    ("param-in", "params.optimizer IN ('adam', 'sgd')"),
    ("param-not-in", "params.optimizer NOT IN ('adam')"),
    ("tag-unquoted-number", "tags.note = 10"),
    ("tag-in", "tags.team IN ('ml')"),
    ("tag-lt", "tags.team < 'ml'"),
    ("unknown-attribute", "attributes.foo = 'x'"),
    ("unknown-prefix", "foo.bar = 'x'"),
    ("bare-key", "rmse < 0.5"),
    ("or", "metrics.rmse < 0.3 or metrics.acc > 0.8"),
    ("parentheses", "(metrics.rmse < 0.3)"),
    ("parentheses-and", "(metrics.rmse < 0.3) and (metrics.acc > 0.5)"),
    ("missing-value", "metrics.rmse <"),
    ("missing-operator", "metrics.rmse 0.5"),
    ("double-equals", "metrics.rmse == 0.5"),
    ("unquoted-string", "params.optimizer = adam"),
    ("unterminated-string", "params.optimizer = 'adam"),
    ("trailing-and", "metrics.rmse < 0.5 and"),
    ("leading-and", "and metrics.rmse < 0.5"),
    ("two-statements", "metrics.rmse < 0.5; metrics.acc > 0.1"),
    ("start-time-string", "attributes.start_time > '0'"),
    ("status-unquoted", "attributes.status = FINISHED"),
    ("status-lt", "attributes.status < 'Z'"),
    ("run-name-is-null", "attributes.run_name IS NULL"),
    ("start-time-like", "attributes.start_time LIKE '1%'"),
    ("run-id-in-empty", "attributes.run_id IN ()"),
    ("not-equal-diamond", "metrics.rmse <> 0.5"),
    ("garbage", "this is not a filter"),
    ("empty-key", "metrics.`` > 1"),
    ("backtick-value", "params.optimizer = `adam`"),
    ("dataset-name", "dataset.name = 'x'"),
]

# -- order_by --------------------------------------------------------------------------------------

ORDERINGS = [
    ("rmse", ["metrics.rmse"]),
    ("rmse-asc", ["metrics.rmse ASC"]),
    ("rmse-desc", ["metrics.rmse DESC"]),
    ("rmse-lower-desc", ["metrics.rmse desc"]),
    ("rmse-extra-spaces", ["metrics.rmse   DESC"]),
    ("acc-desc", ["metrics.acc DESC"]),
    ("acc-asc", ["metrics.acc ASC"]),
    ("loss-asc", ["metrics.loss ASC"]),
    ("loss-desc", ["metrics.loss DESC"]),
    ("f1-backtick-desc", ["metrics.`f1 score` DESC"]),
    ("f1-dquote", ['metrics."f1 score"']),
    ("val-loss-dotted", ["metrics.val.loss ASC"]),
    ("epochs-asc", ["params.epochs ASC"]),
    ("epochs-desc", ["params.epochs DESC"]),
    ("lr-asc", ["params.lr ASC"]),
    ("lr-desc", ["params.lr DESC"]),
    ("optimizer", ["params.optimizer"]),
    ("optimizer-desc", ["params.optimizer DESC"]),
    ("s-asc", ["params.s ASC"]),
    ("seed-asc", ["params.seed"]),
    ("batch-size-backtick", ["params.`batch size` DESC"]),
    ("note-asc", ["tags.note ASC"]),
    ("note-desc", ["tags.note DESC"]),
    ("team-desc", ["tags.team DESC"]),
    ("model", ["tags.model"]),
    ("runname-tag", ["tags.mlflow.runName"]),
    ("start-asc", ["attributes.start_time ASC"]),
    ("start-desc", ["attributes.start_time DESC"]),
    ("start-bare", ["start_time"]),
    ("end-desc", ["attributes.end_time DESC"]),
    ("end-asc", ["end_time ASC"]),
    ("run-name", ["attributes.run_name"]),
    ("run-name-desc", ["run_name DESC"]),
    ("run-name-alias", ["attributes.`Run name` ASC"]),
    ("status", ["attributes.status"]),
    ("status-desc", ["status DESC"]),
    ("created", ["created"]),
    ("created-capital-desc", ["Created DESC"]),
    ("user-id", ["attributes.user_id"]),
    ("lifecycle-stage", ["attributes.lifecycle_stage"]),
    ("missing-metric", ["metrics.nonexistent DESC"]),
    ("missing-param", ["params.nonexistent"]),
    ("optimizer-then-rmse-desc", ["params.optimizer ASC", "metrics.rmse DESC"]),
    ("team-then-start-asc", ["tags.team", "attributes.start_time ASC"]),
    ("acc-desc-then-rmse", ["metrics.acc DESC", "metrics.rmse ASC"]),
    ("status-then-name", ["attributes.status DESC", "attributes.run_name ASC"]),
    ("comma-in-one-string", ["metrics.rmse DESC, metrics.acc ASC"]),
]

INVALID_ORDERINGS = [
    ("bad-direction", ["metrics.rmse DOWN"]),
    ("two-directions", ["metrics.rmse DESC ASC"]),
    ("unknown-prefix", ["foo.bar"]),
    ("unknown-attribute", ["attributes.nope"]),
    ("empty-string", [""]),
    ("duration", ["attributes.duration DESC"]),
]

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
        ("m04", "rmse"), ("m05", "rmse"), ("m01", "nonexistent"),
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


# -- what users do with the DataFrame ------------------------------------------------------------------


def _keys(df: Any) -> list[Any]:
    return [str(k) for k in df["tags.case_key"]]


IDIOMS: dict[str, Callable[[Any], Any]] = {
    "epochs-eq-str": lambda df: _keys(df[df["params.epochs"] == "10"]),
    "epochs-eq-int": lambda df: _keys(df[df["params.epochs"] == 10]),
    "epochs-isin": lambda df: _keys(df[df["params.epochs"].isin(["10", "20"])]),
    "lr-eq-str": lambda df: _keys(df[df["params.lr"] == "0.1"]),
    "use-bn-eq-str": lambda df: _keys(df[df["params.use_bn"] == "True"]),
    "runname-column": lambda df: list(df["tags.mlflow.runName"]),
    "runname-unique": lambda df: sorted(df["tags.mlflow.runName"].unique()),
    "parent-notna": lambda df: _keys(df[df["tags.mlflow.parentRunId"].notna()]),
    "rmse-idxmin": lambda df: str(df.loc[df["metrics.rmse"].idxmin(), "tags.case_key"]),
    "rmse-sort-values": lambda df: _keys(df.sort_values("metrics.rmse", kind="stable")),
    "rmse-dropna-count": lambda df: int(df.dropna(subset=["metrics.rmse"]).shape[0]),
    "rmse-mean-finite": lambda df: round(
        float(df["metrics.rmse"][df["metrics.rmse"].abs() < 1e300].mean()), 9
    ),
    "optimizer-unique": lambda df: sorted(str(v) for v in df["params.optimizer"].dropna().unique()),
    "optimizer-groupby-acc": lambda df: {
        str(k): round(float(v), 9)
        for k, v in df.groupby("params.optimizer")["metrics.acc"].max().dropna().items()
    },
    "status-counts": lambda df: {str(k): int(v) for k, v in df["status"].value_counts().sort_index().items()},
    "start-time-dtype": lambda df: str(df["start_time"].dtype),
    "end-time-dtype": lambda df: str(df["end_time"].dtype),
    "epochs-dtype": lambda df: str(df["params.epochs"].dtype),
    "epochs-isna-count": lambda df: int(df["params.epochs"].isna().sum()),
    "epochs-values": lambda df: [None if v is None or v != v else v for v in df["params.epochs"]],
    "lr-astype-float-sum": lambda df: round(float(df["params.lr"].dropna().astype(float).sum()), 9),
    "params-columns": lambda df: sorted(c for c in df.columns if c.startswith("params.")),
    "metrics-columns": lambda df: sorted(c for c in df.columns if c.startswith("metrics.")),
    "tags-columns": lambda df: sorted(c for c in df.columns if c.startswith("tags.")),
    "leading-columns": lambda df: [c for c in df.columns if "." not in c],
    "run-id-is-str": lambda df: all(isinstance(v, str) and len(v) > 0 for v in df["run_id"]),
    "experiment-id-is-str": lambda df: all(isinstance(v, str) for v in df["experiment_id"]),
    "duration-column": lambda df: _keys(df[(df["end_time"] - df["start_time"]).dt.total_seconds() >= 0]),
    "to-dict-first": lambda df: sorted(df.iloc[0].to_dict()),
    "len": lambda df: len(df),
    "empty": lambda df: bool(df.empty),
    "note-str-contains": lambda df: _keys(df[df["tags.note"].str.contains("%", na=False, regex=False)]),
}


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
        filters("metric", METRIC_FILTERS)
        + filters("param", PARAM_FILTERS)
        + filters("tag", TAG_FILTERS)
        + filters("systag", SYSTEM_TAG_FILTERS)
        + filters("attr", ATTRIBUTE_FILTERS)
        + filters("syntax", SYNTAX_FILTERS)
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

"""gittrack against MLflow's recorded answers, one test per case of tests/differential/.

The scenario is logged once per module through ``import gittrack as mlflow`` in a real
git repository; each case then runs against it and is compared with what MLflow 3.17
answered (``tests/differential/expected.json``, re-recorded by
``scripts/differential.sh``).  Cases gittrack gets wrong today are listed in
``pending.yaml`` and expected to fail with the listed category (``xfail(strict=True)``:
a fixed case fails the suite until it is removed from the list); deliberate differences
are in ``documented.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from differential import corpus, runner
from differential.cases import CASES, Case


class Disagreement(AssertionError):
    """gittrack answers otherwise than MLflow, in the category pending.yaml lists."""


def _params() -> list[object]:
    documented, pending = corpus.documented()["cases"], corpus.pending()
    params: list[object] = []
    for case in CASES:
        marks: list[pytest.MarkDecorator] = []
        if case.id in documented:
            marks.append(pytest.mark.skip(reason=f"documented difference: {documented[case.id]}"))
        elif case.id in pending:
            entry = pending[case.id]
            reason = f"{entry['category']}: {entry['reason']}"
            marks.append(pytest.mark.xfail(strict=True, raises=Disagreement, reason=reason))
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[runner.Backend]:
    """The scenario logged through gittrack, in a repository that stays the working directory."""
    root = tmp_path_factory.mktemp("differential") / "repo"
    home = tmp_path_factory.mktemp("differential-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for role in ("AUTHOR", "COMMITTER"):
            patch.setenv(f"GIT_{role}_NAME", "Test User")
            patch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
        for name in ("GITTRACK_DIR", "GITTRACK_RUN_ID", "GITTRACK_EXPERIMENT", "MLFLOW_TRACKING_URI"):
            patch.delenv(name, raising=False)
        runner.make_git_repo(root)
        patch.chdir(root)
        yield runner.build("gittrack", runner.open_backend("gittrack", root))


@pytest.mark.parametrize("case", _params())
def test_case(case: Case, backend: runner.Backend) -> None:
    verdict = corpus.judge(case, runner.run_case(case, backend))
    if verdict.agrees:
        return
    listed = corpus.pending().get(case.id)
    if listed is not None and listed["category"] != verdict.category:
        pytest.fail(
            f"pending.yaml lists {case.id} as {listed['category']}, but it is now {verdict.category}: "
            f"{verdict.detail}\n  {case.describe()}"
        )
    raise Disagreement(f"{verdict.category}: {verdict.detail}\n  {case.describe()}")


def test_every_case_is_recorded() -> None:
    recorded = set(corpus.expected()["cases"])
    assert [c.id for c in CASES if c.id not in recorded] == [], "re-record: scripts/differential.sh"
    assert sorted(recorded - {c.id for c in CASES}) == []


def test_lists_name_only_known_cases() -> None:
    known = {c.id for c in CASES}
    assert sorted(set(corpus.pending()) - known) == []
    assert sorted(set(corpus.documented()["cases"]) - known) == []
    assert sorted(set(corpus.pending()) & set(corpus.documented()["cases"])) == []

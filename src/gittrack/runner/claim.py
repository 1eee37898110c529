"""The wrapper's side of a script's claim on its run (see :mod:`gittrack.tracking.environ`).

``gittrack run`` gives the command ``GITTRACK_RUN_CLAIM``, a file in a private temporary
directory that the command alone writes (atomically) when the script opens the run under
an experiment, name or description of its own.  The wrapper, the one writer of the run's
``meta.yaml``, checks the file's stamp as it pumps output and applies each new claim with
one atomic rewrite, so ``gittrack ls`` shows the script's names while it runs.  An explicit
``-e``/``-n`` the script overrides gets one line on stderr.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from gittrack.errors import GittrackError
from gittrack.store.writer import RunWriter
from gittrack.tracking import experiments
from gittrack.tracking.environ import ENV_CLAIM, read_claim

_OPTIONS = {"experiment": "-e", "name": "-n"}


class Claims:
    """Applies the command's claims to ``writer``'s run; ``explicit``: the options the user gave."""

    def __init__(
        self, writer: RunWriter, *, explicit: dict[str, str | None], note: Callable[[str], None] | None
    ) -> None:
        self._writer = writer
        self._explicit = explicit
        self._note = note
        self._dir = Path(tempfile.mkdtemp(prefix="gittrack-run-"))
        self.path = self._dir / "claim.yaml"
        self._stamp: tuple[int, int, int] | None = None

    def env(self) -> dict[str, str]:
        return {ENV_CLAIM: str(self.path)}

    def poll(self) -> None:
        """Apply the claim if the file changed since the last look (one stat otherwise)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        meta = self._writer.meta
        changes = {k: v for k, v in read_claim(str(self.path)).items() if getattr(meta, k) != v}
        if "experiment" in changes:
            try:
                experiments.check_name(changes["experiment"])
            except GittrackError:
                del changes["experiment"]
        if changes:
            self._tell(changes)
            self._writer.write_meta(**changes)

    def _tell(self, changes: dict[str, str]) -> None:
        for key, value in changes.items():
            given = self._explicit.get(key)
            if given is not None and given != value and self._note is not None:
                self._note(f"the script chose {key} {value!r}; {_OPTIONS[key]} {given!r} does not apply")

    def close(self) -> None:
        """Apply the last claim and remove the claim's directory."""
        try:
            self.poll()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

"""Keeping a store healthy and in git: ``init``, ``check``, ``gc``, ``commit``, ``checkout``, ``lfs``.

Owns validating and repairing run directories (:mod:`~gittrack.maintenance.check`), deleting
and restoring runs, committing finished runs with a summary message, checking out a run's
code in a worktree and the Git LFS rules for artifacts.  It may import ``review``,
``tracking``, ``query``, ``store``, ``git`` and ``errors``.
"""

"""Running commands as runs: ``gittrack run``, ``sweep`` and ``reproduce``.

Owns the wrapper around a user's command (:mod:`~gittrack.runner.command`: live output,
``output.log``, signals, exit codes), the environment it passes to the command
(:mod:`~gittrack.runner.env`), metrics parsed from output lines, sweeps (grid/random
trials, a parent run, resume) and reproduction in a worktree.  It may import
``tracking``, ``query``, ``store``, ``git``, ``review`` and ``maintenance``.
"""

"""Facts about the process that starts a run: user, host, command, Python, packages."""

from __future__ import annotations

import functools
import getpass
import os
import platform
import socket
import sys
from typing import Any


@functools.cache
def host() -> str:
    return socket.gethostname()


@functools.cache
def user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def source() -> dict[str, Any]:
    """Entry point, argv and interpreter of this process."""
    argv = list(sys.argv)
    entry = argv[0] if argv and argv[0] not in ("", "-c", "-m") else None
    return {
        "entry_point": entry,
        "argv": argv,
        "cwd": os.getcwd(),
        "python": platform.python_version(),
        "executable": sys.executable,
    }


@functools.cache
def environment() -> str:
    """Installed distributions as ``name==version`` lines, sorted (once per process: it is slow)."""
    from importlib import metadata

    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    body = "\n".join(seen[k] for k in sorted(seen))
    return f"# python {platform.python_version()} {sys.executable}\n{body}\n"

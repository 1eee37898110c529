"""The remote URL a run records: read from the git config file, credentials removed."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from gittrack.git._paths import git_dirs

_SECTION = re.compile(r'\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\\n]|\\.)*)")?\s*\]')


_ESCAPES = {"n": "\n", "t": "\t", "b": "\b"}


def _config_value(raw: str) -> str:
    out: list[str] = []
    quoted = False
    chars = iter(raw.strip())
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, nxt))
        elif ch == '"':
            quoted = not quoted
        elif ch in "#;" and not quoted:
            break
        else:
            out.append(ch)
    return "".join(out).strip()


def _remote_section(section: str, subsection: str | None) -> str | None:
    if subsection is not None:
        return re.sub(r"\\(.)", r"\1", subsection) if section.lower() == "remote" else None
    # Old `[remote.origin]` syntax; git lower-cases that form of subsection.
    name, dot, sub = section.partition(".")
    return sub.lower() if dot and name.lower() == "remote" else None


def remote_urls(config: str) -> dict[str, str]:
    """First ``url`` of each ``[remote "name"]`` of a git config file, in file order.

    Parsed here rather than with `git config` to save a process on every run start;
    `include` directives are not followed (remotes are practically never included).
    """
    urls: dict[str, str] = {}
    remote: str | None = None
    for line in config.splitlines():
        line = line.strip()
        header = _SECTION.match(line)
        if header:
            remote = _remote_section(header.group(1), header.group(2))
            continue
        key, sep, value = line.partition("=")
        if remote is not None and sep and key.strip().lower() == "url":
            urls.setdefault(remote, _config_value(value))
    return urls


def read_remote(root: Path) -> str | None:
    try:
        config = (git_dirs(root)[1] / "config").read_text("utf-8", errors="replace")
    except OSError:
        return None
    urls = remote_urls(config)
    url = urls.get("origin") or next(iter(urls.values()), None)
    return strip_credentials(url) if url else None


# Secure shell logs in with the user name, which is not a secret; only a password is.
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})


def strip_credentials(url: str) -> str:
    """``url`` without credentials: ``https://user:token@host/x.git`` -> ``https://host/x.git``.

    For ``ssh://`` URLs only a password is dropped; scp-like ``git@host:x.git`` and local
    paths are returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host; nothing we can safely rewrite
        return url
    if not parts.scheme or "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    if parts.scheme.lower() in _SSH_SCHEMES:
        host = f"{userinfo.partition(':')[0]}@{host}"
    return urlunsplit(parts._replace(netloc=host))

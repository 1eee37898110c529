"""The HTTP side of the UI: a stdlib threading server.

GET and HEAD are routed to :class:`gittrack.ui.app.App`.  POST is accepted only for the
edits of :mod:`gittrack.ui.pages.edit`, and only when all of these hold, else 403 (or
405) with nothing changed: edits are on (the work tree, served on a loopback address:
:func:`make_server`), the ``Origin`` header (or, without one, the ``Referer``) is this
server's own origin, and the form carries this server session's CSRF token.  Every other
method gets 405.  Expected failures (unknown run, bad artifact path) are 404/400 pages;
anything else is logged with its traceback on stderr and answered with a plain 500 page
that shows no detail.  When bound to a loopback address, requests must name a loopback
host, so a web page elsewhere cannot read runs through DNS rebinding.
"""

from __future__ import annotations

import errno
import ipaddress
import shutil
import socket
import sys
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gittrack.errors import GittrackError, MlflowException
from gittrack.ui.app import App
from gittrack.ui.web import SECURITY_HEADERS, HTTPError, Query, Response, error_page, one

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")
MAX_FORM_BYTES = 1 << 20  # a note of a few hundred KiB fits; nothing bigger is read


class PortInUseError(GittrackError):
    """The port asked for is taken by another program."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def free_port(host: str) -> int:
    """A port that is free on ``host`` right now (the OS picks it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class UIServer(ThreadingHTTPServer):
    daemon_threads = True
    app: App
    quiet: bool = False

    def __init__(self, address: tuple[str, int], app: App, *, quiet: bool = False) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, Handler)
        self.app = app
        self.quiet = quiet

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), int(self.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


def make_server(app: App, host: str = "127.0.0.1", port: int = 5000, *, quiet: bool = False) -> UIServer:
    """A server bound to ``host:port`` (port 0: any free port); PortInUseError when taken.

    Edits are turned on for the work tree on a loopback address, off otherwise: runs read
    from a git revision cannot change, and a UI that other machines can reach stays read-only.
    """
    app.edits = app.rev is None and is_loopback(host)
    try:
        return UIServer((host, port), app, quiet=quiet)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is already in use; try --port {free_port(host)}"
            ) from None
        raise GittrackError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(server: UIServer, note: Callable[[str], None], *, open_browser: bool = False) -> None:
    """Serve until interrupted (Ctrl+C), then close the socket.  The address is printed once
    the app is warm (:meth:`~gittrack.ui.app.App.warm`): the socket already listens, so a
    request made meanwhile waits for it."""
    server.app.warm()
    note(f"gittrack ui: serving {server.app.subtitle()} at {server.url} (Ctrl+C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        note("stopped")
    finally:
        server.server_close()


class Handler(BaseHTTPRequestHandler):
    server: UIServer
    server_version = "gittrack"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(self._get(), head=False)

    def do_HEAD(self) -> None:
        self._answer(self._get(), head=True)

    def _not_allowed(self) -> None:
        self.close_connection = True  # the body, if any, is never read
        self._answer(error_page(405, "this server is read-only: only GET and HEAD are allowed"), head=False)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def do_POST(self) -> None:
        self._answer(self._post(), head=False)

    def _post(self) -> Response:
        """An edit, once every check has passed; else the refusal, with nothing changed."""
        app = self.server.app
        try:
            form = self._checked_form()
        except HTTPError as exc:
            self.close_connection = True  # the body may be unread
            return error_page(exc.status, str(exc))
        if not app.token_matches(one(form, "csrf")):
            return error_page(403, "refused: the form's token is missing or stale; reload the page")
        return self._dispatch("POST", lambda: app.handle_post(self.path, form))

    def _checked_form(self) -> Query:
        """The posted form, read only after the Host, the target, edits being on and the
        origin are checked (HTTPError: what failed)."""
        app = self.server.app
        if not self._host_allowed():
            raise HTTPError(400, "unexpected Host header; open the UI at the address it printed")
        if not app.is_edit(self.path):
            raise HTTPError(405, "this page is read-only: only GET and HEAD are allowed")
        if not app.edits:
            why = "runs read from a git revision" if app.rev else "a UI listening beyond this machine"
            raise HTTPError(405, f"this UI is read-only: {why} cannot be edited")
        if not self._same_origin():
            raise HTTPError(403, "refused: the form was not sent from this UI's own pages")
        return self._read_form()

    def _same_origin(self) -> bool:
        """The request comes from a page of this server: its Origin (else its Referer's)."""
        origin = self.headers.get("Origin")
        if origin is None:
            parts = urlsplit(self.headers.get("Referer") or "")
            origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
        port = int(self.server.server_address[1])
        own = {self.server.url.rstrip("/"), f"http://localhost:{port}"}
        return origin.strip().lower() in own

    def _read_form(self) -> Query:
        """The url-encoded form of a POST, at most :data:`MAX_FORM_BYTES` of UTF-8."""
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            raise HTTPError(415, "edits are sent as forms (application/x-www-form-urlencoded)")
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            raise HTTPError(411, "a POST needs a Content-Length") from None
        if not 0 <= length <= MAX_FORM_BYTES:
            raise HTTPError(413, f"a form is at most {MAX_FORM_BYTES} bytes")
        try:
            text = self.rfile.read(length).decode("utf-8")
            return parse_qs(text, keep_blank_values=True, max_num_fields=100)
        except ValueError:  # not UTF-8, or more fields than any form of the UI has
            raise HTTPError(400, "not a form of this UI") from None

    def _get(self) -> Response:
        if not self._host_allowed():
            return error_page(400, "unexpected Host header; open the UI at the address it printed")
        return self._dispatch("GET", lambda: self.server.app.handle(self.path))

    def _dispatch(self, method: str, handle: Callable[[], Response]) -> Response:
        try:
            return handle()
        except HTTPError as exc:
            return error_page(exc.status, str(exc))
        except MlflowException as exc:  # a user-facing problem (bad config, unknown --rev): say it
            return error_page(500, str(exc))
        except Exception:
            sys.stderr.write(
                f"gittrack ui: internal error on {method} {self.path!r}\n{traceback.format_exc()}"
            )
            return error_page(500, "internal error (details are in the server's log)")

    def _host_allowed(self) -> bool:
        if not is_loopback(str(self.server.server_address[0])):
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in _LOOPBACK_NAMES or is_loopback(name)

    def _answer(self, response: Response, *, head: bool) -> None:
        length = response.length if response.stream is not None else len(response.body)
        try:
            self.send_response(response.status)
            headers = {**SECURITY_HEADERS, "Content-Type": response.content_type, **response.headers}
            headers.setdefault("Cache-Control", "no-store")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if not head:
                self.wfile.write(response.body)
                if response.stream is not None:
                    shutil.copyfileobj(response.stream, self.wfile, 1 << 16)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if response.stream is not None:
                response.stream.close()

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

"""Who is asking, may they, and is the post really from our page.

- **Identity.** Local mode: everyone on 127.0.0.1 is the local user (``lokal``, with every
  role). Server mode: a session cookie from the log-in page, or ``Authorization: Bearer``
  with an API token. The API always wants a token, in local mode too: other programs on the
  PC (or a web page in the browser) must not add consents in the user's name.
- **CSRF.** Every browser gets a random ``skema_csrf`` cookie (SameSite=Strict, HttpOnly);
  every form post must carry the same value in the field ``csrf`` (or the header
  ``X-CSRF-Token``, which htmx sends), else it is refused with 403; so is a post the
  browser says came from another site or another port of this host (``Sec-Fetch-Site``:
  a page there could have set the cookie, which is shared by the ports of a host).
- **Headers.** A content security policy without inline scripts or styles, no framing, no
  referrer, no caching of pages (they may show personal data).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException, Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from .store import Identity

#: Fields of one form post at most (a form's lists may have many rows); the form is read
#: once, here, with this limit: the page's own reading gets the same form.
MAX_FIELDS = 20000
CSRF_COOKIE = "skema_csrf"
SESSION_COOKIE = "skema_session"
LOCAL = Identity("lokal", "administrator", "lokal")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """ASGI middleware: the security headers on every response; ``no-store`` on all but the
    static files."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is refused with 413 before it
    is read (by its Content-Length) or as soon as it passes the limit (a chunked body), so
    nothing — not the CSRF check's form parsing either — spools a huge upload to disk."""

    def __init__(self, app: Callable[..., Awaitable[None]], limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: dict[str, Any], send: Any) -> None:
        from starlette.responses import JSONResponse, PlainTextResponse

        text = (f"Forsendelsen er for stor (højst {self.limit // 1024 // 1024} MB i alt). "
                "Send færre eller mindre filer ad gangen.")
        response: Any = (JSONResponse({"fejl": text}, status_code=413)
                         if scope.get("path", "").startswith("/api/")
                         else PlainTextResponse(text, status_code=413))

        async def no_body() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        await response(scope, no_body, send)


class _TooLarge(Exception):
    pass


def csrf_token(request: Request) -> str:
    """The browser's CSRF token (made on its first page; set as a cookie by the page)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request whose CSRF token does not match the cookie.

    A dependency of every page router; the API (token in a header, never a cookie) has none.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if cross_site(request):  # another site may have set the cookie (same host, other port)
        raise HTTPException(403, "Formularen var forældet eller kom ikke fra skema. "
                                 "Genindlæs siden, og prøv igen.")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("multipart/form-data",
                                    "application/x-www-form-urlencoded")):
            limit = request.app.state.config.max_upload_files
            try:  # the upload's files are counted as they come (more are never stored)
                form = await request.form(max_files=limit, max_fields=MAX_FIELDS)
            except StarletteHTTPException as exc:
                if "files" not in str(exc.detail):
                    raise HTTPException(400, "Formularen kunne ikke læses.") from None
                raise HTTPException(413, f"Der kan højst sendes {limit} filer ad gangen. "
                                         "Del dem op i flere omgange.") from None
            value = form.get("csrf")
            sent = value if isinstance(value, str) else ""
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise HTTPException(403, "Formularen var forældet eller kom ikke fra skema. "
                                 "Genindlæs siden, og prøv igen.")


def cross_site(request: Request) -> bool:
    """Whether the browser says another site's page (or another port of this host: the
    same site, but not the same origin) made this request (``Sec-Fetch-Site``). A typed
    address or a bookmark (``none``) and an old browser (no header) are not."""
    return request.headers.get("sec-fetch-site", "none") not in ("same-origin", "none")


def not_cross_site(request: Request) -> None:
    """Refuse (403) a request another site's page made the browser send (its
    ``Sec-Fetch-Site``): for the pages that write the audit log on GET (a consent shown or
    handed out), which a foreign page could otherwise open in the user's name — in local
    mode no log-in stands in the way."""
    if cross_site(request):
        raise HTTPException(403, "Siden kan kun åbnes fra skema selv. Gå til Samtykker, "
                                 "og åbn samtykket derfra.")


def cpr_in_address(path: str) -> bool:
    """Whether an address (path and query, percent-encoded or not) holds something like a
    CPR number."""
    from urllib.parse import unquote_plus

    from ..danish import mask_cpr

    text = unquote_plus(path)
    return mask_cpr(text) != text


def masked_address(path: str) -> str:
    """An address as it may be written to a log: a CPR number in it masked (the address
    is then given decoded and encoded again); any other address as it is."""
    from urllib.parse import quote, unquote_plus

    from ..danish import mask_cpr

    if not cpr_in_address(path):
        return path
    return quote(mask_cpr(unquote_plus(path)), safe="/?&=;:,+@")


def cpr_refusal(request: Request) -> HTTPException | None:
    """The refusal (400) of a request with something like a CPR number in its address
    (None: there is none): addresses end up in access logs and browser histories; a CPR
    number belongs in a post's body."""
    if not cpr_in_address(request.url.path + "?" + request.url.query):
        return None
    if request.url.path.startswith("/api/"):
        return HTTPException(400, "Et CPR-nummer må ikke stå i adressen. Send det i kroppen, "
                                  "fx med POST /api/consents/search.")
    return HTTPException(400, "Et CPR-nummer må ikke stå i adressen. Søg på borgeren under "
                              "Samtykker: CPR-nummeret sendes dér i formularen, ikke i "
                              "adressen.")


def no_cpr_in_url(request: Request) -> None:
    """A dependency of every page router and of the API: :func:`cpr_refusal`."""
    refusal = cpr_refusal(request)
    if refusal is not None:
        raise refusal


class MaskedAccessLog(logging.Filter):
    """A log filter for the web server's access log (uvicorn's ``uvicorn.access``, whose
    record has the address as its third argument) and its error log: a CPR number in an
    address masked. The serve command installs it; the library never changes logging."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the address of the record (always keeps the record)."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], masked_address(args[2]), *args[3:])
        if isinstance(record.msg, str) and cpr_in_address(record.msg):
            record.msg = masked_address(record.msg)
        return True


def identity(request: Request) -> Identity | None:
    """Who makes this page request: the local user, or a logged-in user (None: nobody)."""
    app = request.app.state
    if not app.config.server:
        return LOCAL
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return None
    return app.store.session_user(sid, app.config.session_minutes)


def api_identity(request: Request) -> Identity:
    """The identity of an API request's token; 401 without a valid one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    who = None
    if scheme.lower() == "bearer" and token:
        who = request.app.state.store.token_identity(token.strip())
    if who is None:
        raise HTTPException(401, "Kræver en gyldig API-nøgle (Authorization: Bearer …). "
                                 "Lav en med 'skema token new'.",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


class LoginRequired(Exception):
    """Raised by :func:`require` for a page request without a log-in (server mode)."""


def require(role: str) -> Callable[[Request], Identity]:
    """A dependency: the page's user when they have ``role``; log-in page or 403 otherwise."""
    def dependency(request: Request) -> Identity:
        who = identity(request)
        if who is None:
            raise LoginRequired()
        if not who.may(role):
            raise HTTPException(403, f"Din rolle ({who.role}) må ikke dette. "
                                     f"Det kræver rollen {role}.")
        request.state.identity = who
        return who
    return dependency


def require_api(role: str) -> Callable[[Request], Identity]:
    """A dependency of the API: the token's identity when it has ``role``, else 401/403."""
    def dependency(request: Request) -> Identity:
        who = api_identity(request)
        if not who.may(role):
            raise HTTPException(403, f"Nøglens rolle ({who.role}) må ikke dette.")
        return who
    return dependency

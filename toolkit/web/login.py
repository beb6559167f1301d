"""Log-in and log-out (server mode). In local mode there is nobody to log in.

After ``config.login_attempts`` failed log-ins for one user name, or from one address,
within ``config.login_window_minutes``, further attempts for that name or from that address
are refused (429, the password not even checked) until the oldest of those failures is
older than the window. The failures are kept in the app's database (a restart does not
forget them); an attempt counts as failed from before its password is checked (so that
attempts made at the same time cannot slip past the limit) until it succeeds, which
forgets the failures of its name and address.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from .pages import render
from .security import SESSION_COOKIE

router = APIRouter()


@router.get("/log-ind")
def login_page(request: Request) -> Response:
    """The log-in form."""
    if not request.app.state.config.server:
        return RedirectResponse("/", status_code=303)
    return render(request, "log-ind.html", {"fejl": None})


@router.post("/log-ind")
def login(request: Request, navn: Annotated[str, Form()],
          adgangskode: Annotated[str, Form()]) -> Response:
    """Check the password; on success a session cookie and the catalogue."""
    state = request.app.state
    if not state.config.server:
        return RedirectResponse("/", status_code=303)
    config = state.config
    keys = login_keys(request, navn)
    window = config.login_window_minutes * 60
    wait = state.store.login_attempt(keys, config.login_attempts, window)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        return render(request, "log-ind.html", {"fejl": too_many(minutes), "navn": navn},
                      status=429, headers={"Retry-After": str(math.ceil(wait))})
    who = state.store.check_password(navn, adgangskode)
    if who is None:
        return render(request, "log-ind.html",
                      {"fejl": "Forkert brugernavn eller adgangskode.", "navn": navn},
                      status=401)
    state.store.login_succeeded(keys)
    response = RedirectResponse("/", status_code=303)
    sid = state.store.new_session(who.name, state.config.session_minutes)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


def login_keys(request: Request, name: str) -> list[str]:
    """What failed log-ins are counted against: the user name (any case) and the address
    the request came from."""
    address = request.client.host if request.client else ""
    return [f"navn:{name.strip().casefold()}", f"adresse:{address}"]


def too_many(minutes: int) -> str:
    """The refusal of a log-in after too many failed ones."""
    return (f"For mange forkerte forsøg. Prøv igen om {minutes} "
            f"{'minut' if minutes == 1 else 'minutter'}.")


@router.post("/log-ud")
def logout(request: Request) -> Response:
    """End the session."""
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        request.app.state.store.end_session(sid)
    response = RedirectResponse("/log-ind" if request.app.state.config.server else "/",
                                status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

"""Log-in and log-out (server mode). In local mode there is nobody to log in."""

from __future__ import annotations

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
    who = state.store.check_password(navn, adgangskode)
    if who is None:
        return render(request, "log-ind.html",
                      {"fejl": "Forkert brugernavn eller adgangskode.", "navn": navn},
                      status=401)
    response = RedirectResponse("/", status_code=303)
    sid = state.store.new_session(who.name, state.config.session_minutes)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


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

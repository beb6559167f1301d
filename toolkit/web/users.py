"""The users page (``/brugere``, administrators): who may log in to server mode, with which
role; add and remove. The same store as ``skema user add|list|remove``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from .pages import render
from .security import require
from .store import ROLES, Identity, WebError

router = APIRouter()
Administrator = Annotated[Identity, Depends(require("administrator"))]


def _page(request: Request, status: int = 200, **context: object) -> Response:
    return render(request, "brugere.html", {"brugere": request.app.state.store.users(),
                                            "roller": ROLES, **context}, status=status)


@router.get("/brugere")
def users_page(request: Request, who: Administrator) -> Response:
    """The users and the form to add one."""
    return _page(request)


@router.post("/brugere")
def add_user(request: Request, who: Administrator, navn: Annotated[str, Form()],
             rolle: Annotated[str, Form()], adgangskode: Annotated[str, Form()],
             gentag: Annotated[str, Form()]) -> Response:
    """Add a user; a problem is shown beside its field."""
    navn = navn.strip()
    errors: dict[str, str] = {}
    if not navn:
        errors["navn"] = "Skriv et brugernavn."
    if adgangskode != gentag:
        errors["gentag"] = "De to adgangskoder er ikke ens."
    if not errors:
        try:
            request.app.state.store.add_user(navn, adgangskode, rolle)
        except WebError as exc:
            text = str(exc)
            field = ("adgangskode" if "adgangskode" in text else
                     "rolle" if "rolle" in text else "navn")
            errors[field] = text[:1].upper() + text[1:]
    if errors:
        return _page(request, 422, fejl=errors, navn=navn, rolle=rolle)
    return _page(request, besked=f"Brugeren {navn} ({rolle}) er oprettet.")


@router.post("/brugere/fjern")
def remove_user(request: Request, who: Administrator,
                navn: Annotated[str, Form()]) -> Response:
    """Remove a user (not yourself: the last administrator could lock everyone out)."""
    if navn == who.name:
        return _page(request, 409, fjern_fejl="Du kan ikke fjerne dig selv.")
    try:
        request.app.state.store.remove_user(navn)
    except WebError as exc:
        return _page(request, 404, fjern_fejl=str(exc)[:1].upper() + str(exc)[1:])
    return RedirectResponse("/brugere", status_code=303)

"""Rendering a page: the Jinja2 environment and :func:`render`, which every page uses.

Every page gets the municipality's profile (name and logo in the header), who is logged in,
the CSRF token for its forms and the navigation. Jinja2 escapes every value (autoescape).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ..danish import format_moment, mask_cpr
from ..profile import Profile
from .security import CSRF_COOKIE, csrf_token, identity

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["skjul_cpr"] = mask_cpr
#: Every date and time of a page: ``27. november 2026 kl. 15.30`` (a time stamp).
TEMPLATES.env.filters["tidspunkt"] = format_moment


def form_title(title: str, profile: Profile | None) -> str:
    """A form's title as a page shows it: ``[kommune]`` is the profile's municipality, or
    "kommunen" without a profile."""
    return title.replace("[kommune]", profile.name if profile else "kommunen")


TEMPLATES.env.filters["formulartitel"] = form_title

#: The main navigation: (path, label, role needed).
NAV = (
    ("/", "Formularer", "sagsbehandler"),
    ("/batch", "Masseudfyldning", "sagsbehandler"),
    ("/indsamling", "Indsamling", "sagsbehandler"),
    ("/samtykker", "Samtykker", "sagsbehandler"),
    ("/brugere", "Brugere", "administrator"),
)


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """The page ``name`` (a template) for this request, with the shared context."""
    app = request.app.state
    who = getattr(request.state, "identity", None) or identity(request)
    token = csrf_token(request)
    ctx: dict[str, Any] = {
        "request": request, "profil": app.config.profile, "bruger": who,
        "servertilstand": app.config.server, "csrf": token,
        "nav": [(p, label) for p, label, role in NAV if who is not None and who.may(role)],
        "sti": request.url.path,
    }
    ctx.update(context or {})
    response = TEMPLATES.TemplateResponse(request, name, ctx, status_code=status,
                                          headers=headers)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
    return response

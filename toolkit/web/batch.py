"""The /batch page (Masseudfyldning). Placeholder until the page is built."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from .pages import render
from .security import require
from .store import Identity

router = APIRouter()
User = Annotated[Identity, Depends(require("sagsbehandler"))]


@router.get("/batch")
def page(request: Request, who: User) -> Response:
    """Masseudfyldning."""
    return render(request, "fejl.html", {"status": 501, "besked": "Masseudfyldning kommer snart."},
                  status=501)

"""The HTTP API for case systems (``/api``), documented at ``/api/docs``. Every call needs
an API token (``Authorization: Bearer …``, made with ``skema token new``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ..catalogue import forms
from .security import require_api
from .store import Identity

router = APIRouter(tags=["formularer"])
Caller = Annotated[Identity, Depends(require_api("sagsbehandler"))]


@router.get("/forms", summary="Formularerne")
def list_forms(who: Caller) -> list[dict[str, Any]]:
    """Every form: id, version, title and purpose."""
    return [{"id": f.id, "version": f.version, "titel": f.title, "formaal": f.description}
            for f in forms()]

"""The catalogue page (``/``): every form with its title, version and purpose, and the
blank Word, PDF and Excel input workbook to download; and the municipality's logo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from .. import blank, forms
from ..catalogue import form_ids, load_form
from ..danish import mask_cpr
from ..errors import UnknownFormError
from .pages import render
from .security import require
from .store import Identity

router = APIRouter()
User = Annotated[Identity, Depends(require("sagsbehandler"))]

MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "json": "application/json",
}


def download(data: bytes, name: str) -> Response:
    """A file to save (the browser asks where; never shown inline)."""
    kind = name.rsplit(".", 1)[-1]
    return Response(data, media_type=MEDIA.get(kind, "application/octet-stream"),
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def form_or_404(form_id: str):
    """The form of a path, or a 404 page naming it (a CPR number in it masked)."""
    if form_id not in form_ids():
        raise HTTPException(404, f"Formularen \"{mask_cpr(form_id)}\" findes ikke.")
    try:
        return load_form(form_id)
    except UnknownFormError:
        raise HTTPException(404, f"Formularen \"{form_id}\" findes ikke.") from None


@router.get("/")
def catalogue_page(request: Request, who: User) -> Response:
    """Formularer: the catalogue."""
    return render(request, "formularer.html", {"formularer": forms()})


@router.get("/formularer/{form_id}/tom.{kind}")
def blank_download(request: Request, form_id: str, kind: str, who: User) -> Response:
    """The blank form as Word or fillable PDF, or the Excel workbook to type rows into."""
    if kind not in ("docx", "pdf", "xlsx"):
        raise HTTPException(404, "Den filtype findes ikke (docx, pdf eller xlsx).")
    frm = form_or_404(form_id)
    data = blank(frm, kind, profile=request.app.state.config.profile)
    suffix = "-tom" if kind != "xlsx" else "-indtastning"
    return download(data, f"{frm.id}{suffix}.{kind}")


@router.get("/logo")
def logo(request: Request) -> Response:
    """The municipality's logo (404 without a profile or logo)."""
    profile = request.app.state.config.profile
    png = profile.logo_png() if profile is not None else None
    if png is None:
        raise HTTPException(404, "Ingen logo.")
    return Response(png, media_type="image/png",
                    headers={"cache-control": "private, max-age=3600"})

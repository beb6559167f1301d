"""The /udfyld/{form_id} page (Udfyld): fill a form in the browser.

The page is the form's ``x-layout`` as HTML (:mod:`toolkit.web.fill_fields`); a post is
turned back into the form's data by one function and then handled like the command line
does: :func:`toolkit.validate` with the municipality's profile (the Danish messages beside
each field and in a summary at the top), :func:`toolkit.fill` for the Word or PDF file.
A draft is kept on the server as the user types (htmx posts ``/kladde`` on each change;
without JavaScript the button *Gem kladde* does the same); a returned .docx/.pdf is read
with :func:`toolkit.extract` (its bounded reading) to go on from its answers.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .. import fill as fill_document
from .. import validate
from ..catalogue import Form
from ..danish import format_moment, mask_cpr
from ..errors import DocumentError, SkemaError
from ..problems import WARNING, Problem, Report
from ..render.word_fill import blank_data
from .catalogue import download, form_or_404
from .fill_fields import (
    Block,
    TooManyRows,
    add_row,
    control_id,
    data_from_fields,
    page_blocks,
    posted_fields,
    remove_row,
    without_empty_rows,
)
from .pages import form_title, render
from .security import MAX_FIELDS, require
from .store import Identity
from .uploads import new_name, saved, too_big

router = APIRouter()
User = Annotated[Identity, Depends(require("sagsbehandler"))]

_DRAFT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: Names of the form post's own fields (not answers).
OWN_FIELDS = ("csrf", "kladde", "handling")
#: The characters of one post's answers at most (a draft is kept in the database).
MAX_ANSWER_CHARS = 1_000_000


def new_draft_id() -> str:
    """A fresh draft id (random letters; it is also the draft's address in the URL, where
    digits could look like a CPR number)."""
    return new_name()


def _draft_id(value: Any) -> str:
    return value if isinstance(value, str) and _DRAFT_ID.fullmatch(value) else new_draft_id()


# -- the page ----------------------------------------------------------------------------------
def _attach(blocks: list[Block], report: Report) -> list[tuple[str, str, bool]]:
    """Put each problem beside its field or list (a problem of a whole group, like a
    missing ``borger``, beside the group's first field); returns the summary (href, text,
    is a warning) in page order."""
    targets: list[tuple[str, Any]] = []  # (path, control or list) in page order
    for block in blocks:
        targets += [(c.name, c) for c in block.controls]
        if block.group is not None:
            targets.append((block.group.lst.path, block.group))
            targets += [(c.name, c) for row in block.group.rows for c in row.controls]
    by_path = dict(targets)
    order = {id(t): i for i, (_, t) in enumerate(targets)}
    found = []
    for problem in report:
        text = _problem_text(problem)
        target = _target(problem.path, by_path, targets)
        if target is not None:
            target.problems.append(text)
        found.append((order.get(id(target), -1), target.id if target is not None else "skema",
                      text, problem.code == WARNING))
    found.sort(key=lambda f: f[0])  # stable: the report's order among equals
    return [(href, text, warning) for _, href, text, warning in found]


def _problem_text(problem: Problem) -> str:
    text = (f"{problem.label} {problem.message}" if problem.path and problem.label
            else problem.message[:1].upper() + problem.message[1:])
    return mask_cpr(text)


def _target(path: str, by_path: dict[str, Any], targets: list[tuple[str, Any]]) -> Any:
    probe = path
    while probe:
        if probe in by_path:
            return by_path[probe]
        probe = probe.rpartition(".")[0]
    inside = [t for name, t in targets if name.startswith(path + ".")]
    return inside[0] if inside and path else None


def _page(request: Request, form: Form, data: dict, draft: str, *,
          report: Report | None = None, notes: list[str] | None = None,
          message: str = "", offer_anyway: bool = False, focus: str = "",
          status: int = 200, who: Identity) -> Response:
    profile = request.app.state.config.profile
    blocks = page_blocks(form, data, profile)
    summary = _attach(blocks, report) if report is not None else []
    has_title = any(b.kind == "heading" and b.level == 1 for b in blocks)
    drafts = request.app.state.store.drafts(who.name, form.id)
    return render(request, "udfyld.html", {
        "formular": form, "blokke": blocks, "kladde": draft, "egen_titel": not has_title,
        "fejl": [s for s in summary if not s[2]], "advarsler": [s for s in summary if s[2]],
        "kontrolleret": report is not None, "noter": notes or [], "besked": message,
        "alligevel": offer_anyway, "fokus": focus, "status_fejl": status >= 400 and not report,
        "kladder": drafts,
    }, status=status)


@router.get("/udfyld/{form_id}")
def page(request: Request, who: User, form_id: str, kladde: str = "",
         gemt: str = "") -> Response:
    """Udfyld: the empty form, or a draft of the user's (``?kladde=ID``) to go on with."""
    form = form_or_404(form_id)
    data: dict = blank_data(form)
    draft = new_draft_id()
    message = ""
    if kladde:
        found = request.app.state.store.draft(kladde, who.name) \
            if _DRAFT_ID.fullmatch(kladde) else None
        if found is None or found[0] != form.id:
            raise HTTPException(404, "Kladden findes ikke (eller er ikke din).")
        data, draft = found[1], kladde
        message = "Kladden er gemt." if gemt else "Du fortsætter med din kladde."
    return _page(request, form, data, draft, message=message, who=who)


async def _posted(request: Request, form: Form) -> tuple[dict, dict[str, list[str]]]:
    post = await request.form(max_fields=MAX_FIELDS)
    items = post.multi_items()
    if sum(len(v) for _, v in items if isinstance(v, str)) > MAX_ANSWER_CHARS:
        most = f"{MAX_ANSWER_CHARS:,}".replace(",", ".")
        raise HTTPException(413, f"Svarene fylder for meget (højst {most} tegn i alt).")
    fields = posted_fields(items)
    try:
        return data_from_fields(form, fields), fields
    except TooManyRows:
        raise HTTPException(413, "Formularen har for mange rækker i én liste.") from None


@router.post("/udfyld/{form_id}")
async def post(request: Request, who: User, form_id: str) -> Response:
    """A post of the page: ``handling`` gem (keep the draft), kontroller, word, pdf
    (download; with problems the page shows them first and offers the file anyway:
    word-alligevel, pdf-alligevel), tilfoej:LIST (a row more), fjern:LIST.N (a row less)."""
    form = form_or_404(form_id)
    data, fields = await _posted(request, form)
    draft = _draft_id((fields.get("kladde") or [""])[-1])
    action = (fields.get("handling") or ["kontroller"])[-1]
    store = request.app.state.store
    profile = request.app.state.config.profile
    if action.startswith("tilfoej:") and action[8:] in form.lists:
        try:
            add_row(form, data, action[8:])
        except TooManyRows:
            raise HTTPException(413, "Listen har allerede det højeste antal rækker.") from None
        rows = len(data_rows(data, action[8:]))
        first = next(iter(form.lists[action[8:]].fields))
        name = f"{action[8:]}.{rows - 1}" + (f".{first.key}" if first.key else "")
        return _page(request, form, data, draft, focus=control_id(name), who=who)
    if action.startswith("fjern:"):
        list_path = remove_row(form, data, action[6:])
        focus = "tilfoej-" + list_path.replace(".", "-") if list_path else ""
        return _page(request, form, data, draft, focus=focus, who=who)
    if action == "gem":
        await run_in_threadpool(_keep, store, draft, form.id, who.name, data)
        return RedirectResponse(f"/udfyld/{form.id}?kladde={draft}&gemt=1", status_code=303)
    clean = without_empty_rows(form, data)
    report = await run_in_threadpool(validate, form, clean, profile)
    kind = {"word": "docx", "pdf": "pdf", "word-alligevel": "docx",
            "pdf-alligevel": "pdf"}.get(action)
    if kind is not None and (report.valid or action.endswith("-alligevel")):
        try:
            out = await run_in_threadpool(fill_document, form, clean, kind, profile=profile)
        except SkemaError as exc:
            return _page(request, form, data, draft, report=report, status=422, who=who,
                         message=f"Formularen kunne ikke laves: {exc}")
        return download(out, f"{form.id}.{kind}")
    if report.valid:
        message = "Formularen er kontrolleret: ingen problemer."
    else:
        message = ""
    return _page(request, form, data, draft, report=report, offer_anyway=kind is not None,
                 message=message, status=200 if report.valid else 422, who=who)


def _keep(store: Any, draft: str, form_id: str, owner: str, data: dict) -> None:
    """Save the owner's draft; 409 when the id is another user's (nothing is changed)."""
    store.save_draft(draft, form_id, owner, data)
    kept = store.draft(draft, owner)
    if kept is None or kept[0] != form_id:
        raise HTTPException(409, "Kladden kunne ikke gemmes under dette nummer. Genindlæs "
                                 "siden, og prøv igen.")


def data_rows(data: dict, list_path: str) -> list:
    """The rows of a list in the data (an empty list when there is none)."""
    from ..paths import get_value

    items = get_value(data, list_path)
    return items if isinstance(items, list) else []


@router.post("/udfyld/{form_id}/kladde")
async def save_draft(request: Request, who: User, form_id: str) -> Response:
    """Keep the page's answers as the user's draft (htmx, on each change; the reply is the
    status line, and the page's address becomes the draft's)."""
    form = form_or_404(form_id)
    data, fields = await _posted(request, form)
    draft = _draft_id((fields.get("kladde") or [""])[-1])
    await run_in_threadpool(_keep, request.app.state.store, draft, form.id, who.name, data)
    url = f"/udfyld/{form.id}?kladde={draft}"
    if not request.headers.get("hx-request"):
        return RedirectResponse(url + "&gemt=1", status_code=303)
    stamp = format_moment(time.time(), day=False, seconds=True)
    return Response(f"Kladden er gemt {stamp}.", media_type="text/plain; charset=utf-8",
                    headers={"HX-Replace-Url": url})


@router.post("/udfyld/{form_id}/kladde/{draft_id}/slet")
async def delete_draft(request: Request, who: User, form_id: str, draft_id: str) -> Response:
    """Remove one of the user's drafts (the answers in it are gone)."""
    form = form_or_404(form_id)
    if _DRAFT_ID.fullmatch(draft_id):
        await run_in_threadpool(request.app.state.store.delete_draft, draft_id, who.name)
    return RedirectResponse(f"/udfyld/{form.id}", status_code=303)


# -- going on from a returned file -----------------------------------------------------------------
@router.post("/udfyld/{form_id}/fortsaet")
async def go_on(request: Request, who: User, form_id: str) -> Response:
    """Go on from a returned .docx/.pdf: its answers on the page (and kept as a new draft);
    what could not be read is shown beside its field."""
    from .. import extract

    form = form_or_404(form_id)
    config = request.app.state.config
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > config.max_upload_bytes + 64 * 1024:
        raise too_big("", config.max_upload_bytes)
    post = await request.form(max_files=1)
    upload = post.get("fil")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(400, "Vælg den returnerede fil (.docx eller .pdf).")
    if Path(upload.filename).suffix.lower() not in (".docx", ".pdf"):
        raise HTTPException(415, "Vælg en Word-fil (.docx) eller en PDF-fil (.pdf).")

    def read() -> Any:  # never kept under the sender's file name
        with saved(upload, config.tmp, config.max_upload_bytes) as path:
            try:
                return extract(path)
            except DocumentError as exc:
                return str(exc).replace(f"{path}: ", "")

    result = await run_in_threadpool(read)
    if isinstance(result, str):
        return _page(request, form, blank_data(form), new_draft_id(), status=422, who=who,
                     message=f"Filen kunne ikke læses: {result}")
    profile = config.profile
    if result.form.id != form.id:
        return _page(request, form, blank_data(form), new_draft_id(), status=422, who=who,
                     message=f"Filen er formularen \"{form_title(result.form.title, profile)}\", "
                             f"ikke \"{form_title(form.title, profile)}\". Åbn den under "
                             f"/udfyld/{result.form.id}.")
    draft = new_draft_id()
    await run_in_threadpool(request.app.state.store.save_draft, draft, form.id, who.name,
                            result.data)
    notes = [str(n) for n in result.notes]
    return _page(request, form, result.data, draft, report=result.report, notes=notes,
                 message="Svarene fra filen er indsat, og de er gemt som en ny kladde. "
                         "Kontrollér felterne med problemer.", who=who)

"""The HTTP API for case systems (``/api``), documented at ``/api/docs``.

Every call needs an API token (``Authorization: Bearer …``, made with ``skema token new``);
the token's name is the actor in the consent archive's log. The JSON is the command line's:
problems as ``skema validate --json`` (:meth:`toolkit.Report.to_json`), a returned file as
``skema extract`` (:mod:`toolkit.extraction`), consents as ``skema consent list/show --json``
and the archive check as ``skema consent verify --json``. A CPR number is sent in a body,
never in a URL.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Body,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from .. import danish
from ..catalogue import forms
from ..errors import SkemaError
from . import uploads
from .archive import MAX_REASON, known_number, open_archive
from .catalogue import download, form_or_404
from .security import no_cpr_in_url, require_api
from .store import Identity
from .uploads import megabytes

#: Room for the multipart framing and small fields beside an uploaded file.
OVERHEAD = 64 * 1024


def body_limit(request: Request) -> None:
    """Refuse (413) a call whose body is declared larger than one file of the app's size
    limit, and (411) one that does not declare its length."""
    limit = request.app.state.config.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        raise HTTPException(411, "Forespørgslen skal angive sin længde (Content-Length).")
    if int(declared) > limit + OVERHEAD:
        raise HTTPException(413, f"Forespørgslen er for stor; grænsen er {megabytes(limit)} "
                                 "pr. fil.")


class LimitedRoute(APIRoute):
    """An API route whose posts pass :func:`body_limit` before their body is read (FastAPI
    reads and parses a body before it runs a route's dependencies)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, behind the length check."""
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                body_limit(request)
            return await handler(request)

        return limited


@contextlib.contextmanager
def saved(request: Request, upload: UploadFile, name: str = "") -> Iterator[Path]:
    """The upload saved in a private folder of its own (removed afterwards) under ``name``
    (else a random name with its suffix), at most the app's size limit (413 above it)."""
    config = request.app.state.config
    with uploads.saved(upload, config.tmp, config.max_upload_bytes, name) as path:
        yield path


BEARER = HTTPBearer(auto_error=False, scheme_name="API-nøgle",
                    description="En API-nøgle fra 'skema token new' "
                                "(Authorization: Bearer skema_…).")


router = APIRouter(dependencies=[Depends(no_cpr_in_url), Depends(BEARER),
                                 Depends(known_number)],
                   route_class=LimitedRoute)
Caller = Annotated[Identity, Depends(require_api("sagsbehandler"))]
Admin = Annotated[Identity, Depends(require_api("administrator"))]

#: The longest problem list sent in a header of a filled document (characters).
HEADER_LIMIT = 6000
PROBLEMS_HEADER = "X-Skema-Problemer"
PROBLEM_LIST_HEADER = "X-Skema-Problemliste"


# -- the shapes -----------------------------------------------------------------------------

class FormInfo(BaseModel):
    """En formular i kataloget."""

    id: str = Field(description="Formularens id, fx strategi; bruges i stierne.")
    version: str = Field(description="Skemaets version.")
    titel: str = Field(description="Formularens titel.")
    formaal: str = Field(description="Hvad formularen bruges til.")


class ProblemOut(BaseModel):
    """Ét problem i dataene (som 'skema validate --json')."""

    path: str = Field(description="Feltets sti, fx borger.cpr eller indsatser.2.ansvarlig; "
                                  "tom for et problem ved hele dokumentet.")
    label: str = Field(description="Feltets danske navn.")
    message: str = Field(description="Hvad der er galt, på dansk.")
    code: str = Field(description="Problemets kode, fx required, format, unreadable.")
    place: str = Field(description="Stedet i filen (tomt for JSON-data).")
    detail: str | None = Field(None, description="Et tip; kun når der er et.",
                               exclude_if=lambda value: value is None)


class Refusal(BaseModel):
    """Et afslag: hvorfor, og eventuelle problemer i dataene."""

    fejl: str = Field(description="Hvorfor forespørgslen blev afvist, på dansk.")
    problemer: list[ProblemOut] = Field(default_factory=list,
                                        description="Problemerne i dataene.")


class ErrorOut(BaseModel):
    """En fejl."""

    fejl: str = Field(description="Fejlen, på dansk.")


class Extracted(BaseModel):
    """Svarene læst ud af én returneret fil (som ét element fra 'skema extract')."""

    fil: str = Field(description="Filens navn (CPR-numre skjult).")
    formular: str = Field(description="Formularen, filen blev læst som.")
    version: str | None = Field(description="Skemaversionen i filen.")
    data: dict[str, Any] = Field(description="Svarene, som formularens skema beskriver dem.")
    problemer: list[ProblemOut] = Field(
        description="Hvad der ikke kunne læses eller ikke er gyldigt, felt for felt (fx "
                    "kode unreadable for et felt, der ikke kunne læses sikkert).")
    noter: list[ProblemOut] = Field(description="Bemærkninger om filen som helhed.")


class Party(BaseModel):
    """En part i samtykket."""

    model_config = ConfigDict(extra="allow")
    navn: str = Field(description="Partens navn.")
    rolle: str = Field("", description="afgiver, modtager, begge eller tom.")


class ConsentDocument(BaseModel):
    """Det arkiverede dokument."""

    model_config = ConfigDict(extra="allow")
    sha256: str = Field(description="Dokumentets SHA-256 (arkivet gemmer det byte for byte).")
    størrelse: int = Field(description="Størrelsen i bytes.")
    type: str = Field(description="pdf, docx, jpeg, png eller tiff.")
    oprindeligt_navn: str = Field(description="Filens navn ved arkivering (CPR skjult).")
    kilde: str = Field(description="formular (læst af dokumentet) eller oplysninger "
                                   "(angivet ved arkivering, fx en scanning).")
    formularversion: str | None = Field(description="Samtykke-formularens version.")


class ConsentOut(BaseModel):
    """Ét samtykke (som 'skema consent list --json')."""

    model_config = ConfigDict(extra="allow")
    nr: int = Field(description="Samtykkets nummer i arkivet.")
    status: str = Field(description="aktiv, kommende, udløbet eller tilbagekaldt, i dag.")
    cpr: str = Field(description="Borgerens CPR-nummer (skjult, medmindre vis_cpr).")
    navn: str = Field(description="Borgerens navn.")
    formaal: str = Field(description="Formålet med samtykket.")
    parter: list[Party] = Field(description="Parterne.")
    oplysninger: list[str] = Field(description="Typerne af oplysninger.")
    gyldig_fra: str = Field(description="Første dag samtykket gælder (ÅÅÅÅ-MM-DD).")
    gyldig_til: str = Field(description="Sidste dag samtykket gælder (ÅÅÅÅ-MM-DD).")
    tilbagekaldt_fra: str | None = Field(description="Tilbagekaldt fra denne dag.")
    opbevares_til: str = Field(description="Sidste dag dokumentet skal opbevares.")
    dokument: ConsentDocument
    tilføjet: str = Field(description="Hvornår det blev arkiveret (UTC).")
    underskrifter: list[dict[str, Any]] = Field(
        description="Resultatet af kontrollen af digitale underskrifter ved arkiveringen.")


class HistoryEntry(BaseModel):
    """En post i revisionsloggen."""

    model_config = ConfigDict(extra="allow")
    post: int = Field(description="Postens nummer i loggen.")
    tid: str = Field(description="Tidspunktet (UTC).")
    handling: str = Field(description="Hvad der skete, på dansk.")
    hvem: str = Field(description="Hvem der gjorde det (bruger eller API-nøgle).")


class ConsentShown(ConsentOut):
    """Ét samtykke med dets historik (som 'skema consent show --json')."""

    historik: list[HistoryEntry] = Field(description="Samtykkets historik (uden opslag).")


class ConsentSearch(BaseModel):
    """En søgning i samtykkearkivet. CPR-nummeret sendes her, aldrig i adressen."""

    model_config = ConfigDict(extra="forbid")
    cpr: str | None = Field(None, description="Kun denne borgers samtykker (DDMMÅÅ-XXXX). "
                                              "En søgning på CPR skrives i revisionsloggen.")
    status: Literal["aktiv", "kommende", "udløbet", "tilbagekaldt"] | None = Field(
        None, description="Kun samtykker med denne status i dag.")
    udloeber_inden: str | None = Field(None, description="Kun samtykker i kraft, der "
                                                         "udløber inden for perioden, fx 30d.")
    grund: str = Field("", max_length=MAX_REASON,
                       description="Begrundelse for opslaget (revisionsloggen).")
    vis_cpr: bool = Field(False, description="Vis hele CPR-numre i svaret.")


class Findings(BaseModel):
    """Arkivets kontrol (som 'skema consent verify --json')."""

    fund: list[dict[str, str]] = Field(description="Hvert fund: kode, titel, sted og besked; "
                                                   "tom når arkivet er i orden.")
    antal: dict[str, int] = Field(description="Hvad der blev kontrolleret: samtykker, filer, "
                                              "poster.")


# -- helpers ----------------------------------------------------------------------------------

def _problems(report: Any) -> list[dict[str, Any]]:
    """A report's problems as ``validate --json`` gives them, CPR numbers masked."""
    out = []
    for problem in report:
        item = problem.to_dict()
        for key in ("message", "place", "detail"):
            if key in item:
                item[key] = danish.mask_cpr(item[key])
        out.append(item)
    return out


def _refuse(status: int, message: str, problems: list[dict[str, Any]] | None = None
            ) -> JSONResponse:
    return JSONResponse({"fejl": message, "problemer": problems or []}, status_code=status)


def _archive_error(exc: SkemaError, saved: Path | None = None, name: str = ""
                   ) -> HTTPException:
    """A consent archive's refusal as a 4xx (404 for a number not in the archive), with the
    upload's own name instead of where it was saved and the API's field names instead of
    the command line's options."""
    from ..consent.metadata import OPTIONS

    text = str(exc) + (f" {exc.hint}" if exc.hint else "")
    if saved is not None:
        text = text.replace(str(saved), name)
        for key, option in OPTIONS.items():
            text = text.replace(option, key)
    status = 404 if "findes ikke i arkivet" in str(exc) or "er slettet" in str(exc) else 422
    return HTTPException(status, danish.mask_cpr(text))


_DOC_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/vnd.openxmlformats-officedocument.wordprocessingml."
                      "document": {}, "application/pdf": {}},
          "description": "Den udfyldte formular.",
          "headers": {PROBLEMS_HEADER: {"description": "Antallet af problemer i dataene "
                                                      "(0: ingen).",
                                        "schema": {"type": "integer"}},
                      PROBLEM_LIST_HEADER: {"description": "Problemerne som JSON (kun ASCII; "
                                                          "udeladt når listen er for lang).",
                                            "schema": {"type": "string"}}}},
    404: {"model": ErrorOut, "description": "Formularen findes ikke."},
    422: {"model": Refusal, "description": "Dataene hører tydeligvis til en anden formular "
                                           "(eller strict og dataene har problemer)."},
}


# -- forms ------------------------------------------------------------------------------------

@router.get("/forms", summary="Formularerne", tags=["formularer"])
def list_forms(who: Caller) -> list[FormInfo]:
    """Alle formularer: id, version, titel og formål."""
    return [FormInfo(id=f.id, version=f.version, titel=f.title, formaal=f.description)
            for f in forms()]


@router.get("/forms/{form}/schema", summary="En formulars JSON Schema", tags=["formularer"],
            responses={404: {"model": ErrorOut, "description": "Formularen findes ikke."}})
def form_schema(form: str, who: Caller) -> dict[str, Any]:
    """Formularens JSON Schema (2020-12): felterne, deres danske navne, hjælp og regler
    (som 'skema schema FORMULAR')."""
    return form_or_404(form).schema


@router.post("/forms/{form}/fill", summary="Udfyld en formular", tags=["formularer"],
             response_class=Response, responses=_DOC_RESPONSES)
def fill_form(request: Request, form: str, who: Caller,
              data: Annotated[dict[str, Any], Body(
                  description="Dataene, som formularens skema beskriver dem "
                              "(GET /api/forms/{form}/schema).")],
              format: Annotated[Literal["docx", "pdf"], Query(
                  description="docx (Word) eller pdf.")] = "docx",
              strict: Annotated[bool, Query(
                  description="Afvis (422) data med problemer i stedet for at udfylde "
                              "alligevel.")] = False) -> Response:
    """Den udfyldte formular som Word eller PDF (som 'skema fill').

    Har dataene problemer, udfyldes formularen alligevel, og problemerne står i
    svarets hoveder (X-Skema-Problemer og X-Skema-Problemliste). Data, der tydeligvis
    hører til en anden formular, afvises med 422.
    """
    from .. import fill, validate
    from ..data_check import foreign_data

    frm = form_or_404(form)
    profile = request.app.state.config.profile
    other = foreign_data(frm, data)
    report = validate(frm, data, profile=profile)
    problems = _problems(report)
    if other:
        return _refuse(422, other, problems)
    if strict and not report.valid:
        return _refuse(422, f"dataene har {len(report)} problem"
                            f"{'er' if len(report) != 1 else ''}; intet er udfyldt.", problems)
    try:
        document = fill(frm, data, format, profile=profile)
    except SkemaError as exc:
        return _refuse(422, danish.mask_cpr(str(exc)), problems)
    response = download(document, f"{frm.id}.{format}")
    response.headers[PROBLEMS_HEADER] = str(len(problems))
    listed = json.dumps(problems, ensure_ascii=True, separators=(",", ":"))
    if problems and len(listed) <= HEADER_LIMIT:
        response.headers[PROBLEM_LIST_HEADER] = listed
    return response


@router.post("/forms/{form}/validate", summary="Kontroller data", tags=["formularer"],
             responses={404: {"model": ErrorOut, "description": "Formularen findes ikke."}})
def validate_data(request: Request, form: str, who: Caller,
                  data: Annotated[dict[str, Any], Body(
                      description="Dataene, som formularens skema beskriver dem.")]
                  ) -> list[ProblemOut]:
    """Hvert problem i dataene med dets sted (som 'skema validate --json'); en tom liste
    betyder, at dataene er i orden."""
    from .. import validate

    frm = form_or_404(form)
    report = validate(frm, data, profile=request.app.state.config.profile)
    return [ProblemOut(**p) for p in _problems(report)]


@router.post("/extract", summary="Læs en returneret formular", tags=["formularer"],
             responses={413: {"model": ErrorOut, "description": "Filen er for stor."},
                        422: {"model": ErrorOut, "description": "Filen kan ikke læses."}})
def extract_file(request: Request, who: Caller,
                 fil: Annotated[UploadFile, File(
                     description="Den returnerede formular (.docx eller .pdf).")],
                 formular: Annotated[str | None, Form(
                     description="Læs filen som denne formular, uanset hvad den selv siger."
                 )] = None) -> Extracted:
    """Svarene ud af en returneret Word- eller PDF-formular (som 'skema extract'), med
    de samme grænser for størrelse, tid og hukommelse. Hvad der ikke kunne læses sikkert,
    står felt for felt i problemer (aldrig en forkert værdi i stilhed)."""
    from .. import extract
    from ..collect import display_name
    from ..extraction import file_payload

    if formular:
        form_or_404(formular)
    name = danish.mask_cpr(display_name(fil.filename or "fil"))
    with saved(request, fil) as path:
        try:
            result = extract(path, form=formular)
        except SkemaError as exc:
            message = str(exc).replace(str(path), name)
            raise HTTPException(422, danish.mask_cpr(
                message + (f" {exc.hint}" if exc.hint else ""))) from None
    payload = file_payload(result)
    payload["fil"] = name
    payload["problemer"] = _problems(result.report)
    payload["noter"] = _problems(result.notes)
    return Extracted(**payload)


# -- consents ---------------------------------------------------------------------------------

#: The longest expiry period searched for, in days (more is no date).
MAX_DAYS = 999999


def _consents(request: Request, who: Identity, search: ConsentSearch) -> list[dict[str, Any]]:
    from ..consent.metadata import parse_period
    from ..consent.summary import retention_years

    try:
        days = (parse_period(search.udloeber_inden)
                if search.udloeber_inden is not None else None)
    except ValueError:  # more digits than Python reads as a number
        days = MAX_DAYS + 1
    except SkemaError as exc:
        raise _archive_error(exc) from None
    if days is not None and days > MAX_DAYS:
        raise HTTPException(422, f"Perioden er for lang; skriv højst {MAX_DAYS} dage.")
    try:
        with open_archive(request.app.state.config, who.name) as arch:
            found = arch.list(cpr=search.cpr, status=search.status, expires_within=days,
                              reason=search.grund)
            return [c.to_json(arch.today, search.vis_cpr, retention_years()) for c in found]
    except SkemaError as exc:
        raise _archive_error(exc) from None


@router.get("/consents", summary="Samtykkerne (uden CPR)", tags=["samtykker"])
def list_consents(request: Request, who: Caller,
                  status: Annotated[Literal["aktiv", "kommende", "udløbet", "tilbagekaldt"]
                                    | None, Query(description="Kun denne status i dag.")]
                  = None,
                  udloeber_inden: Annotated[str | None, Query(
                      description="Kun samtykker i kraft, der udløber inden for perioden, "
                                  "fx 30d.")] = None) -> list[ConsentOut]:
    """Samtykkerne i arkivet, med CPR-numrene skjult. Søg på en borger med POST
    /api/consents/search (CPR-nummeret i kroppen, aldrig i adressen)."""
    search = ConsentSearch.model_validate({"status": status,
                                           "udloeber_inden": udloeber_inden})
    found = _consents(request, who, search)
    return [ConsentOut(**c) for c in found]


@router.post("/consents/search", summary="Søg samtykker (også på CPR)", tags=["samtykker"])
def search_consents(request: Request, who: Caller, search: ConsentSearch) -> list[ConsentOut]:
    """Samtykkerne, der matcher (som 'skema consent list --json'). En søgning på CPR er et
    opslag på borgeren og skrives i revisionsloggen med nøglens navn og grunden."""
    return [ConsentOut(**c) for c in _consents(request, who, search)]


@router.post("/consents", summary="Arkivér et samtykke", tags=["samtykker"],
             status_code=201,
             responses={413: {"model": ErrorOut, "description": "Filen er for stor."},
                        422: {"model": ErrorOut, "description": "Samtykket arkiveres ikke "
                                                                "(fx mangler oplysninger)."}})
def add_consent(
        request: Request, who: Caller,
        fil: Annotated[UploadFile, File(description="Det underskrevne samtykke: PDF, .docx "
                                                     "eller en scanning (JPEG, PNG, TIFF).")],
        cpr: Annotated[str | None, Form(description="Borgerens CPR-nummer (til scanninger).")]
        = None,
        navn: Annotated[str | None, Form(description="Borgerens navn.")] = None,
        formaal: Annotated[str | None, Form(description="Formålet med samtykket.")] = None,
        parter: Annotated[list[str] | None, Form(
            description="En part pr. felt: NAVN eller NAVN:ROLLE (afgiver, modtager, begge).")]
        = None,
        oplysninger: Annotated[list[str] | None, Form(
            description="En type oplysninger pr. felt, fx helbredsoplysninger.")] = None,
        gyldig_fra: Annotated[str | None, Form(description="Første dag samtykket gælder.")]
        = None,
        gyldig_til: Annotated[str | None, Form(description="Sidste dag samtykket gælder.")]
        = None,
        kommune: Annotated[str | None, Form(description="Kommunen.")] = None,
        sagsbehandler: Annotated[str | None, Form(description="Sagsbehandleren.")] = None,
        journalnummer: Annotated[str | None, Form(description="Sagens journalnummer.")]
        = None,
        tilfoej_alligevel: Annotated[bool, Form(
            description="Arkivér også et dokument, der ligner en kopi af et samtykke i kraft."
        )] = False) -> ConsentOut:
    """Arkivér et underskrevet samtykke (som 'skema consent add'). Fra kommunens egen
    samtykke-formular læses oplysningerne af dokumentet; for en scanning skal mindst cpr,
    formaal, gyldig_fra og gyldig_til angives. Nøglens navn skrives i revisionsloggen."""
    from ..consent.metadata import info_type, parse_party
    from ..consent.signatures import trust_roots_from_env
    from ..consent.summary import retention_years

    given: dict[str, Any] = {k: v for k, v in {
        "cpr": cpr, "navn": navn, "formaal": formaal, "gyldig_fra": gyldig_fra,
        "gyldig_til": gyldig_til, "kommune": kommune, "sagsbehandler": sagsbehandler,
        "journalnummer": journalnummer}.items() if v}
    if parter:
        given["parter"] = [parse_party(p) for p in parter]
    if oplysninger:
        given["oplysninger"] = [info_type(o) for o in oplysninger]
    # the archive keeps the file's name: the user's, with any CPR number masked
    name = uploads.kept_name(fil.filename, "samtykke")
    with saved(request, fil, name) as path:
        try:
            with open_archive(request.app.state.config, who.name) as arch:
                consent = arch.add(path, given, trust_roots_from_env(),
                                   add_anyway=tilfoej_alligevel)
                out = consent.to_json(arch.today, False, retention_years())
        except SkemaError as exc:
            raise _archive_error(exc, path, name) from None
    return ConsentOut(**out)


@router.get("/consents/{consent_id}", summary="Ét samtykke", tags=["samtykker"],
            responses={404: {"model": ErrorOut, "description": "Intet samtykke med det nummer."}})
def show_consent(request: Request, who: Caller, consent_id: int,
                 vis_cpr: Annotated[bool, Query(description="Vis hele CPR-nummeret.")] = False,
                 grund: Annotated[str, Query(max_length=MAX_REASON,
                                             description="Begrundelse for opslaget.")] = ""
                 ) -> ConsentShown:
    """Ét samtykke med dets oplysninger, underskrifter og historik (som 'skema consent show
    --json'); opslaget skrives i revisionsloggen."""
    from ..consent.summary import retention_years

    try:
        with open_archive(request.app.state.config, who.name) as arch:
            consent, history = arch.show(consent_id, grund)
            payload = consent.to_json(arch.today, vis_cpr, retention_years())
            payload["historik"] = [e.to_json() for e in history if e.action != "lookup"]
    except SkemaError as exc:
        raise _archive_error(exc) from None
    return ConsentShown(**payload)


@router.get("/consents/{consent_id}/document", summary="Det arkiverede dokument",
            tags=["samtykker"], response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "Præcis de arkiverede bytes."},
                       404: {"model": ErrorOut, "description": "Intet samtykke med det nummer."}})
def consent_document(request: Request, who: Caller, consent_id: int,
                     grund: Annotated[str, Query(max_length=MAX_REASON,
                                             description="Begrundelse for opslaget.")] = ""
                     ) -> Response:
    """Det arkiverede dokument byte for byte (SHA-256 kontrolleret; som 'skema consent
    get'); udleveringen skrives i revisionsloggen."""
    try:
        with open_archive(request.app.state.config, who.name) as arch:
            consent, data = arch.document(consent_id, grund)
    except SkemaError as exc:
        raise _archive_error(exc) from None
    return download(data, f"samtykke-{consent.id}{consent.suffix}")


@router.post("/consents/verify", summary="Kontrollér arkivet (administrator)",
             tags=["samtykker"],
             responses={403: {"model": ErrorOut, "description": "Nøglen er ikke en "
                                                                "administrators."}})
def verify_archive(request: Request, who: Admin) -> Findings:
    """Kontrollér hver fil (SHA-256), revisionsloggens nøglede kæde og indekset mod loggen
    (som 'skema consent verify --json'). Kun for administratorer."""
    try:
        with open_archive(request.app.state.config, who.name) as arch:
            return Findings(**arch.verify().findings())
    except SkemaError as exc:
        raise _archive_error(exc) from None


# -- the documentation page -----------------------------------------------------------------

DOCS_PAGE = """<!doctype html>
<html lang="da">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>API-dokumentation – skema</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/static/swagger-ui.css">
  <link rel="stylesheet" href="/static/api-docs.css">
  <script src="/static/swagger-ui-bundle.js" defer></script>
  <script src="/static/api-docs.js" defer></script>
</head>
<body>
  <main>
    <h1 class="api-titel">skema – API til sagssystemer</h1>
    <p class="api-intro">Hvert kald kræver en API-nøgle (lav den med
      <code>skema token new</code>); tryk på <strong>Authorize</strong> og indsæt den.
      Beskrivelsen som OpenAPI: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
    <div id="swagger-ui"></div>
  </main>
</body>
</html>
"""


@router.get("/docs", include_in_schema=False)
def docs_page() -> HTMLResponse:
    """The OpenAPI page: Swagger UI vendored in ``static/`` (no CDN, no inline script)."""
    return HTMLResponse(DOCS_PAGE)

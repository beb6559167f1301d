"""The web app: :func:`create_app` builds it for one :class:`~toolkit.web.config.WebConfig`.

Each page group is a module with a ``router`` (``catalogue``: the form catalogue, ``login``:
log-in/log-out, ``fill``: /udfyld, ``batch``: /batch, ``collect``: /indsamling,
``consents``: /samtykker, ``api``: /api). Page routers check the CSRF token of every post;
the API is authorised by token instead. Everything the pages do goes through the same
library as the command line.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .config import WebConfig
from .pages import render
from .security import (
    BodyLimit,
    LoginRequired,
    SecurityHeaders,
    check_csrf,
    cpr_refusal,
    no_cpr_in_url,
)
from .store import WebStore

PAGE_GROUPS = ("catalogue", "login", "fill", "batch", "collect", "consents", "users")
STATIC = Path(__file__).parent / "static"


def create_app(config: WebConfig) -> FastAPI:
    """The app, with its database opened (made on first use) in ``config.data``."""
    config.data.mkdir(parents=True, exist_ok=True)
    app = FastAPI(title="skema", version="0.1.0",
                  description="Danske kommunale skemaer: udfyld, kontroller, læs ud og "
                              "arkivér samtykker. API-nøgler laves med 'skema token new'.",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.config = config
    app.state.store = WebStore(config.database)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name in PAGE_GROUPS:
        module = importlib.import_module(f"{__package__}.{name}")
        app.include_router(module.router,
                           dependencies=[Depends(no_cpr_in_url), Depends(check_csrf)],
                           include_in_schema=False)
    api = importlib.import_module(f"{__package__}.api")
    app.include_router(api.router, prefix="/api")
    for name in PAGE_GROUPS + ("api",):
        module = importlib.import_module(f"{__package__}.{name}")
        start = getattr(module, "start", None)
        if start is not None:
            start(app)
    if not config.server:  # local mode: only this PC's own names (no DNS rebinding)
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts))
    app.add_middleware(BodyLimit, limit=config.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    _handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse("/log-ind", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (404, 405):  # no route: refused as the routes refuse
            exc = cpr_refusal(request) or exc
        if _wants_json(request):
            return JSONResponse({"fejl": _page_message(exc)}, status_code=exc.status_code,
                                headers=exc.headers)
        return render(request, "fejl.html", {"status": exc.status_code,
                                             "besked": _page_message(exc)},
                      status=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"fejl": "Forespørgslen kan ikke bruges.",
                                 "detaljer": [_detail(e) for e in exc.errors()]},
                                status_code=422)
        return render(request, "fejl.html", {"status": 422,
                                             "besked": "Formularen manglede noget. Prøv igen."},
                      status=422)


def _detail(error: dict) -> dict:
    return {"sted": ".".join(str(p) for p in error.get("loc", ())), "besked": error.get("msg")}


def _page_message(exc: HTTPException) -> str:
    if exc.status_code == 404 and exc.detail == "Not Found":
        return "Siden findes ikke."
    if exc.status_code == 405:
        return "Siden kan ikke bruges sådan."
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        return "Forespørgslen kunne ikke læses."
    return str(exc.detail)

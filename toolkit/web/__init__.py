"""skema in the browser: the web app (``skema serve``) over the same library.

:func:`create_app` builds the FastAPI app for a :class:`WebConfig`; ``toolkit.web.app``
says how the pages are put together.
"""

from __future__ import annotations

from .app import create_app
from .config import WebConfig

__all__ = ["WebConfig", "create_app"]

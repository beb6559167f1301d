"""One consent described for a person: the retention in force.

(The webconsent branch has this module with more in it: the Danish lines ``skema consent
show`` prints and the web app's consent page shows; its version is the one to keep.)"""

from __future__ import annotations

import os

from .model import DEFAULT_RETENTION_YEARS


def retention_years() -> int:
    """The retention after expiry or withdrawal: ``$SKEMA_RETENTION_YEARS`` or the default."""
    value = os.environ.get("SKEMA_RETENTION_YEARS", "")
    return int(value) if value.isdigit() else DEFAULT_RETENTION_YEARS

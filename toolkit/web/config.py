"""What one running web app is set up with (``skema serve`` makes it from its options)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..profile import Profile

#: Upload limits: one file, and how many files one upload may hold.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_FILES = 500
#: One request's body in all (many files of a collect together).
MAX_REQUEST_BYTES = 500 * 1024 * 1024
#: Failed log-ins (for one user name, or from one address) within the window before more
#: attempts are refused until the window has passed.
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_MINUTES = 15


@dataclass(frozen=True)
class WebConfig:
    """The web app's settings.

    ``data``: the folder for everything the app keeps (its SQLite database ``skema-web.db``,
    drafts, uploads, job results, the consent archive ``samtykkearkiv/`` and, outside it,
    the archive's keys ``noegler/``). ``server``: server mode (log-in, roles); otherwise
    local mode, for one person on 127.0.0.1, without log-in.
    """

    data: Path
    server: bool = False
    profile: Profile | None = None
    session_minutes: int = 60
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_upload_files: int = MAX_UPLOAD_FILES
    max_request_bytes: int = MAX_REQUEST_BYTES
    allowed_hosts: tuple[str, ...] = field(default=("127.0.0.1", "localhost"))
    login_attempts: int = LOGIN_ATTEMPTS
    login_window_minutes: int = LOGIN_WINDOW_MINUTES

    @property
    def database(self) -> Path:
        """The app's own SQLite database (users, tokens, sessions, drafts, jobs)."""
        return self.data / "skema-web.db"

    @property
    def archive(self) -> Path:
        """The consent archive's folder."""
        return self.data / "samtykkearkiv"

    @property
    def key_file(self) -> Path:
        """The consent archive's key file (kept beside, not inside, the archive)."""
        return self.data / "noegler" / "archive.key"

    @property
    def jobs(self) -> Path:
        """Where batch and collect jobs keep their uploads and results."""
        return self.data / "jobs"

    @property
    def tmp(self) -> Path:
        """Where a single upload is kept while it is read (a private folder of its own)."""
        return self.data / "tmp"

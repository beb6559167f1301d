"""The archive's keys, kept outside the archive folder.

Two keys anchor the archive's history where an insider who can write the archive folder
cannot reach them:

- the **chain key** (32 random bytes, hex): every audit entry's hash is an HMAC-SHA256
  under it, so a chain recomputed without it does not verify. It comes from
  ``$SKEMA_ARCHIVE_KEY`` (hex) or from the key file (owner-only rights);
- the **signing key** (Ed25519, PEM) beside the key file (``archive-signing.pem``): it
  signs checkpoints. Its public half is stored in the archive so ``verify`` can check a
  checkpoint without the private key.

The key file is ``--key-file``, else ``$SKEMA_ARCHIVE_KEY_FILE``, else
``~/.config/skema/archive.key`` (``$XDG_CONFIG_HOME`` honoured).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiveError

KEY_ENV = "SKEMA_ARCHIVE_KEY"
KEY_FILE_ENV = "SKEMA_ARCHIVE_KEY_FILE"
_KEY_ID_LABEL = b"skema-samtykkearkiv-noegle-id"


def default_key_file() -> Path:
    """``$SKEMA_ARCHIVE_KEY_FILE``, else ``$XDG_CONFIG_HOME/skema/archive.key``."""
    named = os.environ.get(KEY_FILE_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(config) / "skema" / "archive.key"


def signing_file(key_file: Path) -> Path:
    """Where the signing key lives: beside the key file."""
    return key_file.with_name(key_file.stem + "-signing.pem")


@dataclass(frozen=True)
class ArchiveKeys:
    """The chain key and (when present) the Ed25519 signing key in PEM."""

    chain: bytes
    signing_pem: bytes | None = None
    source: str = ""

    @property
    def key_id(self) -> str:
        """A name of the chain key that reveals nothing of it (stored in the archive)."""
        return hmac.new(self.chain, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:32]

    def mac(self, text: str) -> str:
        """HMAC-SHA256 of ``text`` under the chain key, hex."""
        return hmac.new(self.chain, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def citizen(self, cpr: str) -> str:
        """The keyed hash a citizen's entries are found by (never the CPR in clear)."""
        return self.mac("borger:" + cpr)


def _check_outside(path: Path, archive: Path | None) -> None:
    if archive is None:
        return
    try:
        inside = path.resolve().is_relative_to(archive.resolve())
    except OSError:
        inside = False
    if inside:
        raise ArchiveError(f"{path}: nøglen må ikke ligge i arkivets mappe.",
                           hint="Læg nøglefilen et andet sted (--key-file), fx i "
                                "~/.config/skema/.")


def _read_private(path: Path, what: str) -> bytes:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ArchiveError(f"{path}: {what} findes ikke.",
                           hint="Opret arkivet og nøglerne med 'skema consent init', eller "
                                "angiv nøglen med --key-file eller $SKEMA_ARCHIVE_KEY.") from None
    if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
        raise ArchiveError(f"{path}: {what} kan læses af andre end ejeren "
                           f"(rettigheder {stat.S_IMODE(info.st_mode):o}).",
                           hint=f"Ret det med 'chmod 600 {path}'.")
    return path.read_bytes()


def _parse_chain(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ArchiveError(f"{where}: nøglen er ikke 64 hexadecimale tegn.",
                           hint="Brug nøglen som 'skema consent init' skrev den.")
    return key


def load(key_file: str | Path | None = None, archive: Path | None = None) -> ArchiveKeys:
    """The keys from ``$SKEMA_ARCHIVE_KEY`` or the key file; ArchiveError when missing,
    readable by others, or inside the archive folder."""
    path = Path(key_file).expanduser() if key_file else default_key_file()
    _check_outside(path, archive)
    sign_path = signing_file(path)
    signing = None
    if sign_path.is_file():
        signing = _read_private(sign_path, "signeringsnøglen")
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return ArchiveKeys(_parse_chain(env, "$" + KEY_ENV), signing, "$" + KEY_ENV)
    text = _read_private(path, "arkivets nøglefil").decode("ascii", "replace")
    return ArchiveKeys(_parse_chain(text, str(path)), signing, str(path))


def create(key_file: str | Path | None = None,
           archive: Path | None = None) -> tuple[ArchiveKeys, bool]:
    """Create the key file and signing key (0600) unless they exist; never overwrite.

    Returns the keys and whether new ones were made."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(key_file).expanduser() if key_file else default_key_file()
    _check_outside(path, archive)
    made = False
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists() and not os.environ.get(KEY_ENV, "").strip():
            _write_new(path, (secrets.token_hex(32) + "\n").encode("ascii"))
            made = True
        sign_path = signing_file(path)
        if not sign_path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())
            _write_new(sign_path, pem)
            made = True
    except OSError as exc:
        raise ArchiveError(f"{path}: nøglen kan ikke skrives ({exc.strerror}).",
                           hint="Vælg et andet sted med --key-file.") from None
    return load(path, archive), made


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def public_key_hex(signing_pem: bytes) -> str:
    """The raw Ed25519 public key (hex) of a PEM private key."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(signing_pem, password=None)
    return private.public_key().public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw).hex()


def sign(signing_pem: bytes, message: bytes) -> str:
    """Ed25519 signature (hex) of ``message``."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(signing_pem, password=None)
    return private.sign(message).hex()  # type: ignore[call-arg,union-attr]


def signature_ok(public_hex: str, message: bytes, signature_hex: str) -> bool:
    """True when ``signature_hex`` is a valid Ed25519 signature of ``message``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True

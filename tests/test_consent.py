"""The consent archive: `skema consent init|add|list|show|get|withdraw|checkpoint|verify|
export|access|purge`."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import _need

import toolkit
from toolkit.cli import cli
from toolkit.consent import Archive, ArchiveError
from toolkit.consent import audit as audit_mod
from toolkit.consent.model import add_years
from toolkit.problems import CODES

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = json.loads((ROOT / "samples" / "samtykke.json").read_text(encoding="utf-8"))
# The archive's tests run on fixed days: the demo's consent with the dates they expect (the
# demo sample itself is valid today, see test_citizen_documents.py).
SAMPLE.update(gyldig_fra="2024-11-01", gyldig_til="2025-10-31")
CPR = SAMPLE["borger"]["cpr"]  # 030592-1678, valid 2024-11-01 .. 2025-10-31
TODAY = "2025-06-01"


# ------------------------------------------------------------------ helpers


@pytest.fixture(scope="session")
def key_file(tmp_path_factory) -> Path:
    """The archive keys of this test session, made once, outside every archive."""
    from toolkit.consent import keys

    path = tmp_path_factory.mktemp("noegler") / "archive.key"
    keys.create(path)
    return path


@pytest.fixture(autouse=True)
def archive_keys(monkeypatch, key_file) -> Path:
    """Every test (and its subprocesses) uses the session's key file."""
    monkeypatch.setenv("SKEMA_ARCHIVE_KEY_FILE", str(key_file))
    monkeypatch.delenv("SKEMA_ARCHIVE_KEY", raising=False)
    return key_file


def run(archive: Path, *args: str, today: str = TODAY):
    """Invoke `skema consent …` in-process; stdout and stderr apart."""
    runner = CliRunner()
    env = {"SKEMA_ARCHIVE": str(archive), "SKEMA_TODAY": today, "SKEMA_TRUST_ROOTS": "",
           "SKEMA_RETENTION_YEARS": ""}
    return runner.invoke(cli, ["consent", *args], env=env, catch_exceptions=False)


def scan_pdf(text: str) -> bytes:
    """A PDF without form fields, like a scanned paper consent."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.drawString(72, 720, text)
    page.save()
    return buf.getvalue()


def scan_args(cpr: str = "010190-1234", fra: str = "2025-01-01", til: str = "2025-12-31",
              formaal: str = "Koordinering af indsats") -> list[str]:
    return ["--cpr", cpr, "--purpose", formaal, "--valid-from", fra, "--valid-to", til]


@pytest.fixture(scope="session")
def form_files(tmp_path_factory) -> dict[str, Path]:
    """The sample consent filled as PDF and as Word, made once."""
    folder = tmp_path_factory.mktemp("samtykke")
    files = {}
    for fmt in ("pdf", "docx"):
        path = folder / f"samtykke.{fmt}"
        path.write_bytes(toolkit.fill("samtykke", SAMPLE, fmt))
        files[fmt] = path
    return files


@pytest.fixture(scope="session")
def signing(tmp_path_factory):
    """A self-made certificate and key; sign(pdf_bytes) -> signed bytes."""
    from asn1crypto import keys as akeys
    from asn1crypto import x509 as ax509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nukaaka Olsen"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "DK")])
    now = dt.datetime.now(dt.timezone.utc)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(key, hashes.SHA256()))
    pem = tmp_path_factory.mktemp("cert") / "rod.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner(
        signing_cert=ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=akeys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore())

    def sign(data: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Underskrift"),
                               signer=signer)
        return out.getvalue()

    sign.pem = pem  # type: ignore[attr-defined]
    return sign


def alter_after_signing(data: bytes) -> bytes:
    """An incremental update appended after the signature (the signed bytes unchanged)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.root["/Lang"] = generic.TextStringObject("da")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def object_files(archive: Path) -> list[Path]:
    return sorted(p for p in (archive / "objects").rglob("*") if p.is_file())


def make_writable(path: Path) -> None:
    os.chmod(path, 0o600)


# ------------------------------------------------------------------ add, list, show, get


def test_add_form_pdf_reads_metadata_and_get_is_byte_identical(tmp_path, form_files):
    arkiv = tmp_path / "arkiv"
    result = run(arkiv, "add", str(form_files["pdf"]))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"{form_files['pdf']}: arkiveret som samtykke nr. 1 – Nukaaka Olsen (030592-xxxx), "
        "gyldig 01-11-2024 til 31-10-2025, status aktiv")
    with Archive(arkiv) as arch:
        consent = arch.get(1)
    assert consent.cpr == CPR and consent.source == "formular"
    assert consent.formaal == SAMPLE["formaal"]
    assert consent.meta["parter"] == SAMPLE["parter"]
    assert consent.meta["oplysninger"] == SAMPLE["oplysninger"]["typer"]
    assert consent.meta["andet_tekst"] == SAMPLE["oplysninger"]["andet_tekst"]
    assert (consent.gyldig_fra, consent.gyldig_til) == ("2024-11-01", "2025-10-31")

    out = tmp_path / "hentet.pdf"
    assert run(arkiv, "get", "1", "-o", str(out)).exit_code == 0
    assert out.read_bytes() == form_files["pdf"].read_bytes()
    again = run(arkiv, "get", "1", "-o", str(out))
    assert again.exit_code == 1
    assert "findes allerede og overskrives ikke" in again.stderr
    assert run(arkiv, "get", "1", "-o", str(out), "--overwrite").exit_code == 0


def test_add_form_docx_and_show(tmp_path, form_files):
    arkiv = tmp_path / "arkiv"
    assert run(arkiv, "add", str(form_files["docx"])).exit_code == 0
    shown = run(arkiv, "show", "1")
    assert shown.exit_code == 0
    text = shown.stdout
    assert "Samtykke nr. 1" in text
    assert "Nukaaka Olsen, CPR 030592-xxxx" in text and CPR not in text
    assert "Status:           aktiv pr. 1. juni 2025" in text
    assert "Misbrugscentret (både afgiver og modtager)" in text
    assert "Egen læge, Lægehuset Vestergade (afgiver oplysninger)" in text
    assert "Helbredsoplysninger, Sociale forhold" in text
    assert "(Oplysninger om bolig og hjemløshed)" in text
    assert "Gyldig:           1. november 2024 – 31. oktober 2025" in text
    assert "Opbevares til:    31. oktober 2030" in text
    assert "Word (.docx)" in text and "formularen samtykke 1.0.0" in text
    assert re.search(r"Historik:\n  \d{1,2}\. \w+ \d{4} kl\. \d\d\.\d\d\.\d\d  tilføjet af \S+ "
                     r"\(post 1\)\n$", text)  # the look-ups are not the consent's history
    assert CPR in run(arkiv, "show", "1", "--show-cpr").stdout
    as_json = json.loads(run(arkiv, "show", "1", "--json").stdout)
    assert as_json["cpr"] == "030592-xxxx" and as_json["status"] == "aktiv"
    assert as_json["historik"][0]["handling"] == "tilføjet"


def test_scan_without_metadata_is_refused_and_nothing_is_stored(tmp_path):
    arkiv = tmp_path / "arkiv"
    scan = tmp_path / "scanning.pdf"
    scan.write_bytes(scan_pdf("Underskrevet samtykke"))
    result = run(arkiv, "add", str(scan), "--cpr", "010190-1234")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Fejl: {scan}: dokumentet er ikke en udfyldt samtykke-formular, og tilvalgene mangler "
        "formål, gyldig fra, gyldig til; samtykket arkiveres ikke.\n"
        "  Tip: Angiv --purpose, --valid-from, --valid-to (for en scanning står "
        "oplysningerne på papiret).\n")
    assert object_files(arkiv) == []
    assert run(arkiv, "list").stdout.strip() == "Ingen samtykker matcher."


def test_scan_with_options_danish_dates_parts_and_types(tmp_path):
    arkiv = tmp_path / "arkiv"
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"pixels" * 50)
    result = run(arkiv, "add", str(scan), "--cpr", "0101901234", "--name", "Åse Østergård",
                 "--purpose", "Samarbejde med misbrugscentret", "--valid-from", "01-02-2025",
                 "--valid-to", "31. januar 2026", "--party", "Misbrugscentret:begge",
                 "--party", "Jobcenter: Team 2:modtager", "--info-type", "Misbrug",
                 "--info-type", "helbredsoplysninger")
    assert result.exit_code == 0, result.output
    with Archive(arkiv) as arch:
        consent = arch.get(1)
    assert consent.kind == "png" and consent.source == "oplysninger"
    assert consent.cpr == "010190-1234"
    assert (consent.gyldig_fra, consent.gyldig_til) == ("2025-02-01", "2026-01-31")
    assert consent.meta["parter"] == [{"navn": "Misbrugscentret", "rolle": "begge"},
                                      {"navn": "Jobcenter: Team 2", "rolle": "modtager"}]
    assert consent.meta["oplysninger"] == ["misbrug", "helbredsoplysninger"]
    assert "angivet ved arkivering (scanning)" in run(arkiv, "show", "1").stdout


def test_add_refusals(tmp_path, form_files):
    arkiv = tmp_path / "arkiv"
    odd = tmp_path / "noter.txt"
    odd.write_text("ikke et dokument")
    result = run(arkiv, "add", str(odd), *scan_args())
    assert result.exit_code == 1
    assert f"Fejl: {odd}: filtypen kan ikke arkiveres." in result.stderr
    # an option that contradicts the form is refused
    result = run(arkiv, "add", str(form_files["pdf"]), "--cpr", "010190-1234")
    assert result.exit_code == 1
    assert ("borgerens CPR-nummer i dokumentet (030592-xxxx) er ikke det samme som det "
            "angivne (010190-xxxx)") in result.stderr
    assert CPR not in result.output
    # dates the wrong way round, and an impossible CPR
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf("x"))
    result = run(arkiv, "add", str(scan), *scan_args(fra="2026-01-01", til="2025-01-01"))
    assert "gyldig til (2025-01-01) ligger før gyldig fra (2026-01-01)" in result.stderr
    result = run(arkiv, "add", str(scan), *scan_args(cpr="320190-1234"))
    assert "CPR-nummeret \"320190-xxxx\" er ikke gyldigt." in result.stderr
    bad_date = run(arkiv, "add", str(scan), *scan_args(til="31-13-2025"))
    assert bad_date.exit_code == 2 and "\"31-13-2025\" er ikke en dato" in bad_date.stderr
    # the same document twice; the same consent as Word is a probable copy (one consent,
    # one entry); with --add-anyway it goes in, the second file of one call too
    assert run(arkiv, "add", str(form_files["pdf"])).exit_code == 0
    both = run(arkiv, "add", str(form_files["pdf"]), str(form_files["docx"]))
    assert both.exit_code == 1
    assert both.stderr.splitlines() == [
        "Fejl: samtykke.pdf: dokumentet er allerede arkiveret som samtykke nr. 1.",
        "  Tip: Se det med 'skema consent show 1'.",
        "Fejl: samtykke.docx: er sandsynligvis en kopi af samtykke nr. 1 (samme borger, "
        "formål, parter og gyldighed, og det er i kraft); det arkiveres ikke.",
        "  Tip: Er det et nyt samtykke, så arkivér det med --add-anyway."]
    anyway = run(arkiv, "add", str(form_files["pdf"]), str(form_files["docx"]),
                 "--add-anyway")
    assert "arkiveret som samtykke nr. 2" in anyway.stdout
    assert run(arkiv, "verify").exit_code == 0


def test_permissions_and_no_cpr_in_names_or_audit(tmp_path, form_files):
    arkiv = tmp_path / "arkiv"
    named = tmp_path / f"samtykke {CPR}.pdf"
    named.write_bytes(form_files["pdf"].read_bytes())
    result = run(arkiv, "add", str(named))
    assert result.exit_code == 0
    assert CPR not in result.output and "030592-xxxx" in result.output
    assert stat.S_IMODE(arkiv.stat().st_mode) == 0o700
    assert stat.S_IMODE((arkiv / "objects").stat().st_mode) == 0o700
    assert stat.S_IMODE((arkiv / "index.sqlite").stat().st_mode) == 0o600
    for blob in object_files(arkiv):  # the document, its PDF/A and its signature report
        assert stat.S_IMODE(blob.stat().st_mode) == 0o400
        assert stat.S_IMODE(blob.parent.stat().st_mode) == 0o700
    run(arkiv, "withdraw", "1", "--date", "2025-03-01")
    run(arkiv, "export", "--cpr", CPR, "-o", str(tmp_path / "ud.zip"))
    digits = CPR.replace("-", "")
    for path in arkiv.rglob("*"):
        assert CPR not in path.name and digits not in path.name
    conn = sqlite3.connect(arkiv / "index.sqlite")
    log = " ".join(" ".join(map(str, row)) for row in conn.execute("SELECT * FROM audit"))
    conn.close()
    assert log and CPR not in log and digits not in log and "1678" not in log
    with Archive(arkiv) as arch:
        assert arch.get(1).original_name == "samtykke 030592-xxxx.pdf"


# ------------------------------------------------------------------ list filters, withdraw


@pytest.fixture
def filled(tmp_path) -> Path:
    """An archive with five scans of three citizens, today 2025-06-01."""
    arkiv = tmp_path / "arkiv"
    specs = [
        ("010190-1234", "2025-01-01", "2025-06-20"),  # 1 aktiv, expires in 19 days
        ("010190-1234", "2024-01-01", "2024-12-31"),  # 2 udløbet
        ("020290-2345", "2025-01-01", "2026-12-31"),  # 3 aktiv, far off
        ("030390-3456", "2025-07-01", "2026-06-30"),  # 4 kommende
        ("030390-3456", "2025-01-01", "2025-06-25"),  # 5 aktiv, expires in 24 days
    ]
    for i, (cpr, fra, til) in enumerate(specs, start=1):
        scan = tmp_path / f"scan{i}.pdf"
        scan.write_bytes(scan_pdf(f"scanning {i}"))
        result = run(arkiv, "add", str(scan), *scan_args(cpr=cpr, fra=fra, til=til))
        assert result.exit_code == 0, result.output
    return arkiv


def _numbers(output: str) -> list[int]:
    return [int(line.split()[0]) for line in output.splitlines()[1:-1]]


def test_list_filters(filled):
    everything = run(filled, "list")
    assert everything.stdout.splitlines()[0].split() == [
        "Nr.", "Borger", "CPR", "Gyldig", "fra", "Gyldig", "til", "Status", "Underskrift",
        "Formål"]
    assert _numbers(everything.stdout) == [1, 2, 3, 4, 5]
    assert everything.stdout.splitlines()[-1] == "5 samtykker"
    assert "010190-1234" not in everything.stdout and "010190-xxxx" in everything.stdout
    assert "010190-1234" in run(filled, "list", "--show-cpr").stdout
    assert _numbers(run(filled, "list", "--cpr", "010190-1234").stdout) == [1, 2]
    assert _numbers(run(filled, "list", "--cpr", "0303903456").stdout) == [4, 5]
    assert _numbers(run(filled, "list", "--status", "aktiv").stdout) == [1, 3, 5]
    assert _numbers(run(filled, "list", "--status", "udløbet").stdout) == [2]
    assert _numbers(run(filled, "list", "--status", "kommende").stdout) == [4]
    assert run(filled, "list", "--status", "tilbagekaldt").stdout.strip() == (
        "Ingen samtykker matcher.")
    assert _numbers(run(filled, "list", "--expires-within", "30d").stdout) == [1, 5]
    assert _numbers(run(filled, "list", "--expires-within", "20d").stdout) == [1]
    assert _numbers(run(filled, "list", "--expires-within", "3u").stdout) == [1]
    bad = run(filled, "list", "--expires-within", "snart")
    assert bad.exit_code == 1 and "\"snart\" er ikke en periode" in bad.stderr
    later = run(filled, "list", "--status", "aktiv", today="2025-07-01")
    assert _numbers(later.stdout) == [3, 4]
    as_json = json.loads(run(filled, "list", "--cpr", "020290-2345", "--json").stdout)
    assert [(c["nr"], c["status"], c["cpr"]) for c in as_json] == [(3, "aktiv", "020290-xxxx")]


def test_withdraw_then_list_shows_tilbagekaldt(filled, tmp_path):
    result = run(filled, "withdraw", "3", "--date", "15-05-2025")
    assert result.exit_code == 0
    assert result.stdout.strip() == ("Samtykke nr. 3: tilbagekaldt fra 15. maj 2025; status i "
                                     "dag: tilbagekaldt")
    listing = run(filled, "list", "--cpr", "020290-2345").stdout.splitlines()
    assert listing[1].split()[4] == "tilbagekaldt"
    assert _numbers(run(filled, "list", "--status", "tilbagekaldt").stdout) == [3]
    assert _numbers(run(filled, "list", "--status", "aktiv").stdout) == [1, 5]
    shown = run(filled, "show", "3").stdout
    assert "Tilbagekaldt fra: 15. maj 2025" in shown
    assert re.search(r"tilbagekaldt fra 15. maj 2025 af \S+ \(post 6\)\n$", shown)
    assert "Opbevares til:    15. maj 2030" in shown
    # the document stays
    assert run(filled, "get", "3", "-o", str(tmp_path / "3.pdf")).exit_code == 0
    again = run(filled, "withdraw", "3", "--date", "2025-05-20")
    assert again.exit_code == 1
    assert "samtykke nr. 3: er allerede tilbagekaldt fra 15. maj 2025." in again.stderr
    # a withdrawal lies between the consent's start and today: not ahead, not before
    ahead = run(filled, "withdraw", "4", "--date", "2025-06-10")
    assert ahead.exit_code == 1
    assert ahead.stderr == (
        "Fejl: samtykke nr. 4: tilbagekaldelsen (10. juni 2025) skal ligge mellem "
        "1. juli 2025 og i dag (1. juni 2025).\n"
        "  Tip: Angiv den dag kommunen fik tilbagekaldelsen (--date).\n")
    before = run(filled, "withdraw", "1", "--date", "2024-12-31")
    assert before.exit_code == 1 and "skal ligge mellem 1. januar 2025 og i dag" in before.stderr
    assert run(filled, "withdraw", "1", "--date", "2025-01-01").exit_code == 0
    assert _numbers(run(filled, "list", "--status", "tilbagekaldt").stdout) == [1, 3]
    missing = run(filled, "withdraw", "99", "--date", "2025-06-01")
    assert missing.exit_code == 1
    assert missing.stderr == ("Fejl: samtykke nr. 99: findes ikke i arkivet.\n"
                              "  Tip: Se numrene med 'skema consent list'.\n")
    assert run(filled, "verify").exit_code == 0


def test_usage_errors(tmp_path):
    arkiv = tmp_path / "intet"
    result = run(arkiv, "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Fejl: {arkiv}: her er intet samtykkearkiv.")
    assert not arkiv.exists()
    bad = run(arkiv, "show", "abc")
    assert bad.exit_code == 2 and "\"abc\" er ikke et samtykkenummer" in bad.stderr
    assert run(arkiv, "withdraw", "1").exit_code == 2  # --date is required


# ------------------------------------------------------------------ verify


def test_verify_clean(filled):
    result = run(filled, "verify")
    assert result.exit_code == 0
    with Archive(filled) as arch:
        head = arch.history(5)[-1]
    assert result.stdout.splitlines() == [
        f"Arkivet {filled} er i orden: 5 samtykker, 15 filer, 5 poster i revisionsloggen.",
        f"Revisionsloggens seneste post: 5, HMAC-SHA256 {head.hash}"]


def test_verify_names_changed_and_missing_files(filled):
    with Archive(filled) as arch:
        first, second = arch.get(1), arch.get(2)
    changed = filled / "objects" / first.sha256[:2] / first.sha256[2:]
    make_writable(changed)
    changed.write_bytes(changed.read_bytes() + b"\n% tilfoejet")
    gone = filled / "objects" / second.sha256[:2] / second.sha256[2:]
    gone.unlink()
    result = run(filled, "verify")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (f"Fejl: samtykke nr. 1 (objects/{first.sha256[:2]}/{first.sha256[2:]}): "
            "dokumentet er ændret (SHA-256 passer ikke)") in lines
    assert (f"Fejl: samtykke nr. 2 (objects/{second.sha256[:2]}/{second.sha256[2:]}): "
            "dokumentet mangler") in lines
    assert "2 fejl i arkivet" in result.stderr
    refused = run(filled, "get", "1", "-o", str(filled.parent / "x.pdf"))
    assert refused.exit_code == 1 and "dokumentet i arkivet er ændret" in refused.stderr
    assert not (filled.parent / "x.pdf").exists()


def test_verify_names_edited_audit_row(filled):
    conn = sqlite3.connect(filled / "index.sqlite")
    conn.execute("UPDATE audit SET details = replace(details, '2026-12-31', '2027-12-31') "
                 "WHERE seq = 3")
    conn.commit()
    conn.close()
    result = run(filled, "verify")
    assert result.exit_code == 1
    assert ("Fejl: revisionslog post 3: posten er ændret efter den blev skrevet (hashen passer "
            "ikke)") in result.stderr.splitlines()


def test_verify_names_deleted_audit_rows_and_edited_index(filled):
    conn = sqlite3.connect(filled / "index.sqlite")
    conn.execute("DELETE FROM audit WHERE seq = 2")
    conn.execute("UPDATE consents SET gyldig_til = '2030-12-31' WHERE id = 4")
    conn.execute("UPDATE consents SET withdrawn_on = '2025-01-01' WHERE id = 5")
    conn.commit()
    conn.close()
    lines = run(filled, "verify").stderr.splitlines()
    assert ("Fejl: revisionslog post 3: post 2 mangler: der er slettet i revisionsloggen"
            in lines)
    assert ("Fejl: revisionslog post 3: kæden er brudt: posten peger ikke på den forrige post"
            in lines)
    assert ("Fejl: samtykke nr. 2: står i indekset uden at være tilføjet i revisionsloggen"
            in lines)
    assert ("Fejl: samtykke nr. 4: oplysningerne i indekset er ændret efter tilføjelsen "
            "(passer ikke med revisionsloggen)") in lines
    assert ("Fejl: samtykke nr. 5: tilbagekaldelsen i indekset passer ikke med "
            "revisionsloggen") in lines


def test_verify_notices_truncated_log_and_removed_row(filled):
    conn = sqlite3.connect(filled / "index.sqlite")
    conn.execute("DELETE FROM audit WHERE seq = 5")
    conn.execute("DELETE FROM consents WHERE id = 1")
    conn.commit()
    conn.close()
    lines = run(filled, "verify").stderr.splitlines()
    assert ("Fejl: revisionslog: de seneste poster (til og med post 5) mangler eller er "
            "ændret") in lines
    assert "Fejl: samtykke nr. 1: mangler i indekset (slettet uden om arkivet)" in lines
    assert any("fil uden samtykke i indekset" in line for line in lines)  # 1's document


def test_audit_chain_unit(tmp_path):
    from toolkit.consent.keys import ArchiveKeys

    keys = ArchiveKeys(b"k" * 32)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(audit_mod.SCHEMA)
    conn.execute("INSERT INTO archive_info VALUES (1, ?, NULL, 'nu')", (keys.key_id,))
    first = audit_mod.append(conn, keys, "add", 1, {"sha256": "ab"}, "anna",
                             at="2025-01-01T00:00:00Z")
    second = audit_mod.append(conn, keys, "withdraw", 1, {"fra": "2025-02-01"}, "bo")
    assert first.prev == audit_mod.GENESIS and second.prev == first.hash
    assert audit_mod.verify_chain(conn, keys)[1] == []
    conn.execute("UPDATE audit SET actor = 'carl' WHERE seq = 2")
    problems = audit_mod.verify_chain(conn, keys)[1]
    assert [(p.place, p.message, p.code) for p in problems] == [
        ("revisionslog post 2", "posten er ændret efter den blev skrevet (hashen passer ikke)",
         "entry-changed")]
    assert str(problems[0]) == ("revisionslog post 2: posten er ændret efter den blev skrevet "
                                "(hashen passer ikke)")
    assert problems[0].title == "en post i revisionsloggen er ændret"
    # another key: named, and every entry fails
    other = ArchiveKeys(b"x" * 32)
    codes = [p.code for p in audit_mod.verify_chain(conn, other)[1]]
    assert codes == ["key-mismatch", "chain-rewritten"]


# ------------------------------------------------------------------ export, purge


def test_export_zip_for_case_system(filled, tmp_path, form_files):
    assert run(filled, "add", str(form_files["pdf"])).exit_code == 0  # nr. 6, another CPR
    out = tmp_path / "til-sagssystem.zip"
    result = run(filled, "export", "--cpr", "030390-3456", "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{out}: 2 samtykker eksporteret (nr. 4, 5)"
    with zipfile.ZipFile(out) as package, Archive(filled) as arch:
        assert sorted(package.namelist()) == ["samtykke-4.json", "samtykke-4.pdf",
                                              "samtykke-5.json", "samtykke-5.pdf"]
        assert package.read("samtykke-4.pdf") == arch.read(arch.get(4))
        meta = json.loads(package.read("samtykke-5.json"))
        history = arch.history(5)
    assert meta["nr"] == 5 and meta["cpr"] == "030390-3456" and meta["status"] == "aktiv"
    assert meta["formaal"] == "Koordinering af indsats"
    assert (meta["gyldig_fra"], meta["gyldig_til"]) == ("2025-01-01", "2025-06-25")
    assert meta["dokument"]["sha256"] == history[0].details["sha256"]
    assert meta["opbevares_til"] == "2030-06-25"
    again = run(filled, "export", "--cpr", "030390-3456", "-o", str(out))
    assert again.exit_code == 1 and "findes allerede og overskrives ikke" in again.stderr
    none = run(filled, "export", "--cpr", "111111-1111", "-o", str(tmp_path / "n.zip"))
    assert none.exit_code == 1
    assert "CPR 111111-xxxx: der er ingen samtykker i arkivet." in none.stderr
    conn = sqlite3.connect(filled / "index.sqlite")
    (details,) = conn.execute("SELECT details FROM audit WHERE action = 'export'").fetchone()
    conn.close()
    assert json.loads(details) == {"numre": [4, 5], "grund": ""}


def ago(start: int, end: int) -> tuple[str, str]:
    """ISO dates ``start`` and ``end`` days before the real today."""
    real = dt.date.today()
    return ((real - dt.timedelta(days=start)).isoformat(),
            (real - dt.timedelta(days=end)).isoformat())


@pytest.fixture
def old(tmp_path) -> Path:
    """An archive with consents whose retention ran out long ago, and newer ones (dated
    from the real clock, which purge obeys)."""
    arkiv = tmp_path / "gammelt"
    specs = [
        ("010190-1234", "2015-01-01", "2015-12-31"),  # 1 kept to 2020-12-31
        ("010190-1234", "2019-01-01", "2019-12-31"),  # 2 kept to 2024-12-31
        ("020290-2345", *ago(730, 365)),  # 3 ended a year ago: kept four more years
        ("030390-3456", *ago(365, -365)),  # 4 in force for another year
    ]
    for i, (cpr, fra, til) in enumerate(specs, start=1):
        scan = tmp_path / f"gammel{i}.pdf"
        scan.write_bytes(scan_pdf(f"gammel scanning {i}"))
        assert run(arkiv, "add", str(scan), *scan_args(cpr=cpr, fra=fra, til=til),
                   today=fra).exit_code == 0
    return arkiv


def test_purge_deletes_only_what_the_real_clock_allows(old):
    from toolkit.danish import format_date

    # the test clock says 30 years on: by it, all four are due; by the real clock 1 and 2
    later = ago(-30 * 365, 0)[0]
    result = run(old, "purge", "--before", later, today=later)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "Samtykke nr. 1: slettet (opbevaret til 31. december 2020)",
        "Samtykke nr. 2: slettet (opbevaret til 31. december 2024)",
        "2 slettet, 2 afvist."]
    assert result.stderr.splitlines() == [
        "Fejl: samtykke nr. 3: slettes ikke, da det skal opbevares til og med "
        f"{format_date(add_years(dt.date.fromisoformat(ago(0, 365)[1]), 5))}.",
        "Fejl: samtykke nr. 4: slettes ikke, da det er stadig i kraft."]
    assert _numbers(run(old, "list").stdout) == [3, 4]
    gone = run(old, "show", "2")
    assert gone.exit_code == 1 and "samtykke nr. 2: er slettet" in gone.stderr
    assert len(object_files(old)) == 6  # 3 and 4, each with its PDF/A and report
    conn = sqlite3.connect(old / "index.sqlite")
    purges = conn.execute("SELECT consent_id FROM audit WHERE action = 'purge'").fetchall()
    conn.close()
    assert purges == [(1,), (2,)]
    assert run(old, "verify").exit_code == 0


def test_purge_retention_has_a_legal_minimum(old, monkeypatch):
    early = run(old, "purge", "--before", "2026-01-01", today="2026-01-01")
    assert early.stdout.splitlines()[-1] == "2 slettet, 0 afvist."
    short = run(old, "purge", "--before", "2040-01-01", "--retention-years", "1", "--dry-run")
    assert short.exit_code == 1
    assert short.stderr == (
        "Fejl: opbevaringstiden 1 år er kortere end lovens mindstekrav på 5 år efter udløb "
        "eller tilbagekaldelse.\n  Tip: Brug mindst 5 år.\n")
    runner = CliRunner()
    env = {"SKEMA_ARCHIVE": str(old), "SKEMA_RETENTION_YEARS": "2"}
    by_env = runner.invoke(cli, ["consent", "purge", "--before", "2040-01-01"], env=env)
    assert by_env.exit_code == 1 and "kortere end lovens mindstekrav" in by_env.stderr
    assert _numbers(run(old, "list").stdout) == [3, 4]


def test_purge_never_deletes_outside_the_object_store(old, tmp_path):
    victim = tmp_path / "x"
    victim.write_text("skal blive")
    conn = sqlite3.connect(old / "index.sqlite")
    conn.execute("UPDATE consents SET sha256 = '../../x' WHERE id = 1")
    conn.commit()
    conn.close()
    result = run(old, "purge", "--before", "2040-01-01")
    assert ("Fejl: samtykke nr. 1: slettes ikke, da det har en sti uden for arkivets "
            "dokumenter i indekset.") in result.stderr.splitlines()
    assert victim.read_text() == "skal blive"
    with Archive(old) as arch:
        codes = set(arch.verify().codes())
    assert {"path-outside", "index-changed", "orphan"} <= codes


# ------------------------------------------------------------------ signatures


def test_signed_pdf_intact_then_altered_after_signing(tmp_path, form_files, signing):
    arkiv = tmp_path / "arkiv"
    signed = tmp_path / "underskrevet.pdf"
    signed.write_bytes(signing(form_files["pdf"].read_bytes()))
    altered = tmp_path / "aendret.pdf"
    altered.write_bytes(alter_after_signing(signed.read_bytes()))

    result = run(arkiv, "add", str(signed))
    assert result.exit_code == 0, result.output
    assert re.search(r"Underskrift: Nukaaka Olsen, \d{1,2}\. \w+ \d{4} kl\. \d\d\.\d\d\.\d\d: "
                     r"intakt: uændret siden underskriften; ikke verificeret mod et "
                     r"tillidsanker",
                     result.stdout)
    result = run(arkiv, "add", str(altered), "--add-anyway")
    assert result.exit_code == 0, result.output
    assert "ændret efter underskrift; ikke verificeret mod et tillidsanker" in result.stdout
    listing = run(arkiv, "list").stdout.splitlines()
    assert listing[1].split()[7] == "intakt" and listing[2].split()[7] == "ÆNDRET"
    shown = run(arkiv, "show", "2").stdout
    assert "Underskrifter:\n    Nukaaka Olsen, " in shown
    assert ": ændret efter underskrift; ikke verificeret mod et tillidsanker" in shown
    with Archive(arkiv) as arch:
        sig = arch.get(1).signatures[0]
        assert arch.get(1).source == "formular"  # the form is still read when signed
    assert sig["underskriver"] == "Nukaaka Olsen" and sig["felt"] == "Underskrift"
    assert sig["status"] == "intakt" and sig["tillid"] == "ikke_verificeret"


def test_signed_pdf_bytes_changed_inside_signature_and_trust_root(tmp_path, form_files,
                                                                   signing):
    arkiv = tmp_path / "arkiv"
    data = bytearray(signing(form_files["pdf"].read_bytes()))
    data[2000] ^= 0x01  # inside the signed byte range
    flipped = tmp_path / "flip.pdf"
    flipped.write_bytes(bytes(data))
    result = run(arkiv, "add", str(flipped))
    assert "ændret efter underskrift" in result.stdout, result.output
    trusted = tmp_path / "betroet.pdf"
    trusted.write_bytes(signing(form_files["pdf"].read_bytes()))
    result = run(arkiv, "add", str(trusted), "--trust-root", str(signing.pem), "--add-anyway")
    assert result.exit_code == 0, result.output
    assert "intakt: uændret siden underskriften; betroet (kæde til et konfigureret " \
           "tillidsanker)" in result.stdout
    bad_root = run(arkiv, "add", str(form_files["docx"]), "--trust-root", __file__,
                   "--add-anyway")
    assert bad_root.exit_code == 0  # Word signatures are not checked: root never read
    unsigned = run(arkiv, "show", "3").stdout
    assert "ingen digitale underskrifter" in unsigned


def test_cli_import_does_not_import_pyhanko():
    code = ("import sys, toolkit.cli; "
            "print(sorted(m for m in sys.modules if m.startswith(('pyhanko', 'asn1crypto'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_adding_a_scan_loads_no_form_reader_nor_what_it_does_not_need(tmp_path):
    """`consent add` of a scanned PDF without signatures (issue 15, start-up): qpdf tells
    it is no form, so pypdf and the form readers are not loaded, nor pyHanko's checks,
    python-stdnum (ssl, pydoc), Pillow, multiprocessing or importlib.metadata; in any process of
    the add (a forked child's imports are printed to the same stderr)."""
    env = {**os.environ, "SKEMA_ARCHIVE_KEY_FILE": str(tmp_path / "archive.key"),
           "PYTHONPATH": str(ROOT)}
    arkiv = str(tmp_path / "arkiv")
    subprocess.run([sys.executable, "-m", "toolkit", "consent", "init", "--archive", arkiv],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf("papir"))
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "toolkit", "consent",
                           "add", "--archive", arkiv, *scan_args(), str(scan)],
                          env=env, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "arkiveret som samtykke nr. 1" in proc.stdout
    loaded = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
              if line.startswith("import time:")}
    assert "toolkit.consent.store" in loaded and "toolkit.readers.pdf_plain" in loaded
    unwanted = {"pypdf", "toolkit.readers.pdf", "toolkit.render.ooxml", "pyhanko.sign", "stdnum",
                "multiprocessing", "importlib.metadata", "jsonschema", "PIL", "fontTools"}
    assert unwanted & loaded == set()


# ------------------------------------------------------------------ load and faults


_ADD_SCRIPT = """
import io, sys
from reportlab.pdfgen import canvas
from toolkit.consent import Archive
root, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    buf = io.BytesIO(); c = canvas.Canvas(buf); c.drawString(72, 720, f"{tag} {i}"); c.save()
    with Archive(root, create=True, renditions=False) as arch:
        arch.add_bytes(buf.getvalue(), f"{tag}-{i}.pdf", {
            "cpr": "010190-1234", "formaal": tag, "gyldig_fra": "2025-01-01",
            "gyldig_til": "2025-12-31"})
"""


def test_two_processes_adding_at_once_lose_nothing(tmp_path):
    arkiv = tmp_path / "arkiv"
    procs = [subprocess.Popen([sys.executable, "-c", _ADD_SCRIPT, str(arkiv), tag, "25"],
                              cwd=ROOT, stderr=subprocess.PIPE, text=True)
             for tag in ("a", "b", "c")]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    with Archive(arkiv) as arch:
        consents = arch.list()
        assert sorted(c.id for c in consents) == list(range(1, 76))
        assert sorted(c.formaal for c in consents).count("a") == 25
        assert sorted(c.formaal for c in consents).count("c") == 25
        report = arch.verify()
    # each document and its signature report; the PDF/A was not made (bulk load)
    assert report.valid and report.counts == {"samtykker": 75, "filer": 150, "poster": 75}


_KILL_AFTER_BLOB = """
import os, signal, sys
from toolkit.consent import store
original = store.Archive._store_blob
def store_then_die(self, data, digest, **kw):
    original(self, data, digest, **kw)
    os.kill(os.getpid(), signal.SIGKILL)
store.Archive._store_blob = store_then_die
from toolkit.cli import main
main(sys.argv[1:])
"""

_KILL_MID_WRITE = """
import os, signal, sys
os.link = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
from toolkit.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("script,expected", [
    (_KILL_AFTER_BLOB, "fil uden samtykke i indekset (forældreløs, fx fra en afbrudt "
                       "tilføjelse)"),
    (_KILL_MID_WRITE, ""),
])
def test_process_killed_mid_add_is_reported_or_cleaned(tmp_path, script, expected):
    arkiv = tmp_path / "arkiv"
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf("dræbt midt i"))
    env = {**os.environ, "SKEMA_ARCHIVE": str(arkiv)}
    proc = subprocess.run([sys.executable, "-c", script, "consent", "add", str(scan),
                           *scan_args()], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr
    if script is _KILL_MID_WRITE:
        # the interrupted add's temp file is there, and the next command removes it
        assert [p.name[:4] for p in (arkiv / "tmp").iterdir()] == ["add-"]
        assert run(arkiv, "verify").exit_code == 0
        assert list((arkiv / "tmp").iterdir()) == []
        return
    with Archive(arkiv) as arch:
        assert arch.list() == []  # no index entry without its file
    result = run(arkiv, "verify")
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("Fejl: ")]
    assert line.endswith(": " + expected)
    if script is _KILL_AFTER_BLOB:
        # adding the document again adopts the orphan; the archive is whole again
        assert run(arkiv, "add", str(scan), *scan_args()).exit_code == 0
        assert run(arkiv, "verify").exit_code == 0


def test_archive_api_refuses_missing_metadata():
    with pytest.raises(ArchiveError) as info:
        from toolkit.consent.metadata import merge_metadata

        merge_metadata(None, {"cpr": "010190-1234", "formaal": "x"}, "scan.pdf")
    assert "mangler gyldig fra, gyldig til" in str(info.value)


def test_demo_sample_scan_with_options(tmp_path, form_files):
    """What `make demo` does: the filled sample consent plus the sample scan, listed."""
    arkiv = tmp_path / "samtykkearkiv"
    scan = ROOT / "samples" / "samtykker" / "scannet-samtykke.pdf"
    with pytest.raises(toolkit.DocumentError):
        toolkit.extract(scan)  # a scan: no form fields, so the options carry the metadata
    assert run(arkiv, "add", str(form_files["pdf"])).exit_code == 0
    result = run(arkiv, "add", str(scan), "--cpr", "010190-1234", "--name", "Hans Hansen",
                 "--purpose", "Koordinering af beskæftigelsesindsats og behandling",
                 "--party", "Jobcenter Aarhus:begge", "--party", "Misbrugscentret:begge",
                 "--valid-from", "01-01-2025", "--valid-to", "31-12-2026")
    assert result.exit_code == 0, result.output
    lines = run(arkiv, "list").stdout.splitlines()
    assert [line.split()[:3] for line in lines[1:3]] == [
        ["1", "Nukaaka", "Olsen"], ["2", "Hans", "Hansen"]]
    assert lines[2].split()[3:8] == ["010190-xxxx", "01-01-2025", "31-12-2026", "aktiv", "–"]
    assert run(arkiv, "verify").exit_code == 0


def test_other_form_is_not_a_consent(tmp_path):
    data = json.loads((ROOT / "samples" / "indsatsskema.json").read_text(encoding="utf-8"))
    other = tmp_path / "plan.docx"
    other.write_bytes(toolkit.fill("indsatsskema", data, "docx"))
    arkiv = tmp_path / "arkiv"
    result = run(arkiv, "add", str(other), *scan_args())
    assert result.exit_code == 1
    title = toolkit.load_form("indsatsskema").title
    assert result.stderr.startswith(f"Fejl: {other}: dokumentet er formularen \"{title}\", "
                                    "ikke en samtykkeerklæring.")
    assert object_files(arkiv) == []


# ------------------------------------------------------------------ keys and checkpoints


def codes_of(archive: Path, *checkpoints: Path) -> set[str]:
    """The finding codes of `verify --json` (with the given checkpoints)."""
    args = [a for cp in checkpoints for a in ("--checkpoint", str(cp))]
    result = run(archive, "verify", "--json", *args)
    found = json.loads(result.stdout)["fund"]
    assert all(set(f) == {"kode", "titel", "sted", "besked"} for f in found)
    assert all(f["titel"] == CODES[f["kode"]] for f in found)  # the registered Danish title
    return {f["kode"] for f in found}


def checkpoint_of(archive: Path, tmp_path: Path, name: str = "kp.json") -> Path:
    out = tmp_path / "andetsteds" / name
    out.parent.mkdir(exist_ok=True)
    result = run(archive, "checkpoint", "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def sql(archive: Path, *statements: str) -> None:
    conn = sqlite3.connect(archive / "index.sqlite")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def head_after(archive: Path, seq: int) -> str:
    """The statement that points audit_head at entry ``seq`` (as an attacker would)."""
    return (f"UPDATE audit_head SET seq = {seq}, hash = (SELECT hash FROM audit WHERE seq = "
            f"{seq})")


def test_init_creates_archive_and_keys_and_never_overwrites(tmp_path, monkeypatch):
    keyfile = tmp_path / "hemmeligt" / "archive.key"
    monkeypatch.setenv("SKEMA_ARCHIVE_KEY_FILE", str(keyfile))
    arkiv = tmp_path / "arkiv"
    result = run(arkiv, "init")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (f"Arkivet {arkiv} er oprettet. Nøgle: {keyfile} "
                                             "(ny).")
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    signing_key = keyfile.with_name("archive-signing.pem")
    assert stat.S_IMODE(signing_key.stat().st_mode) == 0o600
    before = keyfile.read_bytes(), signing_key.read_bytes()
    again = run(arkiv, "init")
    assert again.exit_code == 1 and "her er allerede et samtykkearkiv" in again.stderr
    second = run(tmp_path / "andet", "init")
    assert "(eksisterende, ikke overskrevet)" in second.stdout
    assert (keyfile.read_bytes(), signing_key.read_bytes()) == before
    # the key must stay outside the archive and private
    inside = run(tmp_path / "tredje", "init", "--key-file", str(tmp_path / "tredje" / "k"))
    assert inside.exit_code == 1 and "nøglen må ikke ligge i arkivets mappe" in inside.stderr
    os.chmod(keyfile, 0o644)
    loose = run(arkiv, "list")
    assert loose.exit_code == 1
    assert f"{keyfile}: arkivets nøglefil kan læses af andre end ejeren" in loose.stderr
    os.chmod(keyfile, 0o600)
    keyfile.rename(tmp_path / "væk")
    gone = run(arkiv, "list")
    assert gone.exit_code == 1 and f"{keyfile}: arkivets nøglefil findes ikke." in gone.stderr


def test_wrong_key_is_refused_and_named_by_verify(filled, monkeypatch):
    monkeypatch.setenv("SKEMA_ARCHIVE_KEY", "ab" * 32)
    scan = filled.parent / "ny.pdf"
    scan.write_bytes(scan_pdf("ny"))
    refused = run(filled, "add", str(scan), *scan_args(cpr="040490-4567"))
    assert refused.exit_code == 1
    assert f"Fejl: {filled}: nøglen passer ikke til arkivet; intet er ændret." in refused.stderr
    assert codes_of(filled) == {"key-mismatch", "chain-rewritten"}


def test_checkpoint_written_signed_and_checked(filled, tmp_path):
    point = checkpoint_of(filled, tmp_path)
    data = json.loads(point.read_text())
    assert (data["post"], data["samtykker"]) == (5, 5)
    ok = run(filled, "verify", "--checkpoint", str(point))
    assert ok.exit_code == 0 and "1 kontrolpunkt holder" in ok.stdout
    inside = run(filled, "checkpoint", "-o", str(filled / "kp.json"))
    assert inside.exit_code == 1 and "skal gemmes uden for arkivet" in inside.stderr
    forged = tmp_path / "forfalsket.json"
    forged.write_text(json.dumps({**data, "samtykker": 6}))
    assert codes_of(filled, forged) == {"checkpoint-signature"}


def test_mutating_commands_write_checkpoints_to_a_second_folder(filled, tmp_path):
    folder = tmp_path / "kontrolpunkter"
    assert run(filled, "withdraw", "3", "--date", "2025-05-15", "--checkpoints",
               str(folder)).exit_code == 0
    scan = tmp_path / "ny.pdf"
    scan.write_bytes(scan_pdf("ny"))
    assert run(filled, "add", str(scan), *scan_args(cpr="040490-4567"), "--checkpoints",
               str(folder)).exit_code == 0
    names = sorted(p.name for p in folder.iterdir())
    assert [n[:19] for n in names] == ["kontrolpunkt-000006", "kontrolpunkt-000007"]
    ok = run(filled, "verify", "--checkpoint", str(folder))
    assert ok.exit_code == 0 and "2 kontrolpunkter holder" in ok.stdout


def test_attack_database_copied_back_from_before_a_withdrawal(filled, tmp_path):
    saved = tmp_path / "gammel.sqlite"
    with sqlite3.connect(filled / "index.sqlite") as src, sqlite3.connect(saved) as dst:
        src.backup(dst)
    assert run(filled, "withdraw", "3", "--date", "2025-05-15").exit_code == 0
    point = checkpoint_of(filled, tmp_path)
    with sqlite3.connect(saved) as src, sqlite3.connect(filled / "index.sqlite") as dst:
        src.backup(dst)
    assert run(filled, "list", "--status", "tilbagekaldt").stdout.strip() == (
        "Ingen samtykker matcher.")  # the withdrawal is gone
    assert codes_of(filled) == set()  # a consistent old copy: only a checkpoint sees it
    assert codes_of(filled, point) == {"rollback"}
    lines = run(filled, "verify", "--checkpoint", str(point)).stderr.splitlines()
    assert any("arkivet er rullet tilbage: revisionsloggen ender ved post 5, men "
               "kontrolpunktet bekræfter post 6" in line for line in lines)


def test_attack_last_entry_cut_and_head_moved_back(filled, tmp_path):
    assert run(filled, "withdraw", "3", "--date", "2025-05-15").exit_code == 0
    point = checkpoint_of(filled, tmp_path)
    sql(filled, "DELETE FROM audit WHERE seq = 6", head_after(filled, 5))
    assert "entries-cut" in codes_of(filled)  # SQLite remembers entry 6 was written
    assert {"truncated", "entries-cut"} <= codes_of(filled, point)


def test_attack_withdrawal_deleted_head_reset_withdrawn_on_cleared(filled, tmp_path):
    assert run(filled, "withdraw", "3", "--date", "2025-05-15").exit_code == 0
    point = checkpoint_of(filled, tmp_path)
    sql(filled, "DELETE FROM audit WHERE seq = 6", head_after(filled, 5),
        "UPDATE consents SET withdrawn_on = NULL WHERE id = 3",
        "UPDATE sqlite_sequence SET seq = 5 WHERE name = 'audit'")
    assert _numbers(run(filled, "list", "--status", "aktiv").stdout) == [1, 3, 5]
    assert codes_of(filled) == set()  # every trace removed: only a checkpoint sees it
    assert codes_of(filled, point) == {"rollback"}


def test_attack_head_moved_back(filled, tmp_path):
    point = checkpoint_of(filled, tmp_path)
    sql(filled, head_after(filled, 3))
    assert codes_of(filled) == {"head-moved"}
    assert codes_of(filled, point) == {"head-moved"}


def test_attack_validity_changed_and_chain_recomputed_without_the_key(filled, tmp_path):
    import hashlib
    import hmac

    from toolkit.consent.model import record_hash

    point = checkpoint_of(filled, tmp_path)
    conn = sqlite3.connect(filled / "index.sqlite")
    conn.execute("UPDATE consents SET gyldig_til = '2099-12-31' WHERE id = 4")
    with Archive(filled) as arch:
        raw = arch.get(4).raw
    raw["gyldig_til"] = "2099-12-31"
    rows = conn.execute("SELECT seq, at, action, consent_id, actor, citizen, details FROM "
                        "audit ORDER BY seq").fetchall()
    prev = audit_mod.GENESIS
    for seq, at, action, consent_id, actor, citizen, details in rows:
        if consent_id == 4 and action == "add":
            parsed = json.loads(details)
            parsed.update(post=record_hash(raw), gyldig_til="2099-12-31")
            details = audit_mod.canonical(parsed)
        text = audit_mod.canonical([seq, at, action, consent_id, actor, citizen, details, prev])
        digest = hmac.new(b"gaet", text.encode(), hashlib.sha256).hexdigest()
        conn.execute("UPDATE audit SET details = ?, prev = ?, hash = ? WHERE seq = ?",
                     (details, prev, digest, seq))
        prev = digest
    conn.execute("UPDATE audit_head SET hash = ?", (prev,))
    conn.commit()
    conn.close()
    assert codes_of(filled) == {"chain-rewritten"}
    assert codes_of(filled, point) == {"chain-rewritten", "rewritten"}
    lines = run(filled, "verify").stderr.splitlines()
    assert ("Fejl: revisionslog: alle 5 poster har forkert nøglet hash: kæden er beregnet igen "
            "uden arkivets nøgle") in lines


# ------------------------------------------------------------------ look-ups and access


def test_lookups_are_logged_with_actor_reason_and_citizen_hash(filled, tmp_path):
    import getpass

    run(filled, "list", "--cpr", "010190-1234", "--reason", "Opfølgning")
    run(filled, "show", "1")
    run(filled, "get", "2", "-o", str(tmp_path / "2.pdf"))
    run(filled, "export", "--cpr", "010190-1234", "-o", str(tmp_path / "e.zip"),
        "--reason", "Sagssystem")
    run(filled, "list")  # not a look-up of a citizen
    with Archive(filled) as arch:
        key = arch.keys.citizen("010190-1234")
        entries = [e for e in audit_mod.entries(arch.conn) if e.seq > 5]
    assert [(e.action, e.details.get("kommando"), e.details["numre"], e.details["grund"])
            for e in entries] == [
        ("lookup", "list", [1, 2], "Opfølgning"), ("lookup", "show", [1], ""),
        ("lookup", "get", [2], ""), ("export", None, [1, 2], "Sagssystem")]
    assert {e.actor for e in entries} == {getpass.getuser()}
    assert {e.citizen for e in entries} == {key}
    assert "010190" not in json.dumps([e.details for e in entries])
    # the library names another actor (the web app's user)
    with Archive(filled, actor="web:anna") as arch:
        arch.show(3, reason="Møde")
        last = audit_mod.entries(arch.conn)[-1]
    assert (last.actor, last.details["grund"]) == ("web:anna", "Møde")
    assert run(filled, "verify").exit_code == 0


def test_access_request_holds_that_citizen_only_and_is_logged(filled, tmp_path):
    run(filled, "show", "1", "--reason", "Sagsbehandling")
    run(filled, "show", "3")  # another citizen
    run(filled, "list", "--cpr", "020290-2345")
    assert run(filled, "withdraw", "2", "--date", "2025-03-01").exit_code == 0
    out = tmp_path / "indsigt.zip"
    result = run(filled, "access", "--cpr", "010190-1234", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{out}: indsigt med 2 samtykker skrevet (oversigt.html øverst)"
    with zipfile.ZipFile(out) as package, Archive(filled) as arch:
        assert package.namelist() == [
            "oversigt.html", "samtykke-1.pdf", "samtykke-1.json", "samtykke-1-pdfa.pdf",
            "samtykke-2.pdf", "samtykke-2.json", "samtykke-2-pdfa.pdf", "historik.json",
            "opslag.json"]
        assert package.read("samtykke-2.pdf") == arch.read(arch.get(2))
        history = json.loads(package.read("historik.json"))
        lookups = json.loads(package.read("opslag.json"))
        summary = package.read("oversigt.html").decode()
        everything = b"".join(package.read(n) for n in package.namelist()
                              if not n.endswith(".pdf")).decode()
        last = audit_mod.entries(arch.conn)[-1]
    assert [(h["handling"], h["samtykke"]) for h in history] == [
        ("tilføjet", 1), ("tilføjet", 2), ("tilbagekaldt", 2)]
    assert [(x["kommando"], x["numre"], x["grund"]) for x in lookups] == [
        ("show", [1], "Sagsbehandling")]
    assert "Indsigt i dine samtykker" in summary and "010190-xxxx" in summary
    assert "Sagsbehandling" in summary and "tilbagekaldt" in summary
    assert "020290" not in everything and "030390" not in everything
    assert (last.action, last.details["numre"]) == ("access", [1, 2])
    again = run(filled, "access", "--cpr", "010190-1234", "-o", str(out))
    assert again.exit_code == 1 and "findes allerede" in again.stderr
    second = tmp_path / "igen.zip"
    run(filled, "access", "--cpr", "010190-1234", "-o", str(second))
    with zipfile.ZipFile(second) as package:
        assert [x["handling"] for x in json.loads(package.read("opslag.json"))][-1] == (
            "indsigt udleveret til borgeren")


def test_access_after_purge_still_shows_the_history(old, tmp_path):
    run(old, "purge", "--before", "2026-01-01")
    out = tmp_path / "indsigt.zip"
    assert run(old, "access", "--cpr", "010190-1234", "-o", str(out)).exit_code == 0
    with zipfile.ZipFile(out) as package:
        assert [n for n in package.namelist() if n.startswith("samtykke-")] == []
        history = json.loads(package.read("historik.json"))
    assert [(h["handling"], h["samtykke"]) for h in history] == [
        ("tilføjet", 1), ("tilføjet", 2), ("slettet (opbevaringstid udløbet)", 1),
        ("slettet (opbevaringstid udløbet)", 2)]


# ------------------------------------------------------------------ folder rights


def test_existing_folder_is_made_private_or_refused(tmp_path, monkeypatch):
    arkiv = tmp_path / "delt"
    arkiv.mkdir(mode=0o755)
    os.chmod(arkiv, 0o755)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf("x"))
    assert run(arkiv, "add", str(scan), *scan_args()).exit_code == 0
    assert stat.S_IMODE(arkiv.stat().st_mode) == 0o700
    os.chmod(arkiv, 0o755)
    from toolkit.consent import store

    def refuse(*_args, **_kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(store.os, "chmod", refuse)
    with pytest.raises(ArchiveError) as info:
        Archive(arkiv)
    assert str(info.value) == (f"{arkiv}: arkivets mappe kan ikke gøres privat (kun for "
                               "ejeren) (Operation not permitted).")


def test_duplicate_after_withdrawal_is_not_a_copy(tmp_path):
    arkiv = tmp_path / "arkiv"
    first, copy = tmp_path / "a.pdf", tmp_path / "b.pdf"
    first.write_bytes(scan_pdf("samtykke"))
    copy.write_bytes(first.read_bytes() + b"\n% 5 byte")
    assert run(arkiv, "add", str(first), *scan_args()).exit_code == 0
    refused = run(arkiv, "add", str(copy), *scan_args())
    assert refused.exit_code == 1 and "sandsynligvis en kopi af samtykke nr. 1" in refused.stderr
    assert run(arkiv, "withdraw", "1", "--date", "2025-05-01").exit_code == 0
    assert run(arkiv, "add", str(copy), *scan_args()).exit_code == 0  # a new consent now


# ------------------------------------------------------------------ PDF/A renditions


def pdfa_status(data: bytes) -> str:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return pdf.open_metadata().pdfa_status


def test_pdfa_rendition_and_signature_report_beside_the_original(tmp_path):
    _need("gs", "ghostscript")
    arkiv = tmp_path / "arkiv"
    scan, image = tmp_path / "scan.pdf", tmp_path / "scan.png"
    scan.write_bytes(scan_pdf("papir"))
    from PIL import Image

    Image.new("RGB", (200, 100), "white").save(image)
    result = run(arkiv, "add", str(scan), *scan_args())
    assert result.stdout.splitlines()[1] == "  PDF/A-2b: lavet med Ghostscript"
    assert run(arkiv, "add", str(image), *scan_args(cpr="020290-2345")).exit_code == 0
    with Archive(arkiv) as arch:
        for number in (1, 2):
            consent = arch.get(number)
            rows = {r["kind"]: r for r in arch.rendition_rows(number)}
            pdfa = arch.rendition(number)
            assert pdfa is not None and pdfa_status(pdfa) == "2B"
            assert rows["pdfa"]["tool"] == "Ghostscript" and rows["pdfa"]["size"] == len(pdfa)
            report = json.loads(arch.object_path(rows["signaturrapport"]["sha256"])
                                .read_bytes())
            assert report["dokument"] == consent.sha256 and report["underskrifter"] == []
            assert report["værktøj"].startswith("pyHanko")
            added = arch.history(number)[0].details
            assert (added["pdfa"], added["signaturrapport"]) == (
                rows["pdfa"]["sha256"], rows["signaturrapport"]["sha256"])
        assert arch.read(arch.get(1)) == scan.read_bytes()  # the original stays the record
        changed = arch.object_path(rows["pdfa"]["sha256"])
    assert run(arkiv, "verify").exit_code == 0
    make_writable(changed)
    changed.write_bytes(changed.read_bytes() + b"%")
    assert codes_of(arkiv) == {"rendition-changed"}


def test_missing_ghostscript_is_recorded_and_never_fails_the_add(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "tom"))
    arkiv = tmp_path / "arkiv"
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf("papir"))
    result = run(arkiv, "add", str(scan), *scan_args())
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == (
        "  PDF/A-2b: mangler: Ghostscript (gs) er ikke installeret")
    checked = run(arkiv, "verify")
    assert checked.exit_code == 0
    assert checked.stdout.splitlines()[0] == (
        "Bemærk: samtykke nr. 1: PDF/A-udgaven mangler (Ghostscript (gs) er ikke "
        "installeret).")
    assert "PDF/A-2b:         mangler: Ghostscript" in run(arkiv, "show", "1").stdout


def test_work_folder_left_by_a_killed_add_is_removed_by_a_later_one(tmp_path, monkeypatch):
    """The rendition is made while the file is read, in a work folder holding a copy of
    the document: one left by a killed process (its id gone, an hour old) is removed by
    the next add; a young one, or one of a living process, is left alone."""
    import tempfile
    import time

    _need("gs", "ghostscript")
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # its process id is free now
    old = time.time() - 7200
    orphan, young, living = (work / f"skema-pdfa-{ended.pid}-a", work / f"skema-pdfa-{ended.pid}-b",
                             work / f"skema-pdfa-{os.getpid()}-c")
    for folder in (orphan, young, living):
        folder.mkdir()
        (folder / "kilde.pdf").write_bytes(scan_pdf("borgerens samtykke"))
    for folder in (orphan, living):
        os.utime(folder, (old, old))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf("papir"))
    result = run(tmp_path / "arkiv", "add", str(scan), *scan_args())
    assert result.stdout.splitlines()[1] == "  PDF/A-2b: lavet med Ghostscript"
    assert set(work.iterdir()) == {young, living}  # the add's own folder is gone too


def test_the_pdfa_claim_is_read_as_pikepdf_reads_it():
    """The rendition's check reads the XMP packet with expat, not lxml: the same claim as
    pikepdf's ``pdfa_status`` for attributes, elements, other prefixes, a second
    description, half a claim, another namespace and XML that is not XMP; nothing from a
    packet that is not well-formed or declares a document type."""
    import pikepdf

    from toolkit.consent.rendition import pdfa_claim

    def pikepdf_claim(xmp: bytes) -> str:
        pdf = pikepdf.new()
        pdf.Root.Metadata = pdf.make_stream(xmp)
        out = io.BytesIO()
        pdf.save(out)
        with pikepdf.open(io.BytesIO(out.getvalue())) as again:
            return again.open_metadata().pdfa_status

    rdf = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
           '1999/02/22-rdf-syntax-ns#">{}</rdf:RDF></x:xmpmeta>')
    about = ('<rdf:Description rdf:about="" xmlns:{}="{}" {}>{}</rdf:Description>')
    pdfa = ("pdfaid", "http://www.aiim.org/pdfa/ns/id/")
    packets = [
        about.format(*pdfa, 'pdfaid:part="2" pdfaid:conformance="B"', ""),
        about.format(*pdfa, "", "<pdfaid:part>2</pdfaid:part>"
                                "<pdfaid:conformance>B</pdfaid:conformance>"),
        about.format("p", pdfa[1], "p:part='2' p:conformance='B'", ""),
        about.format(*pdfa, 'pdfaid:part="1" pdfaid:conformance="B"', ""),
        about.format(*pdfa, 'pdfaid:part="2"', ""),
        about.format(*pdfa, "", "<pdfaid:part> 2 </pdfaid:part>"
                                "<pdfaid:conformance>B</pdfaid:conformance>"),
        about.format(*pdfa, 'pdfaid:part="2" pdfaid:conformance="B"', "")
        + about.format(*pdfa, 'pdfaid:part="3" pdfaid:conformance="A"', ""),
        about.format("pdfaid", "http://example.com/", 'pdfaid:part="2" '
                                                      'pdfaid:conformance="B"', ""),
    ]
    claims = [pdfa_claim(rdf.format(p).encode()) for p in packets]
    assert claims == [pikepdf_claim(rdf.format(p).encode()) for p in packets]
    assert claims == ["2B", "2B", "2B", "1B", "", " 2 B", "2B", ""]
    for odd in (b"", b"ikke xml", b"<a><b></a>",
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "2B">]><x>&a;</x>',
                rdf.format(about.format(*pdfa, 'pdfaid:part="2" pdfaid:conformance="B"',
                                        "")).encode()[:-5]):
        assert pdfa_claim(odd) == ""


def _glyph_name_pdf() -> bytes:
    """A PDF whose text is known only by glyph names: a standard font re-encoded with
    ``/Differences`` (å, ø, æ, €, Cyrillic А) and a Type 3 font, neither with a ToUnicode map."""
    import pikepdf

    pdf = pikepdf.new()
    name = pikepdf.Name
    helvetica = pikepdf.Dictionary(
        Type=name.Font, Subtype=name.Type1, BaseFont=name.Helvetica,
        Encoding=pikepdf.Dictionary(Type=name.Encoding, BaseEncoding=name.StandardEncoding,
                                    Differences=[65, name.aring, name.oslash, name.ae,
                                                 name.Euro, name.afii10017]))
    box = pdf.make_stream(b"500 0 0 0 500 700 d1 0 0 500 700 re f")
    type3 = pikepdf.Dictionary(
        Type=name.Font, Subtype=name.Type3, FontBBox=[0, 0, 500, 700],
        FontMatrix=[0.001, 0, 0, 0.001, 0, 0], CharProcs=pikepdf.Dictionary(aring=box,
                                                                           oslash=box),
        Encoding=pikepdf.Dictionary(Type=name.Encoding, Differences=[65, name.aring,
                                                                     name.oslash]),
        FirstChar=65, LastChar=66, Widths=[500, 500], Resources=pikepdf.Dictionary())
    content = pdf.make_stream(b"BT /F1 24 Tf 72 700 Td (ABCDE og mere) Tj ET "
                              b"BT /F2 24 Tf 72 600 Td (ABBA) Tj ET")
    pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
        Type=name.Page, MediaBox=[0, 0, 612, 792], Contents=content,
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica, F2=type3)))))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_pdfa_rendition_keeps_the_text_of_fonts_known_by_glyph_names(tmp_path):
    """The PDF/A copy reads as the original (pdftotext) where the text is known only by
    glyph names: Ghostscript 10's switch that skips its PostScript glyph-name table
    (``-dWantsToUnicode=false``) must not cost the copy its text."""
    _need("gs", "ghostscript")
    pdftotext = _need("pdftotext", "poppler-utils")
    from toolkit.consent.rendition import render

    original = tmp_path / "navne.pdf"
    original.write_bytes(_glyph_name_pdf())
    copy = render(original.read_bytes(), "pdf")
    assert copy.data is not None, copy.note
    assert pdfa_status(copy.data) == "2B"
    (tmp_path / "kopi.pdf").write_bytes(copy.data)
    texts = [subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True,
                            check=True).stdout for path in (original, tmp_path / "kopi.pdf")]
    assert "åøæ€А og mere" in texts[0] and "åøøå" in texts[0]
    assert texts[1] == texts[0]


def test_docx_rendition_with_libreoffice(tmp_path, form_files):
    _need("soffice")
    arkiv = tmp_path / "arkiv"
    result = run(arkiv, "add", str(form_files["docx"]))
    assert result.stdout.splitlines()[1] == "  PDF/A-2b: lavet med LibreOffice", result.output
    with Archive(arkiv) as arch:
        pdfa = arch.rendition(1)
    assert pdfa is not None and pdfa_status(pdfa) == "2B"

"""Issue 13: hostile files and faults. No full CPR number outside the data itself; one bad
file never costs the others; bounded time and memory; clear words on faults."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit import danish, fill
from toolkit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
#: The one CPR number planted everywhere, and a pattern that finds it in any of its forms
#: (the bytes of an en dash are three, hence up to three characters between the halves).
PLANTED = re.compile(rb"010190\D{0,3}1234")
FORMS = ["010190-1234", "cpr010190-1234", "0101901234", "010190 1234", "010190\u20131234"]


def sample(form_id: str) -> dict:
    return json.loads((SAMPLES / f"{form_id}.json").read_text(encoding="utf-8"))


def invoke(*args: object, env: dict | None = None):
    """The command line in-process, stdout and stderr apart."""
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def leaks(data: bytes) -> list[bytes]:
    """Every planted CPR number in ``data`` (a zip package's members are read too)."""
    found = PLANTED.findall(data)
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as pkg:
            for name in pkg.namelist():
                found += PLANTED.findall(name.encode()) + PLANTED.findall(pkg.read(name))
    return found


# ---------------------------------------------------------------------------------------
# Point 4: one masking function, every form
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, masked", [
    ("010190-1234_plan.docx", "010190-xxxx_plan.docx"),
    ("cpr010190-1234", "cpr010190-xxxx"),
    ("0101901234", "010190-xxxx"),
    ("010190 1234", "010190-xxxx"),
    ("010190\u20131234", "010190-xxxx"),
    ("010190 \u2013 1234", "010190-xxxx"),
    ("borger_010190_1234.pdf", "borger_010190-xxxx.pdf"),
    ("a/010190.1234/b", "a/010190-xxxx/b"),
    ("CPR 010190-1234 og 0101901234", "CPR 010190-xxxx og 010190-xxxx"),
    ("320190-1234", "320190-xxxx"),  # a mistyped CPR number with its dash is still one
    ("290200 1234", "290200-xxxx"),  # 29 February
    ("sag 2024001234", "sag 2024001234"),  # a case number, not a day and month
    ("3201901234", "3201901234"),
    ("01019012345", "01019012345"),  # eleven digits: not a CPR number
    ("tlf. 12 34 56 78", "tlf. 12 34 56 78"),
    ("", ""),
])
def test_mask_cpr_table(text, masked):
    assert danish.mask_cpr(text) == masked
    assert danish.contains_cpr(text) == (masked != text)
    assert danish.mask_cpr(text, "_") == re.sub(r"\d{6}-xxxx", "_", masked)


@pytest.fixture(scope="module")
def returned(tmp_path_factory) -> Path:
    """A folder whose file and folder names carry the CPR number in every form."""
    root = tmp_path_factory.mktemp("cpr") / "returnerede"
    good = fill("samarbejdsmodel", sample("samarbejdsmodel"), "docx")
    pdf = fill("strategi", sample("strategi"), "pdf")
    for i, form in enumerate(FORMS):
        (root / f"mappe {form}").mkdir(parents=True)
        (root / f"mappe {form}" / f"{form}_plan.docx").write_bytes(good if i == 0 else b"")
        (root / f"{form}.pdf").write_bytes(pdf if i == 0 else pdf[:200])
    (root / f"kopi {FORMS[2]}.docx").write_bytes(good)  # a duplicate: its message names both
    return root


def test_no_cpr_in_any_output(returned, tmp_path, monkeypatch):
    """Every output skema writes for the folder: files, stdout and stderr, no CPR number."""
    out = tmp_path / "ud"
    out.mkdir()
    results, written = [], []
    results.append(invoke("collect", returned, "-o", out / "samlet.xlsx"))
    written.append(out / "samlet.xlsx")
    files = sorted(returned.rglob("*.*"))
    results.append(invoke("extract", *files, "-o", out / "svar.json"))
    written.append(out / "svar.json")
    results.append(invoke("extract", *files, "-o", out / "svar.xlsx"))
    written.append(out / "svar.xlsx")
    for path in files:
        results.append(invoke("extract", path))
    data = out / f"{FORMS[0]}.json"
    data.write_text(json.dumps(sample("samarbejdsmodel")), encoding="utf-8")
    for form in FORMS:
        results.append(invoke("fill", "samarbejdsmodel", data, "-o", out / f"{form}.docx"))
        results.append(invoke("fill", "samarbejdsmodel", data, "-o", out / f"{form}.txt"))
        results.append(invoke("extract", "--nope", out / f"{form}.docx"))
        results.append(invoke("extract", out / f"findes ikke {form}.docx"))
        results.append(invoke("validate", "samarbejdsmodel", out / f"{form}.json"))

    def boom(name, **_kw):
        raise RuntimeError(f"uventet i {name}")

    monkeypatch.setattr("toolkit.extract", boom)
    results.append(invoke("--debug", "extract", files[0]))
    assert "Traceback" in results[-1].stderr and "RuntimeError: uventet i" in results[-1].stderr
    for result in results:
        assert not leaks(result.stdout.encode()), result.stdout
        assert not leaks(result.stderr.encode()), result.stderr
    for path in written:
        assert not leaks(path.read_bytes()), path
    # the names are still recognisable, masked
    collected = results[0]
    assert "mappe 010190-xxxx/010190-xxxx_plan.docx: ulæselig: filen er tom (0 byte)" \
        in collected.stderr
    assert ("mappe 010190-xxxx/010190-xxxx_plan.docx: ok: samme indhold som kopi "
            "010190-xxxx.docx; tælles kun én gang") in collected.stderr
    assert "mappe 010190-xxxx/010190-xxxx_plan.docx: ulæselig: filen er tom (0 byte)" \
        in collected.stderr


def test_batch_names_and_manifest_never_hold_a_cpr_number(tmp_path):
    from toolkit import load_form
    from toolkit.render.xlsx import input_workbook

    form = load_form("indsatsskema")
    rows = []
    for i, cpr in enumerate(FORMS):
        data = copy.deepcopy(sample("indsatsskema"))
        data["borger"]["navn"] = f"Borger {cpr}"
        data["borger"]["cpr"] = f"{i + 1:02d}0190-1234"
        rows.append(data)
    book = tmp_path / "ind.xlsx"
    book.write_bytes(input_workbook(form, rows))
    out = tmp_path / "ud"
    result = invoke("batch", "indsatsskema", book, "-o", out, "--name", "{borger.navn}")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["Borger _.docx", "Borger cpr_.docx", "Borger _-2.docx",
                            "Borger _-3.docx", "Borger _-4.docx", "manifest.csv"])
    assert not leaks((out / "manifest.csv").read_bytes())
    assert not leaks(result.stdout.encode() + result.stderr.encode())
    for form_text in FORMS:
        refused = invoke("batch", "indsatsskema", book, "-o", tmp_path / "x",
                         "--name", f"{form_text}_{{row}}")
        assert refused.exit_code == 2, refused.output
        prefix = "cpr" if form_text.startswith("cpr") else ""
        assert (f"Navnemønstret \"{prefix}010190-xxxx_{{row}}\" indeholder et CPR-nummer; "
                "CPR-numre må ikke stå i filnavne.") in refused.stderr
        assert not leaks(refused.stderr.encode())
        assert not (tmp_path / "x").exists()

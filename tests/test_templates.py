"""The committed Word templates are what the schemas generate, and are proper forms."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from toolkit.catalogue import form_ids, load_form
from toolkit.render.docx import build_template, check_template, template_path
from toolkit.render.ooxml import w


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.mark.parametrize("form_id", form_ids())
def test_committed_template_is_up_to_date(form_id):
    form = load_form(form_id)
    path = template_path(form)
    assert path.is_file(), f"{path} mangler: kør 'skema templates build'"
    fresh, committed = _parts(build_template(form)), _parts(path.read_bytes())
    assert sorted(fresh) == sorted(committed)
    stale = [n for n in fresh if fresh[n] != committed[n]]
    assert not stale, f"{path} er forældet ({stale}): kør 'skema templates build'"


@pytest.mark.parametrize("form_id", form_ids())
def test_template_has_every_field_and_is_a4_with_page_numbers(form_id):
    form = load_form(form_id)
    data = template_path(form).read_bytes()
    assert check_template(form, data) == []
    parts = _parts(data)
    doc = etree.fromstring(parts["word/document.xml"])
    size = doc.find(f".//{w('pgSz')}")
    assert (size.get(w("w")), size.get(w("h"))) == ("11906", "16838")  # A4 in twips
    footers = b"".join(v for k, v in parts.items() if k.startswith("word/footer"))
    assert b"PAGE" in footers and b"NUMPAGES" in footers
    assert form.title.split("{")[0].strip()[:20].encode() in parts["word/document.xml"] or \
        b"Handleplan for" in parts["word/document.xml"]

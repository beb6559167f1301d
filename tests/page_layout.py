"""Reading a rendered PDF's pages and checking their layout against the form's x-layout.

Used by tests/test_page_layout.py on every form, blank and filled, in Word (through
LibreOffice) and in skema's own PDF. The pages are read with ``pdftotext -bbox-layout``:
every word with its page and box. The body is what lies between the top and bottom
margins (2 cm, as both renderers lay out); the header and footer are left out.

The checks, each a list of Danish-free problem strings (empty when the layout is right):

* :func:`heading_problems` – a heading is on the page of what follows it (so never the
  last line of a page), and no page ends with a heading;
* :func:`yes_no_problems` – a yes/no row stays on the page of the row after it;
* :func:`row_problems` – a table row's cells are on one page (the filled values, a
  multi-select's options);
* :func:`signature_problems` – a signature block has other content above it on its page;
* :func:`empty_page_problems` – no page is more than half empty unless the next page
  starts a new part (a top-level heading, or what follows a page break).
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from toolkit.catalogue import Form
from toolkit.doc_labels import document_label
from toolkit.paths import get_value

CM = 28.3465
MARGIN = 2 * CM
_NS = "{http://www.w3.org/1999/xhtml}"
_REF = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Word:
    """One word of a page: its text and box (points, y down from the page's top)."""

    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Pages:
    """The body words of a document in reading order, each page's height, and the pages
    of each form field's widgets (skema's fillable PDF: its answers are not page text)."""

    words: list[Word]
    heights: list[float]
    fields: dict[str, set[int]]

    @property
    def count(self) -> int:
        return len(self.heights)

    def on(self, page: int) -> list[Word]:
        return [w for w in self.words if w.page == page]

    def find(self, text: str, start: int = 0, first: int | None = None) -> int | None:
        """Index of the first word of ``text`` (its first ``first`` words) at or after
        ``start``; None when it is not there."""
        seq = tokens(text)[:first] if first else tokens(text)
        if not seq:
            return None
        texts = [w.text for w in self.words]
        for i in range(start, len(texts) - len(seq) + 1):
            if texts[i:i + len(seq)] == seq:
                return i
        return None


def tokens(text: str) -> list[str]:
    """Words as pdftotext gives them (NFC, split at white space)."""
    return unicodedata.normalize("NFC", text).split()


def read_pages(pdf: Path, pdftotext: str) -> Pages:
    """The body words of every page of ``pdf`` (``pdftotext``: the program's path)."""
    xml = subprocess.run([pdftotext, "-bbox-layout", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    root = ElementTree.fromstring(xml)
    words: list[Word] = []
    heights: list[float] = []
    for number, page in enumerate(root.iter(f"{_NS}page"), start=1):
        height = float(page.get("height", "841.89"))
        heights.append(height)
        for word in page.iter(f"{_NS}word"):
            y0, y1 = float(word.get("yMin")), float(word.get("yMax"))
            if y0 < MARGIN - 6 or y1 > height - MARGIN + 6:
                continue  # header or footer
            for text in tokens(word.text or ""):  # a drawn answer may come as one "word"
                words.append(Word(number, text, float(word.get("xMin")), y0,
                                  float(word.get("xMax")), y1))
    return Pages(words, heights, widget_pages(pdf))


def widget_pages(pdf: Path) -> dict[str, set[int]]:
    """Full field name (``kontakter.2.instans``) -> the pages of its widgets."""
    from pypdf import PdfReader

    out: dict[str, set[int]] = {}
    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        for annot in page.get("/Annots") or []:
            node, names = annot.get_object(), []
            while node is not None:
                if "/T" in node:
                    names.append(str(node["/T"]))
                parent = node.get("/Parent")
                node = parent.get_object() if parent is not None else None
            if names:
                out.setdefault(".".join(reversed(names)), set()).add(number)
    return out


# ---------------------------------------------------------------------------------------
# What the layout says a page shows
# ---------------------------------------------------------------------------------------
def plain(text: str) -> str:
    """Layout text as shown, up to its first data reference (``*italic*`` marks gone; a
    word glued to the reference, such as an opening bracket, dropped with it)."""
    parts = _REF.split(text.replace("*", ""))
    head = parts[0]
    if len(parts) > 1 and head and not head[-1].isspace():
        head = head.rsplit(" ", 1)[0] if " " in head else ""
    return head.strip()


def items(form: Form, data: dict, block: dict, blank: bool) -> int:
    """How many items a list block shows."""
    lst, _flds = form.block_fields(block)
    value = get_value(data, lst.path)
    count = len(value) if isinstance(value, list) else 0
    return max(count, lst.blank_rows) if blank else count


def anchor(form: Form, data: dict, block: dict, blank: bool) -> str | None:
    """The first words a block shows, when they are known from the layout."""
    if "heading" in block:
        return plain(block["heading"]) or None
    if "text" in block and "profile_text" not in block:
        return plain(block["text"]) or None
    if "bullets" in block:
        return plain(block["bullets"][0]) or None
    if "fields" in block:
        flds = [f for p in block["fields"] for f in form.expand(p)]
        return document_label(form, flds[0].path) if flds else None
    if "rows" in block:
        lst, flds = form.block_fields(block)
        if block.get("title"):
            return block["title"]
        return lst.label if lst.scalar else flds[0].schema.get("title", flds[0].key)
    if "blocks" in block:
        lst, _flds = form.block_fields(block)
        return f"{lst.item_title} 1" if items(form, data, block, blank) else None
    if "static_table" in block:
        return block["static_table"][0][0] or None
    if "signature" in block:
        return block["signature"][0]
    if "month_overview" in block:
        from toolkit.derived import month_overview

        months, _rows = month_overview(form, block, data)
        return block.get("column") if months else plain(block.get("note", "")) or None
    return None


def _label_words(text: str) -> int:
    """How many of a label's words to look for: a label wraps in its narrow column, and
    pdftotext may read the answer column in between its lines."""
    return min(len(tokens(text)), 8)


def _headings(form: Form, pages: Pages) -> list[tuple[int, dict, int]]:
    """(layout index, block, word index) of each heading found, in order."""
    out, cursor = [], 0
    for i, block in enumerate(form.layout):
        if "heading" not in block or not plain(block["heading"]):
            continue
        pos = pages.find(plain(block["heading"]), cursor)
        if pos is not None:
            out.append((i, block, pos))
            cursor = pos
    return out


# ---------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------
def heading_problems(form: Form, data: dict, pages: Pages, blank: bool) -> list[str]:
    """A heading on another page than the first words of the block after it; a page
    whose last line is a heading."""
    problems = []
    found = _headings(form, pages)
    seen = {i for i, _b, _p in found}
    for i, block in enumerate(form.layout):
        if "heading" in block and plain(block["heading"]) and i not in seen:
            problems.append(f"overskriften {block['heading']!r} findes ikke")
    for i, block, pos in found:
        if i + 1 >= len(form.layout):
            continue
        nxt = anchor(form, data, form.layout[i + 1], blank)
        if nxt is None:
            continue
        at = pages.find(nxt, pos + len(tokens(plain(block["heading"]))), _label_words(nxt))
        if at is None:
            if "minor" in form.layout[i + 1]:
                continue
            problems.append(f"{nxt!r} efter overskriften {block['heading']!r} findes ikke")
        elif pages.words[at].page != pages.words[pos].page:
            problems.append(f"overskriften {block['heading']!r} står nederst på side "
                            f"{pages.words[pos].page}, {nxt!r} på side "
                            f"{pages.words[at].page}")
    headings = {" ".join(tokens(plain(b["heading"]))) for i, b in enumerate(form.layout)
                if "heading" in b and plain(b["heading"]) and not (
                    i + 1 < len(form.layout) and "image" in form.layout[i + 1])}
    for page in range(1, pages.count):
        lines = _lines(pages.on(page))
        if lines and lines[-1] in headings:
            problems.append(f"side {page} slutter med overskriften {lines[-1]!r}")
    return problems


def _lines(words: list[Word]) -> list[str]:
    """A page's words as lines (same baseline), top down."""
    rows: dict[float, list[Word]] = {}
    for w in words:
        key = next((k for k in rows if abs(k - w.y1) < 2.0), w.y1)
        rows.setdefault(key, []).append(w)
    return [" ".join(w.text for w in sorted(rows[k], key=lambda w: w.x0))
            for k in sorted(rows)]


def _section_starts(form: Form, pages: Pages) -> dict[int, int]:
    """Layout index -> word index of the heading above it (0 before the first)."""
    found = _headings(form, pages)
    out, pos = {}, 0
    marks = {i: p for i, _b, p in found}
    for i in range(len(form.layout)):
        pos = marks.get(i, pos)
        out[i] = pos
    return out


def yes_no_problems(form: Form, data: dict, pages: Pages, blank: bool) -> list[str]:
    """A yes/no row (a checkbox field) on another page than the row after it."""
    problems = []
    starts = _section_starts(form, pages)
    for i, block in enumerate(form.layout):
        if "fields" not in block:
            continue
        flds = [f for p in block["fields"] for f in form.expand(p)]
        for fld, nxt in zip(flds, flds[1:]):
            if fld.kind != "checkbox":
                continue
            a_text = document_label(form, fld.path)
            b_text = document_label(form, nxt.path)
            a = pages.find(a_text, starts[i], _label_words(a_text))
            b = pages.find(b_text, a or starts[i], _label_words(b_text))
            if a is None or b is None:
                problems.append(f"{a_text!r} eller {b_text!r} findes ikke")
            elif pages.words[a].page != pages.words[b].page:
                problems.append(f"ja/nej-rækken {a_text!r} står på side "
                                f"{pages.words[a].page}, {b_text!r} på side "
                                f"{pages.words[b].page}")
    return problems


def _shown(fld: Any, value: Any) -> str | None:
    """The text of a value both renderers show alike (no dates: their formats differ)."""
    if fld.kind in ("text", "long") and isinstance(value, str) and value.strip():
        return value
    if fld.kind == "dropdown" and value not in (None, ""):
        return fld.choice_title(value)
    return None


def _on_one_page(pages: Pages, parts: list[str], start: int) -> tuple[set[int], int]:
    """The pages of the first and last words of each text in ``parts``: the first found
    from ``start``, each other where it stands nearest to the first (pdftotext may read
    a table's right column before its left), and the word index after the first."""
    seen: set[int] = set()
    first = None
    for text in parts:
        words = tokens(text)
        head = " ".join(words[:8])
        at = pages.find(head, start)
        if first is not None:
            found = []
            while at is not None:
                found.append(at)
                at = pages.find(head, at + 1)
            at = min(found, key=lambda i: abs(i - first), default=None)
        if at is None:
            continue
        first = at if first is None else first
        seen.add(pages.words[at].page)
        end = pages.find(" ".join(words[-3:]), at) if len(words) > 8 else at
        if end is not None:
            seen.add(pages.words[end].page)
    return seen, (first + 1 if first is not None else start)


def _widgets(pages: Pages, path: str) -> set[int]:
    """The pages of the widgets of the field at ``path`` (a multi-select's options too)."""
    return {p for name, found in pages.fields.items()
            if name == path or name.startswith(path + ":") for p in found}


def row_problems(form: Form, data: dict, pages: Pages, blank: bool) -> list[str]:
    """A table row whose cells are not all on one page: a single field's label and its
    value or widgets (a multi-select's options); each list row's values or widgets."""
    problems = []
    starts = _section_starts(form, pages)
    for i, block in enumerate(form.layout):
        if "fields" in block:
            for fld in (f for p in block["fields"] for f in form.expand(p)):
                label = document_label(form, fld.path)
                parts = [" ".join(tokens(label)[:_label_words(label)])]
                if fld.kind == "multi":
                    parts += [fld.choices[0][1], fld.choices[-1][1]]
                elif not pages.fields:
                    shown = None if blank else _shown(fld, get_value(data, fld.path))
                    if shown is None:
                        continue
                    parts.append(shown)
                seen, _pos = _on_one_page(pages, parts, starts[i])
                seen |= _widgets(pages, fld.path)
                if len(seen) > 1:
                    problems.append(f"rækken {label!r} er delt over siderne "
                                    f"{sorted(seen)}")
        elif "rows" in block and (pages.fields or not blank):
            lst, flds = form.block_fields(block)
            pos = starts[i]
            for n in range(items(form, data, block, blank)):
                parts = []
                seen = set()
                for fld in flds:
                    path = fld.path.replace("*", str(n), 1)
                    seen |= _widgets(pages, path)
                    shown = _shown(fld, get_value(data, path))
                    if shown is not None and not pages.fields:
                        parts.append(shown)
                found, pos = _on_one_page(pages, parts, pos)
                seen |= found
                if len(seen) > 1:
                    problems.append(f"række {n + 1} i {lst.path!r} er delt over siderne "
                                    f"{sorted(seen)}")
    return problems


def signature_problems(form: Form, data: dict, pages: Pages, blank: bool) -> list[str]:
    """A signature block alone on its page (nothing above its lines)."""
    problems = []
    starts = _section_starts(form, pages)
    signing = {t for b in form.layout for text in b.get("signature", ()) for t in tokens(text)}
    for i, block in enumerate(form.layout):
        if "signature" not in block:
            continue
        label = block["signature"][0]
        mine = {t for text in block["signature"] for t in tokens(text)}
        at = pages.find(label, starts[i], _label_words(label))
        while at is not None and not _signature_line(pages, at, mine):
            at = pages.find(label, at + 1, _label_words(label))
        if at is None:
            if "minor" not in block:
                problems.append(f"underskriften {label!r} findes ikke")
            continue
        word = pages.words[at]
        above = [w for w in pages.on(word.page)
                 if w.y1 < word.y0 - 1.2 * CM and w.text not in signing]
        if not above:
            problems.append(f"underskriften {label!r} står alene øverst på side "
                            f"{word.page}")
    return problems


def _signature_line(pages: Pages, at: int, mine: set[str]) -> bool:
    """Whether the word at ``at`` stands on a line of this signature block's labels only."""
    word = pages.words[at]
    line = [w for w in pages.on(word.page) if abs(w.y1 - word.y1) < 2.0]
    return all(w.text in mine for w in line)


def empty_page_problems(form: Form, data: dict, pages: Pages, blank: bool) -> list[str]:
    """A page (not the last) more than half empty when the next does not start a part."""
    starts = []
    for i, block in enumerate(form.layout):
        if "heading" in block and int(block.get("level", 1)) <= 1:
            starts.append(plain(block["heading"]))
        if i and "page_break" in form.layout[i - 1]:
            first = anchor(form, data, block, blank)
            if first:
                starts.append(first)
    problems = []
    for page in range(1, pages.count):
        words = pages.on(page)
        height = pages.heights[page - 1]
        bottom = max((w.y1 for w in words), default=MARGIN)
        used = (bottom - MARGIN) / (height - 2 * MARGIN)
        if used >= 0.5:
            continue
        following = _lines(pages.on(page + 1))
        top = following[0] if following else ""
        if not any(s and top.startswith(" ".join(tokens(s))[:40]) for s in starts):
            problems.append(f"side {page} er kun {used:.0%} fyldt, og side {page + 1} "
                            f"begynder ikke en ny del ({top[:50]!r})")
    return problems


CHECKS = (heading_problems, yes_no_problems, row_problems, signature_problems,
          empty_page_problems)


def layout_problems(form: Form, data: dict, pages: Pages, blank: bool) -> list[str]:
    """Every check's problems for one document."""
    return [p for check in CHECKS for p in check(form, data, pages, blank)]

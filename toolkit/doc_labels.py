"""The label a field shows beside its answer in a document (Word, PDF).

A field's label (``Borger – navn``) names it everywhere: the Excel column, the content
control's alias, messages. In a document the heading above a table already says
``Borger``, so the table's label column shows ``Navn``: the part of the label after the
heading's text. A shortened label that another field of the form shows too keeps its full
label (a reader finds an answer by its label when a program dropped the controls).
"""

from __future__ import annotations

from functools import cache

from .catalogue import Form

#: What separates a group's title from a field's own title in a composed label.
SEPARATOR = " – "


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


@cache
def document_labels(form: Form) -> dict[str, str]:
    """Path → label shown in the documents' label column, for each single (non-list) field.

    A field of a ``fields`` block whose label starts with the text of the heading above
    the block (only text between them) followed by `` – `` shows the rest of its label.
    """
    out = {path: fld.label for path, fld in form.fields.items() if fld.list_path is None}
    heading = ""
    short: dict[str, str] = {}
    for block in form.layout:
        if "heading" in block:
            heading = block["heading"]
            continue
        if "fields" in block and "blocks" not in block:
            prefix = heading + SEPARATOR
            for fld in [f for p in block["fields"] for f in form.expand(p)]:
                if heading and fld.label.startswith(prefix) and len(fld.label) > len(prefix):
                    short[fld.path] = _upper_first(fld.label[len(prefix):])
        if not ("text" in block or "bullets" in block):
            heading = ""  # a table or drawing in between: the heading is not "above" any more
    shown = {**out, **short}
    counts: dict[str, int] = {}
    for label in shown.values():
        counts[label] = counts.get(label, 0) + 1
    for path, label in short.items():
        if counts[label] == 1:
            out[path] = label
    return out


def document_label(form: Form, path: str) -> str:
    """The label the documents show beside the answer of the single field at ``path``."""
    return document_labels(form).get(path) or form.fields[path].label

"""The title a document carries in its metadata (PDF ``/Title`` and XMP, Word's core
properties).

A form's title may name the municipality by a placeholder (``Handleplan for [kommune]``);
the document's title is the form's running title with its ``{path}`` references filled
(the data's municipality, else the profile's name). A reference still showing a
placeholder (``[xx] Kommune``, ``[…]``: nothing known) is dropped with the word that
introduces it, so a neutral document is titled ``Handleplan``, never ``[kommune]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape

from ..catalogue import Form

_REF = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
#: A bracketed placeholder, with the preposition before it and a following "Kommune".
_PLACEHOLDER = re.compile(r"(?:\s+(?:for|i|til|fra))?\s*\[[^\]]*\](?:\s+[Kk]ommune)?")
_CORE_TITLE = re.compile(r"<dc:title>[^<]*</dc:title>|<dc:title/>")


def document_title(form: Form, refs: Mapping[str, str]) -> str:
    """The document's title: the running title with ``refs`` filled in, placeholders
    dropped (see the module's description)."""
    running = form.schema.get("x-running-title", form.title)
    text = _REF.sub(lambda m: refs.get(m.group(1), "[…]"), running)
    text = " ".join(_PLACEHOLDER.sub("", text).split())
    return text or " ".join(_PLACEHOLDER.sub("", form.title).split()) or form.id


def core_with_title(core_xml: str, title: str) -> str:
    """Word's ``docProps/core.xml`` with ``dc:title`` set to ``title``."""
    element = f"<dc:title>{escape(title)}</dc:title>"
    if _CORE_TITLE.search(core_xml):
        return _CORE_TITLE.sub(lambda _m: element, core_xml, count=1)
    return core_xml.replace("</cp:coreProperties>", element + "</cp:coreProperties>", 1)

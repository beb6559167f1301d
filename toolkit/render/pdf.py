"""PDF: the public names of the PDF renderer, one import away.

The work is split by job (each module's name says which):

* :mod:`.pdf_layout` — the layout walk from ``x-layout`` to pages, page furniture,
  :func:`render_pdf` (blank, pre-filled or flattened);
* :mod:`.pdf_flowables` — page geometry, fonts, styles and the reportlab flowables;
* :mod:`.pdf_acro` — the field font, the AcroForm widgets and their appearance streams,
  written as PDF syntax per document;
* :mod:`.pdf_template` — what is static about a laid-out form (pages, fonts, metadata),
  finished once with pikepdf and reused by the documents laid out the same way.
"""

from __future__ import annotations

from .pdf_flowables import CONTENT_W, MARGIN, PAGE_H, PAGE_W, static_para
from .pdf_layout import render_pdf

__all__ = ["CONTENT_W", "MARGIN", "PAGE_H", "PAGE_W", "render_pdf", "static_para"]

"""Word: the public names of the Word renderer, one import away.

The work is split by job (each module's name says which):

* :mod:`.word_build` — build a form's template from its schema;
* :mod:`.word_check` — check a custom template against the schema;
* :mod:`.word_compiled` — the compiled fill (:func:`render`, :func:`compiled_template`);
* :mod:`.word_fill` — the docxtpl fill and the display tree both fill paths share.
"""

from __future__ import annotations

from ..paths import get_value
from .word_build import build_template, control_xml, template_path
from .word_check import check_template, template_tags
from .word_compiled import CompiledTemplate, compiled_template, render
from .word_fill import blank_data, finalize_controls, lean_markup, reference_texts

__all__ = [
    "CompiledTemplate",
    "blank_data",
    "build_template",
    "check_template",
    "compiled_template",
    "control_xml",
    "finalize_controls",
    "get_value",
    "lean_markup",
    "reference_texts",
    "render",
    "template_path",
    "template_tags",
]

"""Word: check a (municipality's own) template against a form's schema.
"""

from __future__ import annotations

import re

from ..catalogue import Form, Slot
from .ooxml import (
    open_package,
    story_parts,
    w,
)

# ---------------------------------------------------------------------------------------
# Template check
# ---------------------------------------------------------------------------------------
JINJA = re.compile(r"\{\{.*?\}\}")


def template_tags(data: bytes) -> list[str]:
    """Shape ids (``aktiviteter.*.hvem``, ``x.y:option``) of every tagged control in a template."""

    tags = []
    with open_package(data) as pkg:
        for root in story_parts(pkg):
            for tag in root.iter(w("tag")):
                value = tag.get(w("val"), "")
                tags.append(JINJA.sub("*", value))
    return tags


def check_template(form: Form, data: bytes) -> list[str]:
    """What is wrong with a custom template: missing fields and fields the schema lacks."""
    found = template_tags(data)
    expected = {s.ident: s for s in form.slots()}
    problems = []
    for ident, slot in expected.items():
        if ident not in found:
            problems.append(f"mangler feltet {ident} (\"{_slot_label(slot)}\")")
    for ident in sorted(set(found) - set(expected)):
        problems.append(f"har feltet {ident}, som formularen \"{form.id}\" ikke kender")
    return problems


def _slot_label(slot: Slot) -> str:
    if slot.option is None:
        return slot.field.label
    return f"{slot.field.label}: {slot.field.choice_title(slot.option)}"



"""Data that is plainly for another form, refused before ``skema fill`` writes anything."""

from __future__ import annotations

from typing import Any

from .catalogue import Form, form_ids, load_form


def _fields(form: Form) -> set[str]:
    return set(form.schema.get("properties", {}))


def foreign_data(form: Form, data: Any) -> str | None:
    """The Danish reason when ``data`` is plainly for another form, else None.

    "Plainly" means: the data is a non-empty object and either none of its top-level keys
    is a field of ``form``, or another form has every one of its keys while ``form`` has at
    most half of them. Data with most of the form's fields and some problems is not
    foreign: it is filled and its problems are reported.
    """
    if not isinstance(data, dict) or not data:
        return None
    keys = set(data)
    known = len(keys & _fields(form))
    if known * 2 > len(keys):
        return None
    others = [(len(keys & _fields(load_form(i))), i) for i in form_ids() if i != form.id]
    count, best = max(others, default=(0, ""))
    if known and count < len(keys):
        return None
    unknown = sorted(keys - _fields(form))
    shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
    message = f"dataene hører ikke til formularen \"{form.id}\": " + (
        f"ingen af deres felter ({shown}) findes i den" if not known else
        f"kun {known} af deres {len(keys)} felter findes i den (ikke {shown})")
    if count:
        message += f"; de ligner formularen \"{best}\""
    return message + "."

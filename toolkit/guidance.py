"""The caseworker's guidance (``x-help``): text for the staff, never printed on a document.

A source often says things to the project's working group (which system to look in, what
the working group recommends, whom to notify) next to what the citizen should read. Such
text stays verbatim in the schema as ``x-help`` on the form, a group, a list or a field, and
is shown where the caseworker works — the Excel workbook's Vejledning, the web app — but
never in the Word or PDF document the citizen receives and signs.
"""

from __future__ import annotations

from .catalogue import Form


def staff_help(form: Form) -> list[tuple[str, str]]:
    """Every ``x-help`` of the form, in schema order, as (Danish label, text).

    The label is the form's title for the root, a field's or list's label, else a
    group's title.
    """
    out: list[tuple[str, str]] = []

    def walk(node: dict, path: str, parent: str) -> None:
        own = node.get("title") or path.rsplit(".", 1)[-1]
        if path in form.fields:
            label = form.fields[path].label
        elif path in form.lists:
            label = form.lists[path].label
        else:
            label = node.get("x-label") or (f"{parent} – {own}" if parent else own)
        if node.get("x-help"):
            out.append((label, node["x-help"]))
        items = node.get("items")
        inner = items if isinstance(items, dict) else node
        for key, sub in (inner.get("properties") or {}).items():
            walk(sub, f"{path}.*.{key}" if inner is not node else f"{path}.{key}", label)

    if form.schema.get("x-help"):
        out.append((form.title, form.schema["x-help"]))
    for key, sub in form.schema.get("properties", {}).items():
        walk(sub, key, "")
    return out

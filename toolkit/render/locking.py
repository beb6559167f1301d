"""A filled PDF that cannot be changed after signing: every field read-only but signatures.

A consent's scope must not be widened after the citizen signed it, so a filled consent is
locked by default: each form field gets the read-only flag except signature fields (which
stay open for the signature), and the renderer leaves out the spare list rows. A schema says
whether its filled form is locked by default with ``"x-locked": true``; ``editable`` (the
``--editable``/``--locked`` options) overrides it per document.
"""

from __future__ import annotations

from typing import Any

from ..catalogue import Form

#: The read-only bit of a field's /Ff flags (PDF 32000-1, table 221).
READ_ONLY = 1


def is_locked(form: Form, editable: bool | None) -> bool:
    """True when a filled document of the form is locked (``editable`` None: the schema's
    ``x-locked``, default False)."""
    if editable is not None:
        return not editable
    return bool(form.schema.get("x-locked", False))


def signing_paths(form: Form) -> tuple[str, ...]:
    """Field paths (and group paths) marked ``"x-signing": true``: filled in when the
    citizen signs (place, date), so they stay editable in a locked document."""
    out: list[str] = []

    def walk(node: dict, path: str) -> None:
        if node.get("x-signing") and path:
            out.append(path)
            return
        for key, sub in node.get("properties", {}).items():
            walk(sub, f"{path}.{key}" if path else key)

    walk(form.schema, "")
    return tuple(out)


def lock_fields(pdf: Any, keep: tuple[str, ...] = ()) -> None:
    """Make every form field of the open ``pikepdf.Pdf`` read-only, except signature
    fields (/FT /Sig) and the fields under the paths in ``keep``."""
    acro = pdf.Root.get("/AcroForm")
    if acro is None:
        return
    stack = [(f, "") for f in acro.get("/Fields", [])]
    while stack:
        node, parent = stack.pop()
        name = f"{parent}.{node.T}" if parent and "/T" in node else str(
            node.get("/T", parent))
        kids = node.get("/Kids")
        if kids is not None:
            stack.extend((k, name) for k in kids)
        if any(name == k or name.startswith(k + ".") or name.startswith(k + ":")
               for k in keep):
            continue
        ft = node.get("/FT")
        if ft is None and "/T" not in node:
            continue  # a pure widget: its parent carries the flags
        if ft == "/Sig":
            continue
        if ft is None and node.get("/Parent") is not None:
            continue
        node.Ff = int(node.get("/Ff", 0)) | READ_ONLY

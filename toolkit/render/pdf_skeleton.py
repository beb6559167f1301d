"""PDF: a template's fields and widgets written once, each document adding only its values.

Every document a template (:mod:`toolkit.render.pdf_template`) writes has the same widgets
in number, kind, name, page and place, so the objects :class:`AcroBuilder` makes for them
are the same but for what shows a value: a text box's or drop-down's appearance stream,
and a widget's ``/V``, ``/I`` (the chosen option) and ``/AS`` (a checkbox's state). A
:class:`Skeleton` keeps the written bytes of everything else (parent fields, the widgets'
other keys, checkbox and signature appearances, the ``/Fields`` and ``/Annots`` arrays)
from the first document and writes the next documents from them. The bytes are exactly
those :class:`AcroBuilder` writes: a document comes out the same either way.
"""

from __future__ import annotations

from .pdf_acro import CHECK, ON_STATE, AcroBuilder, PdfObject, Widget, text_string

#: The widget keys that depend on the document's value.
_VALUE_KEYS = ("AS", "V", "I")

#: What a skeleton part is: an object written once, a value's appearance, a widget.
_FIXED, _APPEARANCE, _WIDGET = 0, 1, 2


def signature(widgets: list[Widget]) -> tuple:
    """What a document's widgets share with every other document a skeleton fits."""
    return tuple((w.name, w.kind, w.page, w.rect, w.label, w.multiline, w.part,
                  w.size if w.kind == "combo" else 0, tuple(w.options)) for w in widgets)


def possible(widgets: list[Widget]) -> bool:
    """True when a skeleton can stand for these widgets: no answer continued on a later
    page, and each name once (each field has one widget)."""
    return (not any(w.part for w in widgets)
            and len({w.name for w in widgets}) == len(widgets))


class Skeleton:
    """The written objects of a template's widgets, and where each document's values go."""

    def __init__(self, builder: AcroBuilder, widgets: list[Widget]) -> None:
        """From a builder that added ``widgets`` (see :func:`possible`) and was locked."""
        self.signature = signature(widgets)
        self.next = builder.next
        self.checks = any(w.kind == "check" for w in widgets)
        self.top_fields = list(builder.top_fields)
        self.annots = {page: list(nums) for page, nums in builder.annots.items()}
        roles: dict[int, tuple[int, int]] = {}  # object index -> (widget index, role)
        for index, (start, end) in enumerate(builder.spans):
            kind = widgets[index].kind
            for at in range(start, end):
                obj = builder.objects[at]
                if obj.data is not None and kind in ("text", "combo"):
                    roles[at] = (index, _APPEARANCE)
                elif obj.data is None and obj.entries.get("Type") == "/Annot" \
                        and kind in ("text", "combo", "check"):
                    roles[at] = (index, _WIDGET)
        #: per object: (number, role, widget index, its written bytes, a widget's pieces)
        self.parts: list[tuple[int, int, int, bytes, tuple[str, str, str]]] = []
        none = ("", "", "")
        for at, obj in enumerate(builder.objects):
            index, role = roles.get(at, (-1, _FIXED))
            if role == _FIXED:
                self.parts.append((obj.num, role, index, obj.serialize(), none))
            elif role == _APPEARANCE:
                self.parts.append((obj.num, role, index, b"", none))
            else:
                self.parts.append((obj.num, role, index, b"", _pieces(obj)))

    def fits(self, widgets: list[Widget]) -> bool:
        """True when the document's widgets are those the skeleton was made from."""
        return signature(widgets) == self.signature

    def write(self, widgets: list[Widget], builder: AcroBuilder) -> list[tuple[int, bytes]]:
        """The document's field, widget and appearance objects (number, bytes), as
        ``builder`` would write them; ``builder`` (with no widgets added) gives the
        appearances and collects the glyphs they use."""
        if self.checks:  # a checkbox's "on" appearance draws ✓ whatever its state
            builder.font.encode(CHECK)
        out: list[tuple[int, bytes]] = []
        for num, role, index, written, (head, middle, tail) in self.parts:
            if role == _FIXED:
                out.append((num, written))
            elif role == _APPEARANCE:
                out.append((num, builder.text_stream(widgets[index], num)))
            else:
                out.append((num, _widget(widgets[index], head, middle, tail)))
        return out


def _pieces(obj: PdfObject) -> tuple[str, str, str]:
    """A widget's written dictionary around its value keys: up to ``/AP`` (``/AS``
    follows it), from there to ``/T`` (``/V`` and ``/I`` come before it), the rest."""
    assert obj.kids is None and obj.data is None
    entries = [(k, v) for k, v in obj.entries.items() if k not in _VALUE_KEYS]
    keys = [k for k, _ in entries]
    after_ap, at_t = keys.index("AP") + 1, keys.index("T")
    assert after_ap <= at_t

    def written(items: list[tuple[str, str]]) -> str:
        return "".join(f"/{key} {value} " for key, value in items)

    return (f"{obj.num} 0 obj\n<< " + written(entries[:after_ap]),
            written(entries[after_ap:at_t]),
            written(entries[at_t:]) + ">>\nendobj\n")


def _widget(widget: Widget, head: str, middle: str, tail: str) -> bytes:
    """A widget's object with the document's value (as :class:`AcroBuilder` keys it)."""
    if widget.kind == "check":
        state = f"/{ON_STATE}" if widget.on else "/Off"
        return f"{head}/AS {state} {middle}/V {state} {tail}".encode("latin-1")
    if not widget.value:
        return f"{head}{middle}{tail}".encode("latin-1")
    value = f"/V {text_string(widget.value)} "
    if widget.kind == "combo":
        value += f"/I [{[v for v, _ in widget.options].index(widget.value)}] "
    return f"{head}{middle}{value}{tail}".encode("latin-1")

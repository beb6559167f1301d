"""PDF: the form as an A4 fillable PDF (AcroForm), blank, pre-filled or flattened.

The pages are laid out with reportlab from ``form.layout`` (the same blocks the Word
template is built from); every answer becomes one AcroForm widget named by its concrete
field path (``aktiviteter.2.hvem``; a multi-select gives one checkbox per option,
``aktiviteter.2.maal:a``). Widgets and their appearance streams are added with pikepdf
afterwards (see :mod:`toolkit.render.pdf_acro`).

Values in the PDF:

* text fields hold the plain text (line feeds kept in multi-line boxes);
* date fields hold Danish text ``26-02-2019`` (the format shown beside the box,
  ``dd-mm-åååå``); ISO ``2019-02-26`` typed by someone else is read back too;
* month fields hold ``marts 2019`` (``03-2019`` and ``2019-03`` are read back too);
* drop-downs (enums, kommune) show the Danish title and export the enum value;
* checkboxes are on with the state ``/Yes``.

A long answer is never cut: the font shrinks to a minimum, then the box grows, and a box
taller than what is left of the page continues on the next page (a second widget of the
same field showing the rest). ``flatten=True`` draws the values as page content instead of
widgets; each answer is wrapped in a marked-content span carrying its field path and, as
``/ActualText``, its exact text, so a flattened copy can be read back
(:mod:`toolkit.readers.pdf`).
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from ..catalogue import Field, Form
from ..doc_labels import document_label
from ..errors import SchemaError
from ..layout_refs import minor_path, profile_text_path
from ..paths import get_value
from ..profile import Profile
from ..profile_defaults import with_profile_defaults
from .cache import Cache
from .doc_title import document_title
from .keep import fields_kept_whole, kept_with_drawing
from .letterhead import draw_pdf_furniture
from .locking import is_locked, signing_paths
from .pdf_acro import (
    CHECK,
    PAD,
    TOP_GAP,
    FieldFont,
    Widget,
    mark_begin,
)
from .pdf_flowables import (
    ANSWER_PAD,
    CELL_PAD,
    CM,
    CONTENT_W,
    FONT,
    LABEL_SHADE,
    MARGIN,
    MONTH_ON,
    PAGE_H,
    PAGE_W,
    PRODUCER,
    Answer,
    Cell,
    Check,
    NetworkCircle,
    Row,
    Signature,
    Table,
    check_on,
    kept_together_class,
    para_class,
    para_text,
    register_fonts,
    static_para,
    styles,
)
from .pdf_overview import Overview, Spot, Unplaceable, whole
from .pdf_template import Template, save, static_pdf
from .word_fill import blank_data

_REF = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
_ITALIC = re.compile(r"\*([^*]+)\*")


def render_pdf(form: Form, data: dict | None, blank: bool = False,
               flatten: bool = False, profile: Profile | None = None,
               editable: bool | None = None) -> bytes:
    """The form as PDF bytes: fillable (AcroForm) with the data's values, or flattened.

    ``blank=True`` ignores data and gives an empty form with each list's blank rows.
    ``flatten=True`` gives a non-editable copy: the values are page content, no widgets.
    ``profile``: the municipality's name, logo and address on every page (None: neutral).
    ``editable``: False makes every filled field read-only except signatures; None: the
    form's own default (``x-locked``). A filled form has no spare list rows (as in Word),
    unless ``editable`` is True: a partner then has empty rows to add to.

    A fillable document whose pages come out as an earlier one's (see :class:`Layouts`)
    reuses that one's template: only its answers are laid out and its widgets written.
    """
    if blank:
        data = blank_data(form)
    data = data if isinstance(data, dict) else {}
    if not blank:
        data = with_profile_defaults(form, data, profile)
    locked = not blank and not flatten and is_locked(form, editable)
    spare = blank or (editable is True and not flatten)
    renderer = Renderer(form, data, blank, flatten, profile, locked, spare=spare)
    title = document_title(form, renderer.refs)
    if flatten:
        return save(static_pdf(form, _draw(renderer, profile), title))
    keep = signing_paths(form) if locked else None
    shape = renderer.shape(profile)
    hit = LAYOUTS.replay(shape, renderer)
    if hit is not None:
        template, widgets = hit
        return template.write(widgets, renderer.font, keep, renderer.overlays(template))
    try:
        raw = _draw(renderer, profile)
    except Unplaceable:  # rare: an overview row splits across pages
        renderer = Renderer(form, data, blank, flatten, profile, locked, spare=spare,
                            overlay=False)
        raw = _draw(renderer, profile)
        template = Template(form, raw, {w.page for w in renderer.widgets}, title)
        return template.write(renderer.widgets, renderer.font, keep)
    template = Template(form, raw, {w.page for w in renderer.widgets}, title,
                        {s.page for s in renderer.spots})
    template.spots, template.bold = list(renderer.spots), dict(renderer.bold)
    template.whole = whole(template.spots)
    LAYOUTS.store(shape, renderer, template)
    return template.write(renderer.widgets, renderer.font, keep, renderer.overlays(template))


def _draw(renderer: Renderer, profile: Profile | None) -> bytes:
    """The pages as reportlab draws them (no widgets yet: the renderer collects them)."""
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    form = renderer.form
    story = renderer.story()
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf, pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=MARGIN, bottomMargin=MARGIN, title=document_title(form, renderer.refs),
        author="skema", subject=form.description, creator="skema", producer=PRODUCER,
        invariant=1, lang="da-DK", pageCompression=0,  # deflated once, by qpdf
    )
    frame = Frame(MARGIN, MARGIN, CONTENT_W, PAGE_H - 2 * MARGIN, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate(id="side", frames=[frame])])
    doc.keepTogetherClass = kept_together_class()  # a kept group splits at a table
    doc.build(story, canvasmaker=_canvas_class(renderer.running_title(), form, profile,
                                               renderer.family))
    return buf.getvalue()


class Layouts:
    """Templates of laid-out forms, per process, most recently used first.

    The key of a document's *shape* (:meth:`Renderer.shape`) fixes everything on its
    pages but the answer boxes' heights; the widgets are then the same in number, kind
    and order. Per shape, templates are kept by the heights of the answer boxes: equal
    heights give equal pages, so a document only lays out its answers (to know the
    heights) and writes its widgets. A document with an answer continued on a later page
    is never replayed (its lines, not only its height, decide where it breaks).

    A month overview is drawn by each document over its template (see
    :mod:`toolkit.render.pdf_overview`): the shape holds only its geometry. When a
    template's overview tables were each drawn whole on one page, the rows and total
    height of each table are enough; otherwise the template is kept under every row's
    height too (:meth:`Renderer.overview_rows`).
    """

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self.plans: OrderedDict[tuple, _Plan] = OrderedDict()
        self.count = 0
        self._lock = threading.Lock()  # documents may be rendered by several threads
        #: answers laid out (see :meth:`answer`): form, field, height and widget
        self.answers: Cache[tuple, tuple[Form, Field, float, Widget]] = Cache(20_001)

    def replay(self, shape: tuple, renderer: Renderer) -> tuple[Template, list[Widget]] | None:
        """The template and this document's widgets when its pages were made before."""
        with self._lock:
            plan = self.plans.get(shape)
            if plan is None or plan.form is not renderer.form:
                return None
            self.plans.move_to_end(shape)
        answers: list[tuple[float, Widget]] = []  # each answer's height and widget
        for source in plan.sources:
            if source[0] == "answer":
                answers.append(self.answer(source, renderer))
        heights = tuple(height for height, _widget in answers)
        fine = renderer.overview_rows()
        with self._lock:
            found = plan.templates.get((heights, None)) or plan.templates.get((heights, fine))
        if found is None:
            return None
        template, placed = found
        widgets: list[Widget] = []
        queue = iter(answers)
        for source, widget in zip(plan.sources, placed):
            if source[0] == "answer":
                widgets.append(next(queue)[1].placed(widget.page, widget.rect))
            elif source[0] == "check":
                on = check_on(get_value(renderer.data, source[1]), source[2])
                widgets.append(widget if widget.on == on else replace(widget, on=on))
            else:
                widgets.append(widget)
        return template, widgets

    def answer(self, source: tuple, renderer: Renderer) -> tuple[float, Widget]:
        """The height and widget (its page and place to be set) of an answer ``source``
        (see :meth:`store`) in a document: laid out once per value, form and font (the
        same answers recur from document to document, whatever their shape)."""
        name, fld, min_height, width = source[1:]
        value = get_value(renderer.data, name)
        key = (id(renderer.form), id(fld), renderer.font.path, name, min_height, width,
               type(value), value)
        try:
            hit = self.answers.get(key)
        except TypeError:  # a list or mapping: laid out every time
            hit = None
        if hit is not None and hit[0] is renderer.form and hit[1] is fld:
            return hit[2], hit[3]
        answer = Answer(renderer, name, fld, value, min_height)
        answer.wrap(width, 10_000)
        widget = answer.widget(0, (0.0, 0.0, 0.0, 0.0))
        try:
            with self._lock:
                self.answers.put(key, (renderer.form, fld, answer.height, widget))
        except TypeError:
            pass
        return answer.height, widget

    def store(self, shape: tuple, renderer: Renderer, template: Template) -> None:
        """Keep a document's template for the documents laid out like it."""
        widgets = renderer.widgets
        if any(w.part for w in widgets) or len(renderer.sources) != len(widgets):
            return
        sources = [("answer", w.name, *s[1:4]) if s[0] == "answer" else s
                   for s, w in zip(renderer.sources, widgets)]
        heights = (tuple(s[4] for s in renderer.sources if s[0] == "answer"),
                   None if template.whole else renderer.overview_rows())
        with self._lock:
            self._keep(shape, renderer.form, sources, heights, (template, list(widgets)))

    def _keep(self, shape: tuple, form: Form, sources: list[tuple],
              heights: tuple, entry: tuple[Template, list[Widget]]) -> None:
        plan = self.plans.get(shape)
        if plan is None or plan.form is not form:
            self.count -= len(plan.templates) if plan is not None else 0
            plan = self.plans[shape] = _Plan(form, sources)
        elif plan.sources != sources or heights in plan.templates:
            return
        plan.templates[heights] = entry
        self.count += 1
        while self.count > self.size and self.plans:
            _shape, oldest = self.plans.popitem(last=False)
            self.count -= len(oldest.templates)


class _Plan:
    """The widgets' sources of one shape, and its templates by answer heights."""

    def __init__(self, form: Form, sources: list[tuple]) -> None:
        self.form = form
        self.sources = sources
        # by (answer heights, None or the overview rows' heights: see Renderer.overlays)
        self.templates: dict[tuple, tuple[Template, list[Widget]]] = {}


#: The templates of this process.
LAYOUTS = Layouts()


def _canvas_class(running: str, form: Form, profile: Profile | None = None,
                  family: str = FONT):
    """A canvas that knows the page count when it saves: "Side X af Y" in the footer."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            draw_pdf_furniture(self, form, running, self._pageNumber, total, profile, family,
                               (PAGE_W, PAGE_H), MARGIN)

    return NumberedCanvas



# ---------------------------------------------------------------------------------------
# The layout walk
# ---------------------------------------------------------------------------------------
class Renderer:
    """Turns layout blocks into flowables and collects the widgets to place."""

    def __init__(self, form: Form, data: dict, blank: bool, flatten: bool,
                 profile: Profile | None = None, locked: bool = False,
                 spare: bool = False, overlay: bool = True) -> None:
        from .word_fill import reference_texts

        files = profile.font_files() if profile is not None else None
        self.family = register_fonts(files)  # the profile's font, else the bundled one
        self.form = form
        self.data = data
        self.blank = blank
        self.flatten = flatten
        self.font = FieldFont(files["regular"] if files else None)
        self.widgets: list[Widget] = []
        self.sources: list[tuple] = []  # per widget: what it shows (see Layouts)
        self.signatures = 0
        self._derived: dict[int, Any] = {}  # image and month-overview blocks, by id
        self.refs = reference_texts(form, data, blank, profile=profile)
        self.locked = locked  # read-only fields
        self.spare = spare  # each list padded to its blank rows
        self.styles = styles(self.family)
        # month overviews drawn per document over the template (see pdf_overview)
        self.overlay = overlay and not flatten
        self.overviews: dict[int, Overview] = {}  # by the block's index in the layout
        self.spots: list[Spot] = []  # where the template's overview rows went
        self.bold: dict[str, tuple[str, int]] = {}  # bold codes (see bold_codes)

    def shape(self, profile: Profile | None) -> tuple:
        """What the pages depend on besides the answer boxes' heights (see
        :class:`Layouts`): form, mode, profile, list lengths, the texts the layout shows
        from the data, the drawings and the month overviews."""
        from ..derived import drawing, month_overview

        parts: list[Any] = []
        for index, block in enumerate(self.form.layout):
            if "rows" in block or "blocks" in block:
                parts.append(self._items(self.form.block_fields(block)[0].path))
            elif block.get("image") == "netvaerkscirkel":
                parts.append(repr(self._persons(block)))
            elif "image" in block:
                png = self._derived[id(block)] = drawing(block, self.data)
                parts.append(hashlib.sha256(png).digest())
            elif "month_overview" in block:
                overview = self._derived[id(block)] = month_overview(self.form, block,
                                                                     self.data)
                drawn = self._overview(index, block)
                parts.append(drawn.key() if drawn is not None else repr(overview))
        return (id(self.form), self.blank, self.locked, repr(profile), tuple(parts),
                tuple(sorted(self.refs.items())))

    def running_title(self) -> str:
        text = self.form.schema.get("x-running-title", self.form.title)
        return _REF.sub(lambda m: self.refs.get(m.group(1), ""), text)

    def story(self) -> list:
        """Every layout block as flowables; a text stays on the page of what follows it."""
        tables = ("fields", "rows", "blocks", "static_table", "month_overview", "image",
                  "signature")
        layout = self.form.layout
        out: list = []
        level = 0  # of the heading last seen
        for i, block in enumerate(layout):
            following = layout[i + 1] if i + 1 < len(layout) else {}
            if "heading" in block:
                level = int(block.get("level", 1))
            # a section's intro stays with its first sub-heading (and so with its content)
            into_sub = "heading" in following and int(following.get("level", 1)) > level
            keep = "text" in block and (
                block["text"].rstrip().endswith(":") or block.get("style") == "note"
                or any(k in following for k in tables) or into_sub)
            flows = self.block(block, keep)
            if flows and (kept_with_drawing(layout, i) or "signature" in following):
                # a list's table on the page of its drawing; a signature block never alone
                # on a page: the section before it comes along
                flows[-1].keepWithNext = 1
            out.extend(flows)
        return out

    # -- blocks --------------------------------------------------------------------------
    def block(self, block: dict, keep: bool = False) -> list:
        """The flowables of one layout block (``keep``: a text kept with what follows)."""
        from reportlab.platypus import PageBreak, Spacer

        st = self.styles
        if "heading" in block:
            level = int(block.get("level", 1))
            style = st["title"] if level == 0 else st[f"h{min(level, 3)}"]
            return [self._para(block["heading"], style)]
        if "text" in block:
            style = {"small": st["small"], "note": st["note"]}.get(block.get("style", ""),
                                                                   st["body"])
            if "profile_text" in block:
                para = para_class()(para_text(self.refs[profile_text_path(block)]), style)
                if keep:
                    para.keepWithNext = 1
                return [para]
            return [self._para(block["text"], style, keep=keep)]
        if "bullets" in block:
            marker = block.get("marker", "•")
            return [self._para(item, st["bullet"], f"{i}." if marker == "1." else marker)
                    for i, item in enumerate(block["bullets"], start=1)] + [Spacer(1, 4)]
        if "rows" in block:
            return self._rows(block)
        if "blocks" in block:
            return self._blocks(block)
        if "fields" in block:
            return self._fields(block)
        if "static_table" in block:
            return self._static_table(block)
        if "signature" in block and "minor" in block and not self.refs[minor_path(block)]:
            return []
        if "signature" in block:
            return [Signature(self, list(block["signature"]), block.get("signed", ()))]
        if "page_break" in block:
            return [PageBreak()]
        if "image" in block:
            return self._image(block)
        if "month_overview" in block:
            return self._month_overview(block)
        raise SchemaError(f"Skemaet for \"{self.form.id}\" har en ukendt layoutblok i "
                          f"x-layout: {block!r}.",
                          hint="Ret blokken i skemaets x-layout (se schemas/README.md).")

    def _para(self, text: str, style: Any, bullet: str | None = None, keep: bool = False):
        """A paragraph of layout text; cached unless it shows data (``{path}``)."""
        if _REF.search(text) is None:
            return static_para(self._inline(text), style, bullet, keep)
        para = para_class()(self._inline(text), style, bulletText=bullet)
        if keep:
            para.keepWithNext = 1
        return para

    def _inline(self, text: str) -> str:
        """Static text as paragraph markup: ``*italic*`` and ``{path}`` references."""
        out, pos = [], 0
        for match in _ITALIC.finditer(text):
            out.append(self._plain(text[pos:match.start()]))
            out.append("<i>" + self._plain(match.group(1)) + "</i>")
            pos = match.end()
        out.append(self._plain(text[pos:]))
        return "".join(out)

    def _plain(self, text: str) -> str:
        parts, pos = [], 0
        for match in _REF.finditer(text):
            parts.append(para_text(text[pos:match.start()]))
            parts.append(para_text(self.refs.get(match.group(1), "")))
            pos = match.end()
        parts.append(para_text(text[pos:]))
        return "".join(parts)

    def _label(self, text: str, help_text: str = "") -> list:
        flows = [static_para(para_text(text), self.styles["label"])]
        if help_text:
            flows.append(static_para(para_text(help_text), self.styles["help"]))
        return flows

    def _continued(self):
        return static_para("(fortsat)", self.styles["help"])

    def _answer_cell(self, fld: Field, path: str, min_height: float = 0.0) -> Cell:
        """The cell of one answer: text boxes fill it, checkboxes sit on the label's line."""
        pad = ANSWER_PAD if fld.kind not in ("checkbox", "multi") else CELL_PAD
        return Cell(self._answer_flows(fld, path, max(0.0, min_height - 2 * pad)), pad=pad)

    def _answer_flows(self, fld: Field, path: str, min_height: float = 0.0) -> list:
        """The flowables of one answer at a concrete path."""
        value = get_value(self.data, path)
        label = self.form.label(path)
        if fld.kind == "multi":
            chosen = value if isinstance(value, list) else []
            return [Check(self, f"{path}:{opt}", check_on(chosen, opt), title,
                          f"{label}: {title}", (path, str(opt)))
                    for opt, title in fld.choices]
        if fld.kind == "checkbox":
            return [Check(self, path, check_on(value, None), None, label, (path, None))]
        return [Answer(self, path, fld, value, min_height)]

    def _fields(self, block: dict) -> list:
        flds = [f for p in block["fields"] for f in self.form.expand(p)]
        long_table = any(f.kind == "long" for f in flds)
        widths = [6.8 * CM, CONTENT_W - 6.8 * CM] if long_table else \
            [5.5 * CM, CONTENT_W - 5.5 * CM]
        rows: list[Row] = []
        header = block.get("header")
        if header:
            rows.append(Row([Cell(self._label(t), LABEL_SHADE) for t in header], widths))
        for fld in flds:
            min_h = 3.2 * CM if fld.kind == "long" else 0.0
            shown = document_label(self.form, fld.path)
            rows.append(Row([Cell(self._label(shown, fld.help), LABEL_SHADE),
                              self._answer_cell(fld, fld.path, min_h)],
                             widths, min_h, continued_label=self._continued()))
            rows[-1].keep_next = fld.kind == "checkbox"  # yes/no with what it introduces
        if rows:
            rows[-1].keep_next = False
        return [Table(rows, header=1 if header else 0, whole=fields_kept_whole(flds))]

    def _items(self, path: str) -> int:
        lst = self.form.lists[path]
        items = get_value(self.data, path)
        count = len(items) if isinstance(items, list) else 0
        # Spare rows in a blank form (or on request): a filled one shows its items, as Word.
        return max(count, lst.blank_rows) if self.spare else count

    def _rows(self, block: dict) -> list:
        lst, flds = self.form.block_fields(block)
        weights = [3 if f.kind == "long" else 2 if f.kind == "multi" else 1.4 for f in flds]
        widths = [CONTENT_W * wt / sum(weights) for wt in weights]
        head = [Cell(self._label(lst.label if lst.scalar else f.schema.get("title", f.key)),
                      LABEL_SHADE) for f in flds]
        rows = [Row(head, widths)]
        for i in range(self._items(lst.path)):
            cells = []
            for fld in flds:
                path = fld.path.replace("*", str(i), 1)
                min_h = 1.2 * CM if fld.kind == "long" else 0.0
                cells.append(self._answer_cell(fld, path, min_h))
            rows.append(Row(cells, widths))
        out: list = []
        if block.get("title"):
            out.append(static_para(para_text(block["title"]), self.styles["h3"]))
        out.append(Table(rows, header=1))
        return out

    def _blocks(self, block: dict) -> list:
        lst, flds = self.form.block_fields(block)
        widths = [5.5 * CM, CONTENT_W - 5.5 * CM]
        out: list = []
        for i in range(self._items(lst.path)):
            out.append(static_para(para_text(f"{lst.item_title} {i + 1}"),
                                   self.styles["h3"]))
            rows = []
            for fld in flds:
                path = fld.path.replace("*", str(i), 1)
                min_h = 2.5 * CM if fld.kind == "long" else 0.0
                title = fld.schema.get("title", fld.key)
                rows.append(Row([Cell(self._label(title), LABEL_SHADE),
                                  self._answer_cell(fld, path, min_h)],
                                 widths, min_h, continued_label=self._continued()))
                rows[-1].keep_next = fld.kind == "checkbox"
            if rows:
                rows[-1].keep_next = False
            out.append(Table(rows, whole=True))  # one item's block on one page (as Word)
        return out

    def _static_table(self, block: dict) -> list:

        data = block["static_table"]
        cols = max((len(r) for r in data), default=1)
        if cols == 2:
            widths = [5.5 * CM, CONTENT_W - 5.5 * CM]
        else:
            first = 4.5 * CM if cols > 1 else CONTENT_W
            widths = [first] + [(CONTENT_W - first) / (cols - 1)] * (cols - 1)
        rows = []
        for r, cells in enumerate(data):
            out_cells = []
            for j in range(cols):
                text = cells[j] if j < len(cells) else ""
                head = j == 0 or (block.get("header") and r == 0)
                style = self.styles["label"] if head else self.styles["cell"]
                out_cells.append(Cell([static_para(para_text(text), style)],
                                       LABEL_SHADE if head else None))
            rows.append(Row(out_cells, widths))
        return [Table(rows, header=1 if block.get("header") else 0)]

    def _image(self, block: dict) -> list:
        from ..network_circle import PRINTED_WIDTH_PT

        if block["image"] == "netvaerkscirkel":  # as in Word: the labels' point sizes hold
            return [NetworkCircle(self._persons(block), PRINTED_WIDTH_PT)]
        from reportlab.platypus import Image

        from ..derived import drawing

        png = self._derived.get(id(block)) or drawing(block, self.data)
        size = PRINTED_WIDTH_PT
        img = Image(io.BytesIO(png), width=size, height=size)
        img.hAlign = "CENTER"
        img.spaceAfter = 8
        return [img]

    def _persons(self, block: dict) -> list[dict]:
        """The list an ``image`` block draws (as :func:`toolkit.derived.drawing`)."""
        items = get_value(self.data, block["field"]) if block.get("field") else []
        return [p for p in items or [] if isinstance(p, dict)]

    def _overview(self, index: int, block: dict) -> Overview | None:
        """The overview a template leaves out and each document draws (None: drawn as
        page content: flattened, no period, or not drawable exactly)."""
        from ..derived import month_overview

        if index in self.overviews:
            return self.overviews[index]
        if not self.overlay:
            return None
        months, items = self._derived.get(id(block)) or month_overview(self.form, block,
                                                                       self.data)
        if not months:
            return None
        drawn = Overview(index, block, months, items, self.styles, self.font)
        if not drawn.exact:
            return None
        self.overviews[index] = drawn
        return drawn

    def overview_rows(self) -> tuple:
        """Every overview row's height: what a template whose overview tables split
        across pages fits besides the shape (see :class:`Layouts`)."""
        return tuple(o.fine() for _i, o in sorted(self.overviews.items()))

    def overlays(self, template: Template) -> dict[int, bytes]:
        """Per page, the content this document draws over a template: its overviews."""
        pages: dict[int, list[str]] = {}
        spots = template.spots
        if template.whole:  # the rows of this document's overviews below their headings
            spots = [s for o in self.overviews.values() for s in o.respot(template.spots)]
        for spot in spots:
            ops = self.overviews[spot.block].ops(spot, self.font, template.bold)
            pages.setdefault(spot.page, ["q"]).extend(ops)
        return {page: "\n".join([*ops, "Q"]).encode("ascii") for page, ops in pages.items()}

    def _month_overview(self, block: dict) -> list:
        from reportlab.platypus import Paragraph, Spacer

        from ..derived import MONTH_ABBR, MONTHS_PER_TABLE, month_chunks, month_overview

        index = next(i for i, b in enumerate(self.form.layout) if b is block)
        drawn = self._overview(index, block)
        if drawn is not None:
            return drawn.flowables(self)
        months, items = self._derived.get(id(block)) or month_overview(self.form, block,
                                                                       self.data)
        if not months:
            return [Paragraph(para_text(block["note"]), self.styles["note"])]
        label_w = CONTENT_W * 0.36
        month_w = (CONTENT_W - label_w) / MONTHS_PER_TABLE  # as wide in every table
        st = self.styles
        out: list = []
        chunks = month_chunks(len(months))
        for n, cols in enumerate(chunks):  # a long plan wraps to a second table
            widths = [label_w] + [month_w] * len(cols)
            head = [Cell([static_para(para_text(block["column"]), st["label"])],
                         LABEL_SHADE)] + [
                Cell([static_para(f"{MONTH_ABBR[int(months[c][5:7]) - 1]}<br/>"
                                  f"{months[c][2:4]}", st["monthhead"])], LABEL_SHADE)
                for c in cols]
            rows = [Row(head, widths, pad=2)]
            for label, marks in items:
                cells = [Cell([Paragraph(para_text(label), st["cell"])])]
                cells += [Cell([static_para("X" if marks[c] else "", st["month"])],
                               MONTH_ON if marks[c] else None, "middle") for c in cols]
                rows.append(Row(cells, widths, pad=2))
            out.append(Table(rows, header=1))
            if n < len(chunks) - 1:
                out.append(Spacer(1, 6))
        return out

    # -- flattened values ----------------------------------------------------------------
    def flat_text(self, canv, name: str, actual: str, part: int, lines: list[str],
                  size: float, leading: float, height: float) -> None:
        """Draw an answer's lines as page content inside a marked-content span."""
        canv.addLiteral(mark_begin(name, actual, part))
        canv.setFillColorRGB(0, 0, 0)
        canv.setFont(self.family, size)
        baseline = height - PAD - TOP_GAP - self.font.ascent * size
        for line in lines:
            if line:
                canv.drawString(PAD, baseline, line)
            baseline -= leading
        canv.addLiteral("EMC")

    def flat_check(self, canv, name: str, on: bool, x: float, y: float, side: float) -> None:
        """Draw a checkbox (✓ when on) as page content inside a marked-content span."""
        canv.addLiteral(mark_begin(name, CHECK if on else None))
        canv.saveState()
        canv.setStrokeColorRGB(0.25, 0.25, 0.25)
        canv.setLineWidth(0.7)
        canv.rect(x + 0.5, y + 0.5, side - 1, side - 1, stroke=1, fill=0)
        if on:
            canv.setFillColorRGB(0, 0, 0)
            canv.setFont(self.family, side * 0.9)
            canv.drawCentredString(x + side / 2, y + side * 0.14, CHECK)
        canv.restoreState()
        canv.addLiteral("EMC")

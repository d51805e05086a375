"""Slides of a deck: a title slide, titled slides for charts and tables, bullets, notes.

:class:`Deck` wraps a python-pptx Presentation opened on a template (see
:mod:`kamtools.deck.template`) and places content in the template's content area, so
every slide follows the company's margins, fonts and colours.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pptx.util import Emu, Pt

from kamtools.deck.template import Layouts, open_template, pick_layouts
from kamtools.deck.text import literal

Box = tuple[int, int, int, int]


def _drop_unused(slide, keep: Sequence) -> None:
    """Remove the slide's placeholders that are not in ``keep`` (no empty 'Click to add' boxes)."""
    for ph in list(slide.placeholders):
        if ph not in keep:
            ph._element.getparent().remove(ph._element)


NOTES_LIMIT = 3000  # characters of a speaker-notes paragraph: the whole reason, not the slide's 600


def _set_text(frame, lines: Sequence[str], size: int | None = None, spacing: float = 0, limit: int = 600) -> None:
    frame.clear()
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = literal(line, limit)
        if size:
            paragraph.font.size = Pt(size)
        if spacing:
            paragraph.space_after = Pt(spacing)


_PICKED: dict[int, tuple[int, int, int, tuple]] = {}  # hash of a template -> picked layout positions


def _layouts(prs, template: bytes) -> Layouts:
    """:func:`pick_layouts`, remembered per template (the same bytes give the same layouts)."""
    key = hash(template)
    if key not in _PICKED:
        picked = pick_layouts(prs)
        order = list(prs.slide_layouts)
        _PICKED[key] = (
            order.index(picked.title),
            order.index(picked.content),
            order.index(picked.plain),
            picked.content_area,
        )
    title, content, plain, area = _PICKED[key]
    layouts = prs.slide_layouts
    return Layouts(layouts[title], layouts[content], layouts[plain], area)


class Deck:
    """A presentation being built on a template."""

    def __init__(self, template: bytes, currency: str | None = None) -> None:
        self.prs = open_template(template)
        self.layouts: Layouts = _layouts(self.prs, template)
        self.currency = currency  # the bundle's settings.currency, for kamtools.formatting.money

    @property
    def area(self) -> Box:
        return self.layouts.content_area

    def split(self, share: float = 0.5, gap: float = 0.03) -> tuple[Box, Box]:
        """The content area as a left and a right box (``share`` of the width on the left)."""
        left, top, width, height = self.area
        space = int(width * gap)
        w1 = int((width - space) * share)
        return (left, top, w1, height), (left + w1 + space, top, width - w1 - space, height)

    def rows(self, share: float = 0.5, gap: float = 0.03) -> tuple[Box, Box]:
        """The content area as an upper and a lower box (``share`` of the height on top)."""
        left, top, width, height = self.area
        space = int(height * gap)
        h1 = int((height - space) * share)
        return (left, top, width, h1), (left, top + h1 + space, width, height - h1 - space)

    def _title(self, slide, text: str) -> None:
        title = slide.shapes.title
        if title is not None:
            title.text = literal(text, 120)
            return
        left, top, width, _ = self.area
        box = slide.shapes.add_textbox(Emu(left), Emu(int(top * 0.25)), Emu(width), Emu(int(top * 0.6)))
        _set_text(box.text_frame, [text], 28)

    def title_slide(self, title: str, subtitle: Sequence[str]) -> object:
        from pptx.enum.shapes import PP_PLACEHOLDER as PH

        slide = self.prs.slides.add_slide(self.layouts.title)
        self._title(slide, title)
        keep = [slide.shapes.title] if slide.shapes.title is not None else []
        sub = next((ph for ph in slide.placeholders if ph.placeholder_format.type == PH.SUBTITLE), None)
        if sub is None:
            sub = next((ph for ph in slide.placeholders if ph.placeholder_format.type in (PH.BODY, PH.OBJECT)), None)
        if sub is not None:
            _set_text(sub.text_frame, subtitle)
            keep.append(sub)
        else:
            left, top, width, height = self.area
            box = slide.shapes.add_textbox(Emu(left), Emu(top + height // 2), Emu(width), Emu(height // 3))
            _set_text(box.text_frame, subtitle, 18)
        _drop_unused(slide, keep)
        return slide

    def slide(self, title: str) -> object:
        """A titled slide with an empty content area (for charts and tables)."""
        slide = self.prs.slides.add_slide(self.layouts.plain)
        self._title(slide, title)
        _drop_unused(slide, [slide.shapes.title] if slide.shapes.title is not None else [])
        return slide

    def bullet_slide(self, title: str, items: Sequence[str], size: int = 18) -> object:
        """A titled slide of bullet points in the template's body placeholder."""
        from pptx.enum.shapes import PP_PLACEHOLDER as PH

        slide = self.prs.slides.add_slide(self.layouts.content)
        self._title(slide, title)
        body = next((ph for ph in slide.placeholders if ph.placeholder_format.type in (PH.BODY, PH.OBJECT)), None)
        keep = [slide.shapes.title] if slide.shapes.title is not None else []
        if body is not None:
            _set_text(body.text_frame, items, size)
            keep.append(body)
        else:
            self.text(slide, self.area, items, size)
        _drop_unused(slide, keep)
        return slide

    def text(self, slide, box: Box, lines: Sequence[str], size: int = 14, bold_first: bool = False) -> object:
        """A text box of ``lines`` (one paragraph each, word-wrapped) in ``box``."""
        left, top, width, height = box
        shape = slide.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
        frame = shape.text_frame
        frame.word_wrap = True
        _set_text(frame, lines, size, spacing=size * 0.4)
        if bold_first and frame.paragraphs:
            frame.paragraphs[0].font.bold = True
        return shape

    def headed(self, slide, box: Box, parts: Sequence[tuple[str, Sequence[str]]], size: int = 13) -> object:
        """A text box of sections: each heading in bold, then its lines."""
        lines = [line for heading, body in parts for line in (heading, *body)]
        shape = self.text(slide, box, lines, size)
        headings = {heading for heading, _ in parts}
        for paragraph in shape.text_frame.paragraphs:
            if paragraph.text in headings:
                paragraph.font.bold = True
                paragraph.space_before = Pt(size * 0.6)
        return shape

    def notes(self, slide, lines: Sequence[str]) -> None:
        """Speaker notes under ``slide`` (each paragraph up to :data:`NOTES_LIMIT` characters: a method's reason was
        cut at 600, 'All accounts were compared because too few accounts like this o…')."""
        _set_text(slide.notes_slide.notes_text_frame, lines, limit=NOTES_LIMIT)

    def move_slides(self, first: int, position: int) -> None:
        """Move the slides from index ``first`` to the end so that they start at ``position``."""
        ids = self.prs.slides._sldIdLst
        items = list(ids)
        moving = items[first:]
        if not moving or position >= first:
            return
        for item in moving:
            ids.remove(item)
        anchor = items[position]
        for item in moving:
            anchor.addprevious(item)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


__all__ = ["Deck"]

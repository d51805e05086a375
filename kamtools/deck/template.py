"""The slide template of a deck: kamtools' default or the company's own ``.pptx``.

A deck is built on a copy of the template's slide master, so its layouts, fonts and
theme colours are the company's. Layouts are chosen by the placeholders they carry
(:func:`pick_layouts`), never by their position or name, because every company orders
and names its layouts differently. Slides already in the template (a sample deck saved
as the template) are left out of the new deck.

The default template (``kamtools/templates/deck_template.pptx``) was made once by
:func:`make_default_template` (python-pptx's blank template turned to 16:9 with a
kamtools colour theme); run it again to regenerate the file.
"""

from __future__ import annotations

import copy
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kamtools.resources import resource_path

DEFAULT_TEMPLATE_NAME = "deck_template.pptx"

# the kamtools theme: (scheme slot, RGB hex)
THEME_COLOURS = {
    "dk2": "1F3A5F",
    "lt2": "E8EEF4",
    "accent1": "1F6F8B",
    "accent2": "E07A2E",
    "accent3": "6A8D3A",
    "accent4": "8E5572",
    "accent5": "3C8DBC",
    "accent6": "B8A04C",
}
THEME_FONTS = {"major": "Calibri", "minor": "Calibri"}
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"


class TemplateError(ValueError):
    """A template file is missing or is not a usable PowerPoint file (the message says which and why)."""


def default_template() -> Path:
    """The template that ships with kamtools."""
    return resource_path("templates", DEFAULT_TEMPLATE_NAME)


def _pptx():
    from kamtools.extras import import_optional

    return import_optional("pptx", "decks")


def read_template(path: str | os.PathLike | None) -> bytes:
    """The bytes of the template at ``path`` (the default when None), checked to be a
    PowerPoint presentation that python-pptx opens; :class:`TemplateError` otherwise."""
    file = default_template() if path is None else Path(path).expanduser()
    if not file.exists():
        raise TemplateError(f"the template {file} does not exist; give the path of a .pptx file for --template")
    if file.is_dir():
        raise TemplateError(
            f"the template {file} is a folder, not a file; give the path of a .pptx file for --template"
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise TemplateError(f"cannot read the template {file} ({exc.strerror}); check its permissions") from exc
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateError(
            f"the template {file} is not a PowerPoint file; save the company template as .pptx and pass that file"
        )
    try:
        prs = _pptx().Presentation(io.BytesIO(data))
    except Exception as exc:  # python-pptx raises several kinds for a wrong package
        raise TemplateError(
            f"the template {file} is not a PowerPoint presentation python-pptx can open ({type(exc).__name__}); "
            "save it from PowerPoint as a .pptx presentation (not .potx or .ppt) and try again"
        ) from exc
    if not any(_has_title(layout) for layout in prs.slide_layouts):
        pass  # usable anyway: titles then go into text boxes (see pick_layouts)
    return data


@dataclass
class Layouts:
    """The layouts a deck uses, picked from a template by their placeholders."""

    title: object  # a title slide: centre title (or title) and subtitle
    content: object  # title and one body/object placeholder: bullet slides
    plain: object  # title only (or the content layout, its body removed): charts and tables
    content_area: tuple[int, int, int, int]  # left, top, width, height (EMU) below the title


def _types(layout) -> list:
    return [ph.placeholder_format.type for ph in layout.placeholders]


def _has_title(layout) -> bool:
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    return any(t in (PH.TITLE, PH.CENTER_TITLE) for t in _types(layout))


def _bodies(layout) -> list:
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    return [ph for ph in layout.placeholders if ph.placeholder_format.type in (PH.BODY, PH.OBJECT)]


_DECOR = ("DATE", "FOOTER", "SLIDE_NUMBER")


def _others(layout) -> list:
    """Placeholders other than title, subtitle, body and the footer decorations."""
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    keep = (PH.TITLE, PH.CENTER_TITLE, PH.SUBTITLE, PH.BODY, PH.OBJECT, PH.DATE, PH.FOOTER, PH.SLIDE_NUMBER)
    return [ph for ph in layout.placeholders if ph.placeholder_format.type not in keep]


def pick_layouts(prs) -> Layouts:
    """Choose the title, bullet and chart/table layouts of ``prs`` by their placeholder types."""
    from pptx.enum.shapes import PP_PLACEHOLDER as PH

    layouts = list(prs.slide_layouts)
    titled = [lay for lay in layouts if _has_title(lay)] or layouts

    def score_title(lay) -> tuple:
        types = _types(lay)
        return (PH.CENTER_TITLE in types, PH.SUBTITLE in types, -len(_bodies(lay)), -len(_others(lay)))

    def score_content(lay) -> tuple:
        bodies = _bodies(lay)
        upright = not any(ph._element.xpath("./p:txBody/a:bodyPr[@vert and @vert != 'horz']") for ph in bodies)
        area = max(((ph.width or 0) * (ph.height or 0) for ph in bodies), default=0)
        return (_has_title(lay), len(bodies) == 1, upright, -len(_others(lay)), area)

    def score_plain(lay) -> tuple:
        types = _types(lay)
        return (_has_title(lay), PH.CENTER_TITLE not in types, not _bodies(lay), -len(_others(lay)))

    title = max(titled, key=score_title)
    content = max(layouts, key=score_content)
    plain = max(layouts, key=score_plain)
    if _bodies(plain) or not _has_title(plain):
        plain = content if _has_title(content) else plain
    return Layouts(title, content, plain, _content_area(prs, content))


def _content_area(prs, content) -> tuple[int, int, int, int]:
    """Where charts and tables go: the body placeholder of the content layout, or the
    slide below its title with the title's side margins."""
    width, height = prs.slide_width, prs.slide_height
    bodies = _bodies(content)
    if bodies:
        body = max(bodies, key=lambda ph: (ph.width or 0) * (ph.height or 0))
        if body.width and body.height:
            return int(body.left), int(body.top), int(body.width), int(body.height)
    margin = int(width * 0.05)
    top = int(height * 0.2)
    for ph in content.placeholders:
        if ph.placeholder_format.type is not None and ph.height and ph.top is not None and _has_title(content):
            top = max(top, int(ph.top + ph.height + height * 0.02))
            break
    return margin, top, width - 2 * margin, int(height - top - height * 0.06)


def open_template(data: bytes):
    """A new Presentation on the template's masters, without the template's own slides."""
    prs = _pptx().Presentation(io.BytesIO(data))
    ids = prs.slides._sldIdLst
    for sld_id in list(ids):
        prs.part.drop_rel(sld_id.rId)
        ids.remove(sld_id)
    return prs


# ---- the default template ------------------------------------------------------------------


def _scale_x(shape, factor: float) -> None:
    xfrm = shape._element.xpath("./p:spPr/a:xfrm")
    if xfrm:
        shape.left = int(shape.left * factor)
        shape.width = int(shape.width * factor)


def _set_theme(prs) -> None:
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    ns = {"a": _A}
    root.set("name", "kamtools")
    scheme = root.find(".//a:clrScheme", ns)
    scheme.set("name", "kamtools")
    for slot, rgb in THEME_COLOURS.items():
        node = scheme.find(f"a:{slot}", ns)
        for child in list(node):
            node.remove(child)
        etree.SubElement(node, f"{{{_A}}}srgbClr", val=rgb)
    fonts = root.find(".//a:fontScheme", ns)
    fonts.set("name", "kamtools")
    for kind, face in THEME_FONTS.items():
        fonts.find(f"a:{kind}Font/a:latin", ns).set("typeface", face)
    part.blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def make_default_template(path: str | os.PathLike) -> Path:
    """Write kamtools' default deck template (16:9, kamtools colours) to ``path``."""
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Pt

    prs = _pptx().Presentation()
    factor = 16 / 9 / (prs.slide_width / prs.slide_height)
    prs.slide_width = Emu(int(prs.slide_width * factor))
    master = prs.slide_master
    for shape in master.shapes:
        _scale_x(shape, factor)
    for layout in prs.slide_layouts:
        for shape in layout.placeholders:
            _scale_x(shape, factor)
    _set_theme(prs)
    # a thin accent band at the top of every slide, behind the title
    scratch = prs.slides.add_slide(prs.slide_layouts[6])  # MasterShapes cannot add shapes: draw it on a slide
    band = scratch.shapes.add_shape(1, 0, 0, prs.slide_width, Emu(int(prs.slide_height * 0.018)))
    band.fill.solid()
    band.fill.fore_color.rgb = RGBColor.from_string(THEME_COLOURS["accent1"])
    band.line.fill.background()
    band.name = "kamtools band"
    master.shapes._spTree.insert(2, copy.deepcopy(band._element))
    ids = prs.slides._sldIdLst
    prs.part.drop_rel(ids[0].rId)
    ids.remove(ids[0])
    title_style = master.element.find(".//{http://schemas.openxmlformats.org/presentationml/2006/main}titleStyle")
    if title_style is not None:
        rpr = title_style.find(f".//{{{_A}}}defRPr")
        if rpr is not None:
            rpr.set("sz", str(int(Pt(32).pt * 100)))
    out = Path(path)
    prs.save(out)
    return out


__all__ = [
    "Layouts",
    "TemplateError",
    "default_template",
    "make_default_template",
    "open_template",
    "pick_layouts",
    "read_template",
]

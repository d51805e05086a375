"""The one template engine of kamtools' HTML: Jinja2, templates in ``kamtools/templates``, autoescape on.

The index page, the change digest, the delivery digests and the scenario planner's fragments are
rendered here. Every value a template prints is HTML-escaped (text and attributes alike), unless
it is :class:`markupsafe.Markup` made by kamtools itself: another rendered fragment, or one of
kamtools' own files (a stylesheet, the index's script) read with :func:`trusted`. Values are
escaped as :func:`html.escape` escapes them (``&quot;`` and ``&#x27;`` for quotes), so a page reads
the same to the byte as before it had templates; ``None`` prints as nothing.

Jinja2 comes with the ``reports`` extra (nbconvert) and the ``planner`` extra (Voila): a face that
needs it and does not find it says which extra to install, in one sentence. Reading a file
(:func:`source`) needs no Jinja2.
"""

from __future__ import annotations

import html
from functools import lru_cache

__all__ = ["LIST_PAGE_CSS", "environment", "macro", "source", "trusted"]

LIST_PAGE_CSS = ("report.css", "components.css", "index.css")
"""The stylesheets of kamtools' list pages (the index, the change digest), in cascade order: the report
page's frame, the kam-* components every face shares (also :mod:`kamtools.display`'s), the list's own rules."""


def source(name: str) -> str:
    """The text of kamtools' own template file ``name`` (a stylesheet, a script, a page)."""
    return _read(name)


@lru_cache(maxsize=16)  # the package's own files: they do not change while kamtools runs
def _read(name: str) -> str:
    from kamtools.resources import templates_dir

    return (templates_dir() / name).read_text(encoding="utf-8")


def trusted(*names: str):
    """kamtools' own files ``names`` (joined by a newline) as markup a template prints unescaped.

    Only for files shipped in ``kamtools/templates`` (stylesheets, the index's script): never data.
    """
    from markupsafe import Markup

    return Markup("\n".join(_read(n) for n in names))


def _escape(value: object):
    """The finaliser of every printed value: kamtools' markup as it is, anything else escaped text."""
    from markupsafe import Markup

    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def environment(extra: str = "reports", what: str | None = None):
    """The shared Jinja2 environment (cached); without Jinja2, :class:`kamtools.extras.MissingExtra`
    naming ``extra`` (the extra of the face that asked, e.g. ``planner``) and ``what`` needs it."""
    from kamtools.extras import import_optional

    import_optional("jinja2", extra, what)
    return _environment()


@lru_cache(maxsize=1)  # one environment per process: it caches the compiled templates
def _environment():
    import jinja2

    from kamtools.resources import templates_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        finalize=_escape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def macro(template: str, name: str, extra: str = "reports"):
    """The macro ``name`` of the template file ``template``: called with values, it returns their HTML
    (escaped) as markup. ``extra``: as for :func:`environment`."""
    return getattr(environment(extra, f"writing HTML with {template}").get_template(template).module, name)

"""PowerPoint decks from the analysis bundle: one per account and a portfolio review.

``kamtools reports BUNDLE --out OUT --format pptx [--audience customer|internal]
[--template corp.pptx]`` calls :func:`write_decks`. Decks carry native, editable charts
(with their data) and real tables, follow the slide master, fonts and colours of a
template, and read only the bundle (nothing is refitted).

Modules: :mod:`~kamtools.deck.build` (an account's deck, internal or customer),
:mod:`~kamtools.deck.portfolio` (the management review deck),
:mod:`~kamtools.deck.audience` (what is internal), :mod:`~kamtools.deck.charts` (charts
and tables), :mod:`~kamtools.deck.slides` (slides on a template),
:mod:`~kamtools.deck.template` (loading and picking layouts; the default template),
:mod:`~kamtools.deck.source` (the bundle rows a deck reads), :mod:`~kamtools.deck.text`
(literal strings and number formats), :mod:`~kamtools.deck.files` (writing into OUT).
python-pptx is the optional extra ``decks``; importing this package does not need it.
"""

from __future__ import annotations

from kamtools.deck.audience import AUDIENCES, DEFAULT_AUDIENCE, check_audience
from kamtools.deck.template import TemplateError, default_template, read_template


def write_decks(*args, **kwargs):
    """See :func:`kamtools.deck.files.write_decks`."""
    from kamtools.deck.files import write_decks as _write

    return _write(*args, **kwargs)


__all__ = [
    "AUDIENCES",
    "DEFAULT_AUDIENCE",
    "TemplateError",
    "check_audience",
    "default_template",
    "read_template",
    "write_decks",
]

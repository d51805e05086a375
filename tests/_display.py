"""A stand-in for :mod:`kamtools.display` that records what a report section shows.

Section tests patch a section module's ``display`` with a :class:`Recorder` and read back the
paragraphs (``text``) and the cards (``cards``) a reader would see, without rendering HTML.
"""

from __future__ import annotations


class Recorder:
    """Records the calls a section makes to the display: paragraphs, bullets and "not available"
    reasons as text, KPI cards as ``(label, value)`` pairs; headings, tables and figures are ignored."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.cards: list[tuple] = []

    def paragraph(self, text) -> None:
        self.paragraphs.append(text)

    def bullets(self, items) -> None:
        self.paragraphs.extend(items)

    def not_available(self, reason) -> None:
        self.paragraphs.append(str(reason))

    def kpi_cards(self, cards, *args, **kwargs) -> None:
        self.cards.extend((c[0], c[1]) for c in cards)

    def heading(self, *args, **kwargs) -> None:
        pass

    def table(self, *args, **kwargs) -> None:
        pass

    def figure(self, *args, **kwargs) -> None:
        pass

    @property
    def text(self) -> str:
        """Every paragraph shown, joined by spaces."""
        return " ".join(self.paragraphs)


def value_section_text(acct, monkeypatch, appendix: bool = False) -> Recorder:
    """Run the value section (and its appendix when asked) on ``acct`` and return what it showed."""
    import kamtools.sections as sections
    from kamtools.sections import value as section

    shown = Recorder()
    monkeypatch.setattr(section, "display", shown)
    monkeypatch.setattr(sections, "display", shown)  # show_notes
    monkeypatch.setattr(section, "value_position_chart", lambda *a, **k: None)
    section.account_section(acct)
    if appendix:
        section.account_appendix(acct)
    return shown

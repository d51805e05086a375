"""Who a deck is for, and what the customer must never see.

``internal`` (the default) is the KAM's own review deck: risks and their drivers,
margins, competitors, the plan. ``customer`` is the deck shown to the customer: it is
built from a separate, short list of customer-safe facts (the relationship, their
purchases and trend, categories bought and could buy, service, joint objectives and next
steps) and never reads the internal tables, so nothing internal can slip in.

:func:`deck_text` extracts every piece of text a deck holds (slides, tables, chart
titles, series and categories, notes) and :func:`internal_terms` lists, for one account,
the words and figures a customer deck must not contain; the tests use both on every
customer deck.
"""

from __future__ import annotations

AUDIENCES = ("internal", "customer")
DEFAULT_AUDIENCE = "internal"

# words that only an internal deck uses (checked on a customer deck's own wording,
# with the strings that come from data, such as category names, taken out first)
INTERNAL_WORDS = (
    "churn",
    "health",
    "margin",
    "competitor",
    "risk",
    "threat",
    "elasticity",
    "price response",
    "value at stake",
    "win rate",
    "share of wallet",
    "tier",
    "probability",
    "internal",
)


def check_audience(audience: str) -> str:
    """``audience`` lower-cased, or ValueError naming the choices."""
    value = str(audience).strip().lower()
    if value not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; choose customer or internal")
    return value


def deck_text(prs) -> list[str]:
    """Every text of a python-pptx Presentation: shapes, table cells, charts (title,
    series names, categories) and speaker notes, one string per item."""
    texts: list[str] = []

    def shape_texts(shape) -> None:
        if shape.shape_type is not None and shape.shape_type == 6:  # a group
            for inner in shape.shapes:
                shape_texts(inner)
            return
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            texts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                texts.extend(cell.text for cell in row.cells)
        if getattr(shape, "has_chart", False) and shape.has_chart:
            chart = shape.chart
            if chart.has_title:
                texts.append(chart.chart_title.text_frame.text)
            for plot in chart.plots:
                texts.extend(str(c) for c in plot.categories)
                texts.extend(s.name for s in plot.series)

    for slide in prs.slides:
        for shape in slide.shapes:
            shape_texts(shape)
        if slide.has_notes_slide:
            texts.append(slide.notes_slide.notes_text_frame.text)
    return texts


def internal_terms(account, data_strings: list[str] | None = None) -> list[str]:
    """Figures and names of ``account`` (an :class:`kamtools.deck.source.AccountRows`)
    that only an internal deck may show: its churn probability in the usual formats,
    health score, margin percentages, revenue at risk, share of wallet, the plan's value-at-stake amounts
    (:func:`stake_amounts`), competitor names."""
    from kamtools.deck.text import missing
    from kamtools.formatting import currency_of, money

    info = account.info
    terms: list[str] = []
    p = info.get("churn_probability")
    if not missing(p):
        p = float(p)
        terms += [f"{p:.1%}", f"{p:.2%}", f"{p:.3f}", f"{p * 100:.1f}"]
    h = info.get("health_score")
    if not missing(h):
        terms += [f"{float(h):.1f}", f"{float(h):.0f}/100"]
    m = info.get("margin_pct_ltm")
    if not missing(m):
        terms += [f"{float(m):.1%}"]
    for col in ("revenue_at_risk",):
        v = info.get(col)
        if not missing(v) and float(v) >= 1000:
            terms.append(money(float(v), currency_of(account.bundle)))
    for col in ("risk_band", "health_band", "threat_band"):
        v = info.get(col)
        if not missing(v):
            terms.append(f"{v} risk")
    sow = info.get("share_of_wallet")
    if not missing(sow):
        terms += [f"{float(sow):.1%}", f"{float(sow):.3f}"]
    terms += stake_amounts(account)
    names: set[str] = set()
    for table, column in (
        ("competitor_account_bids", "competitor"),
        ("competitor_threat", "main_competitor"),
        ("pipeline", "competitor"),
        ("pipeline_losses", "competitor"),
    ):
        df = account.table(table)
        if df is not None and column in df.columns:
            names.update(str(x) for x in df[column].dropna() if str(x).strip())
    terms += sorted(names)
    return terms


def _amounts(df, columns: tuple[str, ...]) -> list[float]:
    if df is None:
        return []
    return [float(v) for c in columns if c in df.columns for v in df[c].dropna()]


def customer_amounts(account) -> set[str]:
    """The money figures a customer deck may show (their purchases: in total, by month, by category, per order,
    in the last review), as the deck writes them."""
    from kamtools.deck.text import missing
    from kamtools.formatting import currency_of, money

    cur = currency_of(account.bundle)
    values = [float(account.info[c]) for c in ("revenue_ltm",) if not missing(account.info.get(c))]
    values += _amounts(account.table("tradelanes"), ("revenue_ltm", "revenue_prior"))
    values += _amounts(account.table("kpis"), ("avg_order_value",))
    hist = account.table("forecast_history")
    if hist is not None and len(hist):
        y = hist.sort_values("ds")["y"]
        values += [float(v) for v in y] + [float(y.tail(12).sum()), float(y.iloc[-24:-12].sum())]
    return {money(v, cur) for v in values}


def stake_amounts(account) -> list[str]:
    """The plan's value-at-stake amounts of ``account`` (summary, risks, actions; 1,000 and more), as the
    internal deck writes them, except those that equal a figure the customer deck may show anyway (a risk
    whose value at stake is the last 12 months' purchases)."""
    from kamtools.deck.text import missing
    from kamtools.formatting import currency_of, money

    cur = currency_of(account.bundle)
    values = []
    for table in ("plan_summary", "plan_risks", "plan_actions"):
        values += _amounts(account.table(table), ("value_at_stake",))
    texts = {money(v, cur) for v in values if not missing(v) and v >= 1000}
    return sorted(texts - customer_amounts(account))


__all__ = [
    "AUDIENCES",
    "DEFAULT_AUDIENCE",
    "INTERNAL_WORDS",
    "check_audience",
    "customer_amounts",
    "deck_text",
    "internal_terms",
    "stake_amounts",
]

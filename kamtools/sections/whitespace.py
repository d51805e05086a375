"""Report sections of whitespace, cross-sell and the trade-lane review (reads bundle tables; never refits).

Account: the whitespace grid as a heat-map, the recommended next categories with their
probability, expected value and rationale, and the product lines year over year.
Portfolio: the largest cross-sell potential, how good the recommendations were in the
backtest, category adoption by industry, and the trade-lane summary.
"""

from __future__ import annotations

import pandas as pd

from kamtools import display, formatting
from kamtools.data.portfolio import NotAvailable
from kamtools.sections import account_names, no_cost_booked

NO_PRIOR_YEAR = "no prior year"  # kamtools.whitespace.NO_PRIOR_YEAR (not imported: sections stay light)
CREDITS_ONLY = "credit notes only"  # kamtools.whitespace.CREDITS_ONLY

REC_COLUMNS = {
    "rank": "#",
    "category": "Category",
    "status": "Status",
    "p_adopt": "Adoption probability",
    "expected_value": "Expected value (12 months)",
    "rationale": "Why",
}
# the score's label where the history was too short to test the scores on past data (no adoption probability)
SCORE_LABEL = "Score (not a probability)"
UNCALIBRATED_COLUMNS = {  # the recommendations when the history was too short to calibrate the scores
    "rank": "#",
    "category": "Category",
    "status": "Status",
    "score": SCORE_LABEL,
    "spend_if_adopted": "Spend if adopted (first year)",
    "rationale": "Why",
}
UNCALIBRATED = (
    "The order history is too short to test the cross-sell scores on past data and turn them into adoption "
    "probabilities, so no adoption probability or probability-weighted value is given and none is counted in the "
    "plan's revenue objective."
)
LANE_COLUMNS = {
    "category": "Product line",
    "status": "Status",
    "revenue_prior": "Revenue, prior 12 months",
    "revenue_ltm": "Revenue, last 12 months",
    "change": "Change",
    "margin_ltm": "Margin, last 12 months",
    "margin_pct": "Margin %",
    "loss_making": "Loss-making",
}


def min_useful_p() -> float:
    """:data:`kamtools.whitespace.MIN_USEFUL_P`, the adoption probability from which a category is recommended
    (imported on use: the model's module loads scikit-learn, which drawing a report does not need)."""
    from kamtools.whitespace import MIN_USEFUL_P

    return MIN_USEFUL_P


def calibrated(recs: pd.DataFrame) -> bool:
    """Whether the recommendations carry calibrated adoption probabilities (``p_adopt`` is NaN
    throughout when the history was too short to calibrate the scores)."""
    return recs.empty or bool(pd.to_numeric(recs["p_adopt"], errors="coerce").notna().any())


def uncalibrated_reason(bundle) -> str:
    """The bundle's sentence on why the cross-sell scores are not calibrated (a general one if absent)."""
    return bundle.note("whitespace_recommendations") or UNCALIBRATED


def account_section(acct) -> None:
    """Whitespace grid heat-map, recommendations and product-line review of one account."""
    display.heading("Whitespace and cross-sell")
    _account_cards(acct)
    _account_grid(acct)
    _account_recommendations(acct)
    _account_lanes(acct)


def _account_cards(acct) -> None:
    """Whitespace value and category counts as cards."""
    summary = acct.table("whitespace_accounts")
    if isinstance(summary, pd.DataFrame) and len(summary):
        row = summary.iloc[0]
        value = row["whitespace_value"]
        cards = [
            (  # money text: the label says "probability", which would make the card a percentage
                "Whitespace, probability-weighted (recommended categories, 12 months)",
                formatting.money(float(value), formatting.currency_of(acct.bundle)),
            )
            if pd.notna(value)
            else ("Whitespace value (scores, not probabilities: no probability-weighted value)", "not estimated"),
            ("Categories bought", int(row["n_categories_bought"])),
            ("Lapsed categories", int(row["n_lapsed"]), "warn" if row["n_lapsed"] else ""),
            ("Never bought", int(row["n_never"])),
            ("Loss-making lines", int(row["loss_making_lines"]), "bad" if row["loss_making_lines"] else "good"),
        ]
        display.kpi_cards(cards)


def _account_grid(acct) -> None:
    """The heat-map of what the account buys, lapsed and never bought."""
    grid = acct.table("whitespace_grid")
    if isinstance(grid, NotAvailable):
        display.not_available(grid)
    elif grid.empty:
        display.paragraph("This account has no whitespace grid (no products or categories known).")
    else:
        from kamtools.plotting.whitespace import whitespace_heatmap

        name = acct.info.get("name") or acct.account_id
        fig = whitespace_heatmap(
            grid,
            labels={acct.account_id: str(name)},
            title="What this account buys from us",
            currency=formatting.currency_of(acct.bundle),
        )
        display.figure(fig, alt="whitespace grid: categories bought, lapsed and never bought")


def no_recommendations(grid, who: str) -> str:
    """Why there is no recommended category for ``who`` ("the account" or "every account"), from the
    whitespace grid (its rows' statuses) where there is one."""
    if isinstance(grid, pd.DataFrame) and len(grid) and "status" in grid.columns:
        n = grid["category"].nunique() if "category" in grid.columns else 0
        if n == 1:  # nothing else to sell: say so rather than quote an adoption probability
            return (
                f"No recommendations: the data holds one product category ({grid['category'].iloc[0]}), so there "
                "is no other category to recommend."
            )
        charges = sorted(grid.loc[grid["status"].eq("charge"), "category"].astype(str).unique())
        if charges and grid["status"].isin(["bought", "charge"]).all():
            products = n - len(charges)
            what = formatting.counted(products, "product category", "product categories")
            return (
                f"No recommendations: {who} already buys every product category in the data ({what}); "
                f"{', '.join(charges)} {'is a category' if len(charges) == 1 else 'are categories'} of charges "
                "(postage, fees), not recommended."
            )
        if grid["status"].eq("bought").all():
            what = formatting.counted(n, "category", "categories") if n else "every category"
            return f"No recommendations: {who} already buys every category in the data ({what})."
    if who == "the account":
        return "No recommendations: the account bought nothing in the last 12 months or already buys every category."
    return (
        "No account has a category to recommend: no account that bought in the last 12 months has a category left "
        "that its peers buy."
    )


def _account_recommendations(acct) -> None:
    """The recommended next categories and the opportunities below the useful probability."""
    display.heading("Recommended next categories", 3)
    recs = acct.table("whitespace_recommendations")
    if isinstance(recs, NotAvailable):
        display.not_available(recs)
    elif recs.empty:
        display.paragraph(no_recommendations(acct.table("whitespace_grid"), "the account"))
    elif not calibrated(recs):
        _uncalibrated_recommendations(acct, recs)
    else:
        useful, weak = split_recommended(recs)
        if useful.empty:
            display.paragraph(
                f"No category is recommended: every opportunity has an adoption probability below "
                f"{min_useful_p():.0%}, too low to be worth a KAM's time."
            )
        else:
            display.table(
                useful.sort_values("rank"),
                columns=REC_COLUMNS,
                money=["expected_value"],
                currency=formatting.currency_of(acct.bundle),
                pct=["p_adopt"],
            )
        display.paragraph(
            "Adoption probability: chance that the account starts buying the category within 12 months, "
            "measured on what similar recommendations achieved in a test on past data. For a category the account used to "
            "buy, it is lowered when the account's own revenue fell by more than half in the last 12 months, in "
            "step with how much less the account now buys (a fifth of the revenue, a fifth of the chances to buy it "
            "again). Expected value = probability "
            f"x expected first-year spend (probability-weighted). Only categories with a probability of at least "
            f"{min_useful_p():.0%} are recommended."
        )
        if len(weak):
            display.paragraph(
                f"Not recommended (adoption probability below {min_useful_p():.0%}): "
                + ", ".join(f"{c} ({p:.1%})" for c, p in zip(weak["category"].astype(str), weak["p_adopt"]))
                + "."
            )


def _uncalibrated_recommendations(acct, recs: pd.DataFrame) -> None:
    """The categories ranked by their raw score, said to be uncalibrated, with no probability or expected value."""
    useful, weak = split_recommended(recs)
    display.paragraph(uncalibrated_reason(acct.bundle))
    if len(useful):
        display.table(
            useful.sort_values("rank"),
            columns=UNCALIBRATED_COLUMNS,
            money=["spend_if_adopted"],
            currency=formatting.currency_of(acct.bundle),
            pct=["score"],
        )
    display.paragraph(
        "Score: how many similar accounts, and buyers of related categories, buy the category (0-100%). "
        "It ranks the categories but is not the chance that this account starts buying them. "
        f"Categories with a score of at least {min_useful_p():.0%} are listed"
        + (f"; {len(weak)} more score lower: " + ", ".join(weak["category"].astype(str)) + "." if len(weak) else ".")
    )


def _account_lanes(acct) -> None:
    """The account's product lines, prior against last 12 months, and its loss-making lines."""
    display.heading("Product lines year over year", 3)
    lanes = acct.table("tradelanes")
    if isinstance(lanes, NotAvailable):
        display.not_available(lanes)
    elif lanes.empty:
        display.paragraph("No revenue in the last 24 months, so there is no product-line review.")
    elif lanes["status"].isin((NO_PRIOR_YEAR, CREDITS_ONLY)).all():  # the prior 12 months are not in the data
        display.paragraph(
            acct.bundle.note("tradelanes")
            or "The 12 months before the last 12 are not in the order history, so no product line is compared."
        )
        shown = lanes.sort_values("revenue_ltm", ascending=False).assign(
            margin_pct=lanes["margin_pct_ltm"].map(_lane_margin)
        )
        display.table(
            shown,
            columns=_lane_columns(lanes, drop=("status", "revenue_prior", "change")),
            money=["revenue_ltm", "margin_ltm"],
            currency=formatting.currency_of(acct.bundle),
        )
        _credit_lines(acct, lanes)
        _no_cost_line(lanes)
        _loss_bullets(lanes)
    else:
        from kamtools.plotting.whitespace import account_tradelane_chart

        shown = lanes.sort_values("revenue_ltm", ascending=False).assign(
            change=lanes["revenue_change_pct"].map(display.signed_pct),
            margin_pct=lanes["margin_pct_ltm"].map(_lane_margin),
        )
        display.table(
            shown,
            columns=_lane_columns(lanes),
            money=["revenue_prior", "revenue_ltm", "margin_ltm"],
            currency=formatting.currency_of(acct.bundle),
        )
        _credit_lines(acct, lanes)
        _no_cost_line(lanes)
        one_off = one_off_lanes_note(acct.info, lanes, formatting.currency_of(acct.bundle))
        if one_off:
            display.paragraph(one_off)
        display.figure(
            account_tradelane_chart(lanes, currency=formatting.currency_of(acct.bundle)),
            alt="revenue by product line, prior vs last 12 months",
        )
        _loss_bullets(lanes)


def credit_lines_note(info: dict, lanes: pd.DataFrame, currency: str | None = None) -> str:
    """The sentence under an account's product lines naming those with credit notes and no net sales
    (:data:`CREDITS_ONLY`), so the lines' revenue is read against the account's net revenue (Online Retail's
    C16029: Giftware 58.2k beside a net 51.0k, the other -7.2k manual adjustments on Charges); empty without
    such lines."""
    credits = lanes[lanes["status"] == CREDITS_ONLY] if "status" in lanes.columns else lanes.iloc[:0]
    if credits.empty:
        return ""
    names = "; ".join(
        f"{c.category} {formatting.money(float(c.revenue_ltm), currency)}"
        for c in credits.sort_values("revenue_ltm").itertuples()
    )
    revenue = pd.to_numeric(pd.Series([info.get("revenue_ltm")]), errors="coerce").iloc[0]
    net = (
        f"; with them the lines add up to the account's net revenue, {formatting.money(float(revenue), currency)}"
        if pd.notna(revenue)
        else ""
    )
    return (
        f"Credit notes only ({names}): returns, credit notes or adjustments on lines with no net sales in the "
        f"last 12 months{net}."
    )


def _credit_lines(acct, lanes: pd.DataFrame) -> None:
    note = credit_lines_note(acct.info, lanes, formatting.currency_of(acct.bundle))
    if note:
        display.paragraph(note)


ONE_OFF_SHARE = 0.1  # one-off orders this large a share of the last 12 months are named (as the talking points do)


def one_off_lanes_note(info: dict, lanes: pd.DataFrame, currency: str | None = None) -> str:
    """Where one-off orders (months far above the account's usual ordering month, the segment stage's
    ``one_off_ltm``) make a large share of the last 12 months, the sentence saying the lines' rises may be those
    orders alone, with the account's change without them (``usual_growth``); empty otherwise. The demo with a spike
    month (A0018: one month of 8 accounts x10) read "up-trading +429%" on its product lines beside a segment line
    saying "+94% on the year before comes from one-off orders; -6% without them"."""
    one_off = pd.to_numeric(pd.Series([info.get("one_off_ltm")]), errors="coerce").iloc[0]
    revenue = pd.to_numeric(pd.Series([info.get("revenue_ltm")]), errors="coerce").iloc[0]
    if not (pd.notna(one_off) and pd.notna(revenue) and revenue > 0 and one_off >= ONE_OFF_SHARE * revenue):
        return ""
    if (
        "revenue_change_pct" not in lanes.columns
        or not (pd.to_numeric(lanes["revenue_change_pct"], errors="coerce") > 0).any()
    ):
        return ""
    usual = pd.to_numeric(pd.Series([info.get("usual_growth")]), errors="coerce").iloc[0]
    return (
        f"One-off orders add {formatting.money(float(one_off), currency)} to the last 12 months (months far above "
        "the account's usual ordering month, which the forecast does not carry on): a line's rise, and its "
        "'up-trading' or 'new', may be those orders alone"
        + (
            f"; without them the account's revenue changed {float(usual):+.0%} on the year before."
            if pd.notna(usual)
            else "."
        )
    )


def split_recommended(recs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(recommended, not recommended) rows of a recommendations table, by the bundle's ``recommended``
    flag; a bundle without it compares the probability (or, uncalibrated, the score) with
    :func:`min_useful_p`. The report and the decks both read it."""
    if recs.empty:
        return recs, recs
    if "recommended" in recs.columns:
        flag = recs["recommended"].fillna(False).astype(bool)
    else:
        value = recs["p_adopt"] if calibrated(recs) else recs["score"]
        flag = pd.to_numeric(value, errors="coerce").fillna(0) >= min_useful_p()
    return recs[flag], recs[~flag]


def _lane_margin(x: float) -> str:
    """A product line's margin %: '100% (no cost booked)' where every cost on its orders is 0."""
    return formatting.margin_pct(x, digits=0, missing="")


def _lane_columns(lanes: pd.DataFrame, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The product-line table's columns; without any cost booked on the lines their margin only repeats the
    revenue (CDNOW: 'Margin 10.4k, Margin % 100%'), so the margin columns are left out."""
    if formatting.all_no_cost(lanes["margin_pct_ltm"]):
        drop = (*drop, "margin_ltm", "margin_pct")
    return {k: v for k, v in LANE_COLUMNS.items() if k not in drop}


def _no_cost_line(lanes: pd.DataFrame) -> None:
    if formatting.all_no_cost(lanes["margin_pct_ltm"]):
        display.paragraph(
            "No margin is shown: no cost is booked on these product lines' orders (every cost is 0), so their "
            "margin would equal their revenue."
        )


def _loss_bullets(lanes: pd.DataFrame) -> None:
    loss = lanes[lanes["loss_making"]]
    if len(loss):
        display.bullets(
            f"{r.category}: margin {r.margin_ltm:,.0f} on revenue {r.revenue_ltm:,.0f} in the last 12 months "
            "(selling below cost: review price and discount)."
            for r in loss.itertuples()
        )


def portfolio_section(bundle) -> None:
    """Top whitespace, the backtest of recommendations, adoption by industry and the trade-lane summary."""
    display.heading("Top whitespace")
    _top_whitespace(bundle)
    _portfolio_backtest(bundle)
    _portfolio_lanes(bundle)


def _top_whitespace(bundle) -> None:
    """The recommended categories of all accounts: total, chart by category and the 15 largest."""
    recs = bundle.table("whitespace_recommendations")
    if isinstance(recs, NotAvailable):
        display.not_available(recs)
    else:
        from kamtools.plotting.whitespace import top_whitespace_chart

        if recs.empty:  # nothing to recommend: say why, with no adoption probability to quote
            display.paragraph(no_recommendations(bundle.table("whitespace_grid"), "every account"))
            return
        if not calibrated(recs):
            _top_uncalibrated(bundle, recs)
            return
        recs, weak = split_recommended(recs)
        display.paragraph(
            f"{formatting.counted(recs['account_id'].nunique(), 'account')} "
            f"{'has' if recs['account_id'].nunique() == 1 else 'have'} "
            f"{formatting.counted(len(recs), 'recommended category', 'recommended categories')} (adoption "
            f"probability {min_useful_p():.0%} or more) with a total expected first-year value of "
            f"{display.money(recs['expected_value'].sum())} (probability-weighted); {len(weak):,} further "
            "opportunities are below that probability and not recommended."
        )
        if len(recs):
            display.figure(
                top_whitespace_chart(recs, currency=formatting.currency_of(bundle)),
                alt="expected value of recommendations by category",
            )
        top = recs.nlargest(15, "expected_value")
        names = account_names(bundle.accounts)
        top = top.assign(name=top["account_id"].map(names))
        display.table(
            top,
            columns={
                "account_id": "Account",
                "name": "Name",
                "category": "Category",
                "status": "Status",
                "p_adopt": "Adoption probability",
                "expected_value": "Expected value",
                "rationale": "Why",
            },
            max_rows=15,
            money=["expected_value"],
            currency=formatting.currency_of(bundle),
            pct=["p_adopt"],
        )


def _top_uncalibrated(bundle, recs: pd.DataFrame) -> None:
    """Without calibrated probabilities: the listed categories by first-year spend if adopted, no expected value."""
    listed, weak = split_recommended(recs)
    display.paragraph(
        uncalibrated_reason(bundle) + f" {formatting.counted(listed['account_id'].nunique(), 'account')} "
        f"{'has' if listed['account_id'].nunique() == 1 else 'have'} "
        f"{formatting.counted(len(listed), 'category', 'categories')} with a score of "
        f"{min_useful_p():.0%} or more ({len(weak):,} further score lower); below, the 15 with the largest "
        "first-year spend if adopted (not weighted by any probability)."
    )
    top = listed.nlargest(15, "spend_if_adopted")
    names = account_names(bundle.accounts)
    display.table(
        top.assign(name=top["account_id"].map(names)),
        columns={
            "account_id": "Account",
            "name": "Name",
            "category": "Category",
            "status": "Status",
            "score": SCORE_LABEL,
            "spend_if_adopted": "Spend if adopted (first year)",
            "rationale": "Why",
        },
        max_rows=15,
        money=["spend_if_adopted"],
        currency=formatting.currency_of(bundle),
        pct=["score"],
    )


def _portfolio_backtest(bundle) -> None:
    """The backtest of the recommendations against the popularity baseline, and adoption by industry."""
    display.heading("How good are the recommendations?", 3)
    bt = bundle.table("whitespace_backtest")
    if isinstance(bt, NotAvailable):
        display.not_available(bt)
    else:
        from kamtools.plotting.whitespace import backtest_chart

        sel = bt[bt["selected"]]
        pop = bt[bt["scorer"] == "popularity"]
        if len(sel) and len(pop):
            s, p = sel.iloc[0], pop.iloc[0]
            adopting = int(s["n_adopting_accounts"])
            hits = (
                f"{s['hit_rate']:.0%} of the {formatting.counted(adopting, 'account')} that started a new category "
                f"had it among their recommendations (baseline {p['hit_rate']:.0%})"
                if adopting and pd.notna(s["hit_rate"])
                else "no account started a new category in those months, so whether a new category had been "
                "recommended beforehand cannot be measured"
            )
            display.paragraph(
                f"Recommendations made on {pd.Timestamp(s['cutoff']).date()} with the data of that day: "
                f"{s['precision_at_n']:.1%} of the top-{int(s['n'])} recommendations were bought within "
                f"{int(s['horizon_months'])} months (popularity baseline {p['precision_at_n']:.1%}; base rate of any "
                f"open category {s['base_rate']:.1%}), and {hits}. Selected scorer: {s['scorer']}."
            )
        display.figure(
            backtest_chart(bt),
            alt="share of the top recommendations bought, and of new categories recommended beforehand, by scorer, in a test on past data",
        )

    grid = bundle.table("whitespace_grid")
    if isinstance(grid, pd.DataFrame) and len(grid) and "peer_group" in grid.columns:
        from kamtools.plotting.whitespace import adoption_heatmap

        display.figure(adoption_heatmap(grid, by="industry"), alt="category adoption by industry")


def _portfolio_lanes(bundle) -> None:
    """The trade-lane summary with its bridge chart and the largest loss-making product lines."""
    display.heading("Trade-lane review", 3)
    summary = bundle.table("tradelanes_summary")
    if isinstance(summary, NotAvailable):
        display.not_available(summary)
    else:
        from kamtools.plotting.whitespace import tradelane_bridge_chart

        display.table(
            summary,
            columns={
                "status": "Lines",
                "n_lanes": "Account x line pairs",
                "n_accounts": "Accounts",
                "revenue_prior": "Revenue, prior 12 months",
                "revenue_ltm": "Revenue, last 12 months",
                "revenue_change": "Revenue change",
                **({} if no_cost_booked(bundle) else {"margin_change": "Margin change"}),
                "n_loss_making": "Loss-making",
            },
            money=["revenue_prior", "revenue_ltm", "revenue_change", "margin_change"],
            currency=formatting.currency_of(bundle),
        )
        display.figure(
            tradelane_bridge_chart(summary, currency=formatting.currency_of(bundle)),
            alt="revenue bridge by trade-lane status",
        )
    lanes = bundle.table("tradelanes")
    if isinstance(lanes, pd.DataFrame):
        loss = lanes[lanes["loss_making"]].nsmallest(10, "margin_ltm")
        if len(loss):
            display.paragraph("Largest loss-making product lines (negative margin in the last 12 months):")
            names = account_names(bundle.accounts)
            display.table(
                loss.assign(name=loss["account_id"].map(names)),
                columns={
                    "account_id": "Account",
                    "name": "Name",
                    "category": "Product line",
                    "revenue_ltm": "Revenue",
                    "margin_ltm": "Margin",
                },
                money=["revenue_ltm", "margin_ltm"],
                currency=formatting.currency_of(bundle),
            )

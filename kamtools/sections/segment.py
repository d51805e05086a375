"""Report sections of the segmentation (reads ``segments``, ``segment_profiles``, ``segment_concentration``).

Account: tier and why, quadrant, RFM segment, ABC class and behavioural cluster, and its
position in the portfolio matrix among all accounts. Portfolio: tiers, the matrix, the
concentration curve and the cluster profiles.
"""

from __future__ import annotations

import pandas as pd

from kamtools import display, formatting
from kamtools.churn.sentences import gap_days
from kamtools.data.portfolio import NotAvailable
from kamtools.plotting.segment import cluster_profile_chart, concentration_chart, portfolio_matrix_chart, tier_chart
from kamtools.plotting.style import money
from kamtools.sections import no_cost_booked, show_notes
from kamtools.segment import CRITERIA_LABELS, QUADRANTS, RFM_SEGMENT_MEANING, rfm_description
from kamtools.value.reading import EV_LEFT_OUT, expected_value_ranks

_TIER_STATUS = {1: "good", 2: "", 3: "warn"}
RFM_SHORT_MONTHS = 6  # under this many months of order history an RFM label says where it rests
_STOPPED_WORDS = ("lost", "hibernating", "at risk", "cannot lose")  # RFM names that read as an account gone quiet


def _history_months(bundle) -> int | None:
    """The months of order history the bundle's manifest records (None when it does not)."""
    months = (getattr(bundle, "manifest", None) or {}).get("history", {}).get("months")
    return None if months is None else int(months)


def _rfm_window(months: int | None) -> str:
    """The window of the RFM bullet's orders and revenue: the last 12 months, or the history where it is shorter."""
    if months is None or months >= 12:
        return "in the last 12 months"
    return f"in the {formatting.counted(months, 'month')} of order history"


def _rfm_orders(row, months: int | None) -> str:
    """The RFM bullet's last order, order count and revenue; 'no order in ...' for an account without an order in
    the history (its recency unknown: the section raised on it, 3 months of the demo, A0003)."""
    recency = pd.to_numeric(pd.Series([row.get("recency_days")]), errors="coerce").iloc[0]
    if pd.isna(recency):
        return f"no order {_rfm_window(months)}"
    return (
        f"last order {formatting.counted(round(float(recency)), 'day')} ago, "
        f"{formatting.counted(int(row['frequency']), 'order')} and {money(float(row['monetary']))} revenue "
        f"{_rfm_window(months)}"
    )


def _rfm_meaning(acct, row) -> str:
    """What the account's own R, F and M scores say (:func:`kamtools.segment.rfm_description`), where the scores are
    known; else the segment's one description. A segment's name groups several scores (its frequency and spend
    scores are averaged), so its one description can contradict the account's (the grocery panel's top 60 at
    2017-03-31, H2318: 'RFM 132 (at risk): order often and spend well' with a spend score of 2)."""
    scores = [row.get(c) for c in ("r_score", "f_score", "m_score")]
    text = str(row.get("rfm_score", ""))
    if any(pd.isna(v) for v in scores) and len(text) == 3 and text.isdigit():
        scores = [int(ch) for ch in text]  # one digit per score, as RFMScorer writes them
    n_bins = 5
    everyone = acct.portfolio_table("segments") if hasattr(acct, "portfolio_table") else None
    if isinstance(everyone, pd.DataFrame) and {"r_score", "f_score", "m_score"} <= set(everyone.columns):
        top = pd.to_numeric(everyone[["r_score", "f_score", "m_score"]].stack(), errors="coerce").max()
        n_bins = int(top) if pd.notna(top) and top > 5 else 5  # scored on more bins than the named segments' 5
    described = rfm_description(*scores, n_bins=n_bins)
    if described is None:
        return RFM_SEGMENT_MEANING.get(str(row["rfm_segment"]), "")
    name = str(row["rfm_segment"])
    if name.startswith("lapsed"):  # the tier rule's lapse, which the scores (relative only) do not tell
        return f"has lapsed (no order for months); {described}"
    if len(set(scores[1:])) > 1:  # the name reads one figure where the page gives two
        described += f" (named '{name}' from its recency and the average of its order and spend scores)"
    return described


def rfm_short_note(row, months: int | None, feats=None) -> str:
    """Where the RFM name says the account has gone quiet ('lost', 'hibernating', 'at risk', 'cannot lose') without
    the tier rule finding it lapsed: on a history under :data:`RFM_SHORT_MONTHS`, the sentence on what the name rests
    on (read on 3 months of the demo: 'RFM 111 (lost)' beside a low churn risk, from a last order 78 days ago, the
    oldest among accounts that all began 3 months ago); on a longer one, where its last order came within its
    usual gap (``feats``, its ``churn_features`` row), the sentence saying so (:func:`_in_rhythm_note`). Empty
    elsewhere."""
    if str(row.get("rfm_segment", "")) not in _STOPPED_WORDS or pd.notna(row.get("lapsed_months")):
        return ""
    if months is not None and months < RFM_SHORT_MONTHS:
        return (
            f" On {formatting.counted(months, 'month')} of order history, '{row['rfm_segment']}' rests only on how "
            "this account's last order, order count and revenue rank among the other accounts over those months, not "
            "on a buying rhythm: it does not say the account has stopped buying (the churn estimate says how likely "
            "that is)."
        )
    return _in_rhythm_note(row, feats)


def _in_rhythm_note(row, feats) -> str:
    """Where the RFM name says the account has gone quiet but its last order came within its usual gap between
    orders (``churn_features``: ``recency_ratio`` at most 1): the sentence saying that the name only ranks the account
    among the others. Read on the grocery panel's top 60 households at 2017-09-30: 'RFM 225 (at risk): ... ordered
    less recently than most accounts; last order 2 days ago', every household having ordered within 17 days."""
    if not isinstance(feats, pd.DataFrame) or feats.empty:
        return ""
    if not {"recency_ratio", "days_since_last_order", "usual_order_gap_days"} <= set(feats.columns):
        return ""
    f = feats.iloc[0]
    ratio, days, gap = (
        pd.to_numeric(f[c], errors="coerce") for c in ("recency_ratio", "days_since_last_order", "usual_order_gap_days")
    )
    if pd.isna(ratio) or pd.isna(days) or pd.isna(gap) or ratio > 1.0:
        return ""
    return (
        f" '{row['rfm_segment']}' only ranks this account's last order, order count and revenue among the other "
        f"accounts': its last order, {formatting.counted(round(float(days)), 'day')} ago, came within its usual gap "
        f"between orders ({gap_days(float(gap))}), so it does not say the account has stopped "
        "buying."
    )


def _own_size(row) -> str:
    """Where the cluster's size word (its members' typical revenue) does not fit this account's own revenue,
    the clause saying so (the account's size percentile), else ''."""
    pct = pd.to_numeric(pd.Series([row.get("score_revenue_ltm")]), errors="coerce").iloc[0]
    size = str(row.get("cluster_name", "")).split(",")[0].strip()
    if pd.isna(pct):
        return ""
    off = {"small": pct > 50, "mid-size": pct < 25 or pct > 75, "large": pct < 50}.get(size, False)
    if not off:
        return ""
    return (
        f" (named for its members' typical revenue; this account's own revenue, last 12 months, is at percentile "
        f"{pct:.0f} of all accounts)"
    )


def _cluster_text(row, info) -> str:
    """The cluster's name, with the account's own growth where its growth word does not fit the account (or fits
    only its one-off orders), as on page one (:func:`kamtools.sections.summary.segment_text`)."""
    from kamtools.sections.summary import segment_text

    def known(v):
        return None if v is None or pd.isna(v) else v

    return segment_text(
        str(row["cluster_name"]),
        known((info or {}).get("growth_pct")),
        known(row.get("usual_growth")),
        known(row.get("one_off_ltm")),
    )


def account_section(acct) -> None:
    """Segment, tier (with the reason) and portfolio-matrix position of one account."""
    display.heading("Segment and portfolio position")
    seg = acct.table("segments")
    if isinstance(seg, NotAvailable):
        display.not_available(seg)
        return
    if seg.empty:
        display.paragraph("This account is not in the segmentation (it has no orders).")
        return
    row = seg.iloc[0]
    tier = int(row["tier"])
    no_cost = no_cost_booked(acct.bundle)  # every margin = revenue: the margin class repeats the revenue class
    months = _history_months(acct.bundle)
    short = months is not None and months < RFM_SHORT_MONTHS  # the card says what the RFM label rests on
    display.kpi_cards(
        [
            ("Tier", f"Tier {tier}", _TIER_STATUS.get(tier, "")),
            ("Portfolio quadrant", str(row["quadrant"])),
            (
                f"RFM segment (from {formatting.counted(months, 'month')} of orders)" if short else "RFM segment",
                str(row["rfm_segment"]),
            ),  # fmt: skip
            ("ABC class (revenue; no cost booked)", str(row["abc_revenue"]))
            if no_cost  # the margin class would repeat the revenue class
            else ("ABC class (revenue / margin)", f"{row['abc_revenue']} / {row['abc_margin']}"),
            ("Behavioural cluster", str(row["cluster_name"])),
        ]
    )
    display.paragraph(str(row["tier_reason"]))
    show_notes(acct.bundle, "segments")
    strength_known = pd.notna(row["strength"])
    display.bullets(
        [
            (
                f"Quadrant {row['quadrant']}: {QUADRANTS.get(str(row['quadrant']), '')}."
                if strength_known
                else f"Placed by attractiveness only: {QUADRANTS.get(str(row['quadrant']), '')}."
            ),
            f"RFM {row['rfm_score']} ({row['rfm_segment']}{_lapsed_note(row)}): "
            f"{_rfm_meaning(acct, row)}; {_rfm_orders(row, months)}."
            f"{rfm_short_note(row, months, acct.table('churn_features'))}",
            (
                f"ABC class {row['abc_revenue']} by revenue"
                if no_cost
                else f"ABC class {row['abc_revenue']} by revenue and {row['abc_margin']} by margin"
            )
            + " (A: the accounts making the first 80% of the total, B the next 15%, C the rest)"
            + (
                "; no class by margin, as no cost is booked on the orders and every margin equals revenue."
                if no_cost
                else "."
            ),
            f"Behavioural cluster: {_cluster_text(row, acct.info)}{_own_size(row)}.",
        ]
    )
    scores = [
        (CRITERIA_LABELS.get(c.removeprefix("score_"), c.removeprefix("score_")), row[c])
        for c in seg.columns
        if c.startswith("score_")
    ]
    known = [(label, float(s)) for label, s in scores if pd.notna(s)]
    if no_cost:  # every account's margin reads 100%: the margin criterion places them all alike, at 50
        known = [(label, s) for label, s in known if label != CRITERIA_LABELS["margin_pct"]]
    if known:
        where = "in the matrix" if strength_known else "by attractiveness"
        display.heading(f"What places it {where} (percentile among all accounts, 0-100)", 3)
        display.table(
            pd.DataFrame(known, columns=["criterion", "score"]), columns={"criterion": "Criterion", "score": "Score"}
        )
        if no_cost:
            display.paragraph(
                "Margin is left out: no cost is booked on the orders, so every account's margin reads 100% and the "
                "margin criterion places all of them alike."
            )
        if not expected_value_ranks(_bundle_table(acct.bundle, "value_model")):
            display.paragraph(EV_LEFT_OUT)
    everyone = acct.portfolio_table("segments")
    if strength_known and isinstance(everyone, pd.DataFrame) and everyone["strength"].notna().sum() > 1:
        label = str(acct.info.get("name") or acct.account_id)
        display.figure(
            portfolio_matrix_chart(everyone, highlight=acct.account_id, label=label),
            alt="Portfolio matrix of all accounts with this account highlighted",
        )


def portfolio_section(bundle) -> None:
    """Tiers, portfolio matrix, concentration and behavioural clusters of the whole portfolio."""
    display.heading("Portfolio matrix and tiers")
    seg = bundle.table("segments")
    if isinstance(seg, NotAvailable):
        display.not_available(seg)
        return
    show_notes(bundle, "segments")
    _tiers(bundle, seg)
    _matrix(bundle, seg)
    _concentration(bundle)
    _clusters(bundle)
    _rfm(bundle, seg)


def _tiers(bundle, seg: pd.DataFrame) -> None:
    """Accounts, revenue and next 12 months per tier, and the tier chart."""
    value = bundle.table("value")
    tiers = seg.groupby("tier").agg(accounts=("account_id", "size"), revenue_ltm=("revenue_ltm", "sum"))
    tiers["revenue_share"] = tiers["revenue_ltm"] / max(tiers["revenue_ltm"].sum(), 1e-9)
    # next 12 months: the one headline (the forecast, as on the index and the reports); the value
    # model's expectation only when there is no forecast, and then named for what it is
    summary = bundle.accounts
    if "forecast_next_12m" in summary.columns:
        ahead, ahead_label = summary[["account_id", "forecast_next_12m"]], "Forecast revenue, next 12 months"
    elif isinstance(value, pd.DataFrame):
        ahead, ahead_label = (
            value[["account_id", "expected_value_12m"]],
            "Expected revenue (value model), next 12 months",
        )
    else:
        ahead, ahead_label = None, ""
    if ahead is not None:
        ev = seg[["account_id", "tier"]].merge(ahead, on="account_id", how="left")
        tiers["ahead"] = ev.groupby("tier")[ahead.columns[1]].sum()
    tiers = tiers.reset_index()
    tiers["tier"] = "Tier " + tiers["tier"].astype(str)
    currency = formatting.currency_of(bundle)  # money as on the index and the reports
    for col in ("revenue_ltm", "ahead"):
        if col in tiers.columns:
            tiers[col] = tiers[col].map(lambda v: formatting.money(v, currency))
    display.table(
        tiers,
        columns={
            "tier": "Tier",
            "accounts": "Accounts",
            "revenue_ltm": "Revenue, last 12 months",
            "revenue_share": "Share of revenue",
            "ahead": ahead_label,
        },
        money=["revenue_ltm"],
        currency=formatting.currency_of(bundle),
        pct=["revenue_share"],
    )
    display.figure(tier_chart(seg, currency=currency), alt="Accounts and revenue per tier")


def _bundle_table(bundle, name: str) -> pd.DataFrame | None:
    """The bundle's table ``name``, or None (left out, or a stand-in holding only the manifest)."""
    read = getattr(bundle, "table", None)
    table = read(name) if callable(read) else None
    return table if isinstance(table, pd.DataFrame) else None


def _matrix(bundle, seg: pd.DataFrame) -> None:
    """The portfolio matrix chart and the accounts and revenue per quadrant."""
    display.heading("Portfolio matrix", 3)
    placed = int(seg["strength"].notna().sum())
    # without any cost booked every margin reads 100%: the margin criterion places all accounts alike
    ev = expected_value_ranks(_bundle_table(bundle, "value_model"))
    criteria = (
        f"size, growth, {'expected value, ' if ev else ''}wallet; margin places every account alike, as no cost "
        "is booked"
        if no_cost_booked(bundle)
        else f"size, growth, margin, {'expected value, ' if ev else ''}wallet"
    ) + ("" if ev else "; expected value is left out, as the value model gives every account the same purchase rate")
    if placed == 0:
        display.paragraph(
            "Our strength with the customer is not available for any account (see the note above), so there is no "
            f"matrix: accounts are split by attractiveness ({criteria}; 0-100 as a percentile among all accounts) "
            "into attractive and less attractive."
        )
    else:
        unplaced = len(seg) - placed
        display.paragraph(
            f"Attractiveness ({criteria}) against our strength with the customer "
            "(share of wallet, relationship coverage, win rate, tenure), each 0-100 as a percentile among all "
            "accounts. Dot size: revenue of the last 12 months."
            + (
                f" {unplaced} of {len(seg)} accounts have no known strength and are not drawn: they are placed by "
                "attractiveness only."
                if unplaced
                else ""
            )
        )
        display.figure(portfolio_matrix_chart(seg), alt="Portfolio matrix: attractiveness against strength")
    quads = (
        seg.groupby("quadrant").agg(accounts=("account_id", "size"), revenue_ltm=("revenue_ltm", "sum")).reset_index()
    )
    quads["meaning"] = quads["quadrant"].map(QUADRANTS)
    display.table(
        quads,
        columns={
            "quadrant": "Quadrant" if placed else "Attractiveness",
            "accounts": "Accounts",
            "revenue_ltm": "Revenue, 12 months",
            "meaning": "What to do",
        },
        money=["revenue_ltm"],
        currency=formatting.currency_of(bundle),
    )


def _concentration(bundle) -> None:
    """How few accounts make 80% of the revenue, and the concentration curve."""
    curve = bundle.table("segment_concentration")
    if isinstance(curve, pd.DataFrame) and len(curve):
        display.heading("Concentration", 3)
        rev = curve[curve["measure"] == "revenue"]
        if len(rev):
            n_a = int((rev["abc_class"] == "A").sum())
            display.paragraph(
                f"{n_a:,} of {len(rev):,} accounts ({n_a / len(rev):.0%}) make about 80% of the revenue of the last "
                "12 months (class A)."
            )
        if no_cost_booked(bundle) and "measure" in curve.columns:  # the margin curve would lie on the revenue one
            curve = curve[curve["measure"] != "margin"]
            display.figure(concentration_chart(curve), alt="Concentration curve of revenue")
            display.paragraph(
                "No cost is booked on the orders (every cost is 0), so each account's margin equals its revenue and "
                "no margin curve is drawn."
            )
        else:
            display.figure(concentration_chart(curve), alt="Concentration curve of revenue and margin")


def _clusters(bundle) -> None:
    """The behavioural clusters: their profiles as a table and a chart."""
    profiles = bundle.table("segment_profiles")
    display.heading("Behavioural clusters", 3)
    if isinstance(profiles, NotAvailable):
        display.not_available(profiles)
    elif len(profiles):
        if no_cost_booked(bundle):  # every cluster's margin reads 100%: left out of the table and the chart
            profiles = profiles.drop(columns=["median_margin_pct", "mean_margin_pct"], errors="ignore")
        if "median_growth" in profiles and profiles["median_growth"].isna().all():  # no prior 12 months (the note)
            profiles = profiles.drop(columns=["median_growth"])  # an empty column says nothing (CDNOW's 12 months)
        display.table(
            profiles,
            columns={
                "cluster_name": "Cluster",
                "n_accounts": "Accounts",
                "revenue_share": "Share of revenue",
                "median_revenue_ltm": "Median revenue 12m",
                "median_orders_per_month": "Median orders / month",
                "median_categories": "Median categories",
                "median_margin_pct": "Median margin pct",
                "median_growth": "Median growth rate",
            },
            money=["median_revenue_ltm"],
            currency=formatting.currency_of(bundle),
            pct=["revenue_share", "median_margin_pct", "median_growth"],
        )
        display.figure(cluster_profile_chart(profiles), alt="Mean features of each behavioural cluster")


def _lapsed_note(row) -> str:
    """The note ", now lapsed: ..." when the tier rule found the account lapsed (RFM words are relative only),
    read from the segment stage's ``lapsed_months`` (a bundle written before it has none: no note)."""
    months = row.get("lapsed_months")
    if months is None or pd.isna(months):
        return ""
    if str(row.get("rfm_segment", "")).startswith("lapsed"):  # the segment's name says it already
        return f": no order in the last {formatting.code(months)} months"
    return f", now lapsed: no order in the last {formatting.code(months)} months"


def _rfm(bundle, seg: pd.DataFrame) -> None:
    """Accounts and revenue per RFM segment with what each means."""
    rfm = seg.groupby("rfm_segment").agg(accounts=("account_id", "size"), revenue_ltm=("revenue_ltm", "sum"))
    rfm = rfm.sort_values("revenue_ltm", ascending=False).reset_index()
    rfm["meaning"] = rfm["rfm_segment"].map(RFM_SEGMENT_MEANING)
    display.heading("RFM segments", 3)
    display.table(
        rfm,
        columns={
            "rfm_segment": "RFM segment",
            "accounts": "Accounts",
            "revenue_ltm": "Revenue, 12 months",
            "meaning": "Meaning",
        },
        money=["revenue_ltm"],
        currency=formatting.currency_of(bundle),
    )
    note = rfm_in_rhythm_note(seg, _bundle_table(bundle, "churn_features"))
    if note:
        display.paragraph(note)


def rfm_in_rhythm_note(seg: pd.DataFrame, feats) -> str:
    """Under the overview's RFM table, where accounts named as gone quiet ('lost', 'hibernating', 'at risk',
    'cannot lose', the tier rule not finding them lapsed) placed their last order within their usual gap between
    orders (``churn_features``' ``recency_ratio`` at most 1): how many, and that for them the name only ranks, as
    their own pages say. The grocery panel's top 100 at 2017-06-30 read 'lost: 7 accounts', 'hibernating: 5', 'at
    risk: 13', 'cannot lose: 5' with nothing saying that 29 of those 30 households had ordered within their usual
    gap (every household within the last 12 days). Empty where none did or the features are missing."""
    if not isinstance(feats, pd.DataFrame) or not {"account_id", "recency_ratio", "days_since_last_order"} <= set(
        feats.columns
    ):
        return ""
    lapsed = pd.to_numeric(seg["lapsed_months"], errors="coerce") if "lapsed_months" in seg.columns else None
    quiet = seg["rfm_segment"].astype(str).isin(_STOPPED_WORDS) & (lapsed.isna() if lapsed is not None else True)
    quiet_ids = seg.loc[quiet, "account_id"]
    if quiet_ids.empty:
        return ""
    f = feats.drop_duplicates("account_id").set_index("account_id").reindex(quiet_ids)
    ratio = pd.to_numeric(f["recency_ratio"], errors="coerce")
    within = ratio.notna() & (ratio <= 1.0)
    k, m = int(within.sum()), len(quiet_ids)
    if k == 0:
        return ""
    names = [w for w in _STOPPED_WORDS if w in set(seg.loc[quiet, "rfm_segment"].astype(str))]
    named = (
        " or ".join(f"'{w}'" for w in names)
        if len(names) <= 2
        else (", ".join(f"'{w}'" for w in names[:-1]) + f" or '{names[-1]}'")
    )
    days = pd.to_numeric(f.loc[within.to_numpy(), "days_since_last_order"], errors="coerce").max()
    latest = (
        f" (the longest silence among them {formatting.counted(round(float(days)), 'day')})" if pd.notna(days) else ""
    )
    if m == 1:
        who = f"The one account named {named}"
    elif k == m:
        who = f"All {formatting.counted(m, 'account')} named {named}"
    else:
        who = f"{k} of the {formatting.counted(m, 'account')} named {named}"
    return (
        f"{who} placed {'its' if k == 1 else 'their'} last order within {'its' if k == 1 else 'their'} usual gap "
        f"between orders{latest}: for {'it' if k == 1 else 'them'} the name only ranks the last order, order count "
        f"and revenue among the other accounts' and does not say that {'it has' if k == 1 else 'they have'} stopped "
        "buying."
    )

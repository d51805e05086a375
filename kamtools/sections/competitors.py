"""Report sections of the competitor analysis (reads bundle tables; never refits).

Account: threat score and its reasons, share of wallet, bids won and lost against whom
and at what price gap. Portfolio: win rate by competitor with intervals, the price
response of win probability, competitor price index, accounts most under threat.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kamtools import display, formatting
from kamtools.competitors.wallet import over_estimate, share_text
from kamtools.data.portfolio import NotAvailable

BID_COLUMNS = {
    "competitor": "Competitor",
    "n_bids": "Decided bids",
    "wins": "Won",
    "losses": "Lost",
    "win_rate": "Win rate",
    "gap_lost": "Our price gap when lost",
    "gap_won": "Our price gap when won",
    "lost_amount": "Lost value",
    "open_bids": "Open bids",
}


_UNNAMED = ("unknown", "(not recorded)", "", "nan", "none")


def most_value_lost_to(bids: object) -> tuple[str, float, int] | None:
    """The competitor this account lost the most bid value to in the last 24 months, as the plan's win-back
    rule picks it (:mod:`kamtools.plan.facts`, ``value_loss_competitor``): (name, lost value, bids lost), or
    None without a named loss. ``bids`` is the account's ``competitor_account_bids``."""
    if not isinstance(bids, pd.DataFrame) or bids.empty or not {"competitor", "lost_amount"} <= set(bids.columns):
        return None
    x = bids.assign(_v=pd.to_numeric(bids["lost_amount"], errors="coerce"))
    x = x[~x["competitor"].astype(str).str.strip().str.lower().isin(_UNNAMED) & (x["_v"] > 0)]
    if x.empty:
        return None
    top = x.sort_values("_v", ascending=False, kind="stable").iloc[0]
    lost = int(pd.to_numeric(top.get("losses"), errors="coerce") or 0) if "losses" in x.columns else 0
    return str(top["competitor"]), float(top["_v"]), lost


def competitors_apart(
    main: object,
    bids: object,
    currency: str | None = None,
    actions: Sequence[str] = (),
    most_bids_12m: object = None,
) -> str | None:
    """Why the page names more than one competitor: the main one by threat (``main``, the threat score's: the
    most bid value lost in the last 12 months, else the one met most in its bids, else the cheapest price seen
    at the account) beside the one we lost the most bid value to in the last 24 months (the plan's win-back
    rule's) and, when a plan action names it, the one we lost the most bids to in the last 12 months
    (``most_bids_12m``, the bid-pricing rule's). ``actions`` are the texts of the account's plan actions: a
    competitor they name is said to be. None when no other competitor than the main one is named."""
    top = most_value_lost_to(bids)
    main_name = "" if main is None or pd.isna(main) else str(main).strip()
    in_plan = lambda name: any(name in str(a) for a in actions)  # noqa: E731
    others = []
    if top is not None and top[0] != main_name:
        name, value, lost = top
        n = f" in {formatting.counted(lost, 'bid')}" if lost else ""
        named = ", whom the plan's actions name" if in_plan(name) else ""
        others.append(
            f"{name} is the one we lost the most bid value to in the last 24 months "
            f"({formatting.money(value, currency)}{n}){named}"
        )
    many = "" if most_bids_12m is None or pd.isna(most_bids_12m) else str(most_bids_12m).strip()
    if many and many not in (main_name, top[0] if top else "") and in_plan(many):
        others.append(f"{many} is the one we lost the most bids to in the last 12 months, whom the plan's actions name")
    if not others:
        return None
    head = (
        f"{main_name} is the main competitor by threat (the last 12 months' bids, else the competitor prices seen "
        "at this account)"
        if main_name
        else "no competitor stands out by threat (none is named in the last 12 months' bids or prices)"
    )
    return f"Competitors named on this page: {head}; " + "; ".join(others) + "."


def _plan_competitor_facts(acct) -> tuple[list[str], object]:
    """The texts of the account's plan actions and the competitor it lost the most bids to in the last 12 months
    (the KPIs' ``top_loss_competitor``), for :func:`competitors_apart` (empty and None when absent)."""
    actions = acct.table("plan_actions")
    texts = actions["action"].astype(str).tolist() if isinstance(actions, pd.DataFrame) and "action" in actions else []
    kpis = acct.table("kpis")
    many = None
    if isinstance(kpis, pd.DataFrame) and len(kpis) and "top_loss_competitor" in kpis.columns:
        many = kpis["top_loss_competitor"].iloc[0]
    return texts, many


def _band_status(band: object) -> str:
    return {"high": "bad", "medium": "warn", "low": "good"}.get(str(band), "")


def points_change(change: float) -> str:
    """A change of a share in whole points, signed: '+3', '-2', and '0' where it rounds to nothing (the quick demo's
    A0004 read '-0')."""
    pts = round(float(change) * 100)
    return f"{pts:+d}" if pts else "0"


def account_section(acct) -> None:
    """Competitor position of one account: threat and reasons, share of wallet, bids by competitor."""
    display.heading("Competitor position")
    threat = acct.table("competitor_threat")
    sow = acct.table("share_of_wallet")
    bids = acct.table("competitor_account_bids")

    cards: list[tuple] = []
    t_row = threat.iloc[0] if isinstance(threat, pd.DataFrame) and len(threat) else None
    s_row = sow.iloc[0] if isinstance(sow, pd.DataFrame) and len(sow) else None
    if t_row is not None:
        cards.append(("Competitor threat (0-100)", float(t_row["threat_score"]), _band_status(t_row["threat_band"])))
        cards.append(("Main competitor", t_row["main_competitor"] or "none known"))
    if s_row is not None and bool(s_row["wallet_known"]):
        change = s_row["share_of_wallet_change"]
        over = bool(over_estimate(sow).iloc[0])
        status = "bad" if pd.notna(change) and change < -0.05 else "good" if pd.notna(change) and change > 0.02 else ""
        cards.append(("Share of wallet", share_text(s_row["share_of_wallet"]), "" if over else status))
        if over:  # a share over 100% in either year: the estimate is too low to measure a change against
            cards.append(("Share-of-wallet change", "not shown: potential_revenue is below what it bought"))
        elif pd.notna(change):
            cards.append(("Share-of-wallet change (points)", points_change(change)))
        else:  # the 12 months before the last 12 are not (all) in the order history
            cards.append(("Share-of-wallet change", "not enough history"))
    if isinstance(bids, pd.DataFrame) and len(bids):
        cards.append(("Bids won / lost, 24 months", f"{int(bids['wins'].sum())} / {int(bids['losses'].sum())}"))
    if cards:
        display.kpi_cards(cards)

    if isinstance(threat, NotAvailable):
        display.not_available(threat)
    elif t_row is not None:
        display.paragraph(str(t_row["reasons"]))
        apart = competitors_apart(
            t_row["main_competitor"], bids, formatting.currency_of(acct.bundle), *_plan_competitor_facts(acct)
        )
        if apart:
            display.paragraph(apart)

    display.heading("Bids by competitor, last 24 months", 3)
    if isinstance(bids, NotAvailable):
        display.not_available(bids)
    elif bids.empty:
        display.paragraph("No bids for this account were decided or opened in the last 24 months.")
    else:
        shown = bids.assign(
            gap_lost=bids["avg_price_gap_lost"].map(display.signed_pct),
            gap_won=bids["avg_price_gap_won"].map(display.signed_pct),
        )
        display.table(
            shown,
            columns=BID_COLUMNS,
            money=["lost_amount"],
            currency=formatting.currency_of(acct.bundle),
            pct=["win_rate"],
        )
        display.paragraph(
            "Price gap = our quoted price over the competitor's (+5% means we were 5% dearer). "
            "Win rates of fewer than 10 bids are indicative only."
        )
        decided = bids[(bids["wins"] + bids["losses"]) > 0]
        if len(decided):
            from kamtools.plotting.competitors import account_bids_chart

            display.figure(account_bids_chart(decided), alt="bids won and lost by competitor")

    if isinstance(sow, NotAvailable):
        display.not_available(sow)
    elif s_row is not None and not bool(s_row["wallet_known"]):
        display.paragraph(
            "No wallet estimate (potential revenue) is recorded for this account, so share of wallet is unknown."
        )
    elif s_row is not None and pd.isna(s_row["share_of_wallet_change"]):
        display.paragraph(
            acct.bundle.note("share_of_wallet")
            or "The 12 months before the last 12 are not in the order history, so the change in share of wallet "
            "is not shown (not enough history)."
        )


def portfolio_section(bundle) -> None:
    """Competitors in the management overview: win/loss with intervals, price response, price index, threats."""
    display.heading("Competitors")
    _winloss(bundle)
    _price_response(bundle)
    _price_position(bundle)
    _threats(bundle)
    _share_of_wallet(bundle)


def _winloss(bundle) -> None:
    """Win rate overall and by competitor, with intervals and price gaps."""
    wl = bundle.table("competitor_winloss")
    if isinstance(wl, NotAvailable):
        display.not_available(wl)
    else:
        from kamtools.plotting.competitors import winloss_chart

        _winloss_sentence(wl)
        display.figure(winloss_chart(wl), alt="win rate by competitor with 95% intervals")
        shown = wl.assign(
            gap_won=wl["avg_price_gap_won"].map(display.signed_pct),
            gap_lost=wl["avg_price_gap_lost"].map(display.signed_pct),
        )
        display.table(
            shown,
            columns={
                "competitor": "Competitor",
                "n": "Decided bids",
                "win_rate": "Win rate",
                "ci_low": "CI low (rate)",
                "ci_high": "CI high (rate)",
                "small_sample": "Small sample",
                "gap_won": "Price gap when won",
                "gap_lost": "Price gap when lost",
                "lost_amount": "Lost value",
            },
            money=["lost_amount"],
            currency=formatting.currency_of(bundle),
            pct=["win_rate", "ci_low", "ci_high"],
        )


def _winloss_sentence(wl: pd.DataFrame) -> None:
    """Overall win rate and the hardest competitor, in one paragraph."""
    overall = wl[wl["competitor"] == "All competitors"]
    named = wl[~wl["competitor"].isin(["All competitors", "(not recorded)"])]
    if len(overall) and len(named):
        o = overall.iloc[0]
        worst = named.sort_values("win_rate").iloc[0]
        gap = worst["avg_price_gap_lost"]
        gap_text = (
            f", quoting on average {abs(gap):.0%} {'above' if gap >= 0 else 'below'} them in the bids we lost"
            if pd.notna(gap)
            else ""
        )
        display.paragraph(
            f"We won {o['win_rate']:.0%} of {int(o['n']):,} decided bids "
            f"(95% interval {o['ci_low']:.0%}-{o['ci_high']:.0%}). Hardest competitor: {worst['competitor']}, "
            f"against whom we won {worst['win_rate']:.0%} of {int(worst['n']):,} bids{gap_text}."
        )


def _price_response(bundle) -> None:
    """How the win probability moves with our price premium: sentence, chart, coefficients."""
    display.heading("Price and win probability", 3)
    pr = bundle.table("competitor_price_response")
    if isinstance(pr, NotAvailable):
        display.not_available(pr)
    else:
        from kamtools.competitors import price_response_sentence
        from kamtools.plotting.competitors import price_response_chart

        display.paragraph(price_response_sentence(pr))
        display.figure(price_response_chart(pr), alt="win probability by price premium")
        coef = pr[pr["kind"] == "coefficient"]
        display.table(
            coef,
            columns={
                "term": "Term",
                "value": "Coefficient (log-odds)",
                "ci_low": "95% CI low",
                "ci_high": "95% CI high",
                "p_value": "p-value",
            },
        )


def _price_position(bundle) -> None:
    """The competitors' price index over time and the latest premium per competitor."""
    display.heading("Price position", 3)
    idx = bundle.table("competitor_price_index")
    if isinstance(idx, NotAvailable):
        display.not_available(idx)
    else:
        from kamtools.plotting.competitors import price_index_chart

        display.figure(price_index_chart(idx), alt="competitor price index over time")
        allc = idx[idx["category"] == "All categories"]
        latest = allc.sort_values("period_start").groupby("competitor").tail(1)
        display.table(
            latest.assign(gap=latest["price_gap"].map(display.signed_pct)),
            columns={
                "competitor": "Competitor",
                "period": "Latest period",
                "price_index": "Their price, % of ours",
                "gap": "Our premium",
                "n_obs": "Observations",
            },
        )


def _threats(bundle) -> None:
    """Threat bands as cards and the 15 accounts most under threat."""
    display.heading("Accounts most under threat", 3)
    threat = bundle.table("competitor_threat")
    if isinstance(threat, NotAvailable):
        display.not_available(threat)
    else:
        counts = threat["threat_band"].value_counts()
        display.kpi_cards(
            [
                ("High threat accounts", int(counts.get("high", 0)), "bad"),
                ("Medium threat accounts", int(counts.get("medium", 0)), "warn"),
                ("Low threat accounts", int(counts.get("low", 0)), "good"),
            ]
        )
        if note := bundle.note("competitor_threat"):  # no prior year: the wallet evidence is left out
            display.paragraph(note)
        top = threat.nlargest(15, "threat_score")
        accounts = bundle.accounts
        if isinstance(accounts, pd.DataFrame) and "name" in accounts.columns:
            top = top.merge(accounts[["account_id", "name"]], on="account_id", how="left")
        display.table(
            top,
            columns={
                "account_id": "Account",
                "name": "Name",
                "threat_score": "Threat score",
                "main_competitor": "Main competitor",
                "reasons": "Why",
            },
            max_rows=15,
        )


def _share_of_wallet(bundle) -> None:
    """How many accounts have a wallet estimate, the median share and how many lost share."""
    sow = bundle.table("share_of_wallet")
    if isinstance(sow, NotAvailable):
        display.not_available(sow)
    else:
        known = sow[sow["wallet_known"]]
        if known.empty:
            display.paragraph("No account has a wallet estimate, so share of wallet is unknown.")
            return
        head = f"Share of wallet is known for {len(known):,} of {len(sow):,} accounts"
        over = over_estimate(known)
        if over.any():  # a share over 100%: the wallet estimate is below what the account bought
            head += (
                f"; {int(over.sum()):,} of them bought more than their wallet estimate (potential_revenue) in a "
                "year, so the estimate is too low and their share is left out"
            )
            known = known[~over]
            if known.empty:
                display.paragraph(head + ".")
                return
            head += f"; median {known['share_of_wallet'].median():.0%} of the {len(known):,} others. "
        else:
            head += f"; median {known['share_of_wallet'].median():.0%}. "
        falling = int((known["share_of_wallet_change"] < -0.05).sum())
        if known["share_of_wallet_change"].isna().all():  # the prior 12 months are not in the order history
            display.paragraph(
                head
                + (
                    bundle.note("share_of_wallet")
                    or "The change on the prior 12 months is not shown: the order history does not cover them."
                )
            )
            return
        display.paragraph(
            head
            + f"{formatting.counted(falling, 'account')} lost more than 5 points of share of wallet on the prior 12 months."
        )

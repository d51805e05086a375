"""The group report (a global account plan): one parent account with every unit below it.

``kamtools reports`` renders ``kamtools/notebooks/group_report.ipynb`` once per parent account
(every level: a group, a region under it). Each cell calls :func:`group` with a key of
:data:`GROUP_SECTIONS`; like the account report's sections, a section reads only bundle
tables (``accounts``, ``group_rollup``, ``group_forecast``, ``opportunity_map``,
``relationship_map``, ``coverage_findings``, ``plan_actions``, ``plan_risks``,
``forecast_history``), draws with :mod:`kamtools.display` (every string escaped) and, when
its analysis is missing, says why instead of breaking the page.

The hierarchy comes from ``accounts.parent_account_id`` (:mod:`kamtools.groups.tree`); a
portfolio without parents has no group, so no group report is made and nothing else changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from kamtools import display, formatting, sections
from kamtools.competitors.wallet import share_text
from kamtools.data.portfolio import NotAvailable
from kamtools.groups.opportunity import UNCALIBRATED_NOTE, chance_words
from kamtools.sections import Section, _section_failed, _setup_page
from kamtools.sections.whitespace import min_useful_p

__all__ = [
    "GROUP_SECTIONS",
    "GroupView",
    "group_ids",
    "group_links",
    "open_group",
    "group_view",
    "key_points",
    "gap_sentence",
    "group_header",
    "group",
    "units_frame",
    "top_groups",
]

GROUP_SECTIONS: tuple[Section, ...] = (
    Section("summary", "Group summary", "groups"),
    Section("units", "Units of the group", None),
    Section("opportunities", "Opportunity map: what each unit buys, and the gaps", "groups"),
    Section("relationships", "Relationship map across the group", "relationships"),
    Section("actions", "Risks and actions across units", "plan"),
)
_BY_KEY = {s.key: s for s in GROUP_SECTIONS}

MAX_UNITS_SHOWN = 40
MAX_CATEGORIES = 12
TOP_GAPS = 5
TOP_ACTIONS = 10
TOP_FINDINGS = 12
SMALL_GAP = 0.05  # gaps under this share of the group's largest gap are left blank in the map
# under the map where no past year could calibrate the adoption chance (the stage's UNCALIBRATED_NOTE)
UNCALIBRATED_SENTENCE = (
    "The history is too short to test on past data how often such gaps are closed (that needs two years with "
    "adoptions and misses), so each gap is weighted by a score, the share of its sister units that buy the category "
    "(pulled towards how many accounts buy it anywhere), not by a tested chance: read the amounts as a ranking of "
    "where to look first, not as revenue to plan with."
)


def _text(value: object, missing: str = "") -> str:
    return missing if formatting.is_missing(value) else str(value)


def _num(value: object) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def hierarchy_of(accounts: pd.DataFrame) -> pd.DataFrame:
    """The account hierarchy (:func:`kamtools.groups.tree.hierarchy`) of a bundle's accounts table."""
    from kamtools.groups.tree import hierarchy

    return hierarchy(accounts)


def group_ids(accounts: pd.DataFrame) -> list[str]:
    """The parent accounts of a bundle's accounts table (every level), sorted; [] without parents."""
    if "parent_account_id" not in accounts.columns or not accounts["parent_account_id"].notna().any():
        return []
    known = set(accounts["account_id"])
    parents = set(accounts["parent_account_id"].dropna())
    return sorted(parents & known)


def group_links(accounts: pd.DataFrame, account_id: str) -> list[tuple[str, str]]:
    """(group id, name) of every parent above ``account_id``, top-most first; [] for a stand-alone account."""
    if "parent_account_id" not in accounts.columns:
        return []
    parents = {a: p for a, p in zip(accounts["account_id"], accounts["parent_account_id"], strict=True) if _text(p)}
    names = {a: _text(n, a) or a for a, n in zip(accounts["account_id"], accounts["name"], strict=True)}
    chain: list[str] = []
    node = account_id
    while node in parents and parents[node] not in chain and parents[node] != account_id:
        node = parents[node]
        chain.append(node)
    return [(g, names.get(g, g)) for g in reversed(chain)]


@dataclass
class GroupView:
    """One parent account and the accounts below it (all levels)."""

    bundle: object
    group_id: str
    info: dict
    hier: pd.DataFrame
    members: list[str]  # the group itself and every account below it
    accounts: pd.DataFrame  # the members' rows of the bundle's accounts table
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return _text(self.info.get("name"), self.group_id) or self.group_id

    @property
    def currency(self) -> str | None:
        return formatting.currency_of(self.bundle)

    def money(self, value: object) -> str:
        return formatting.money(value, self.currency)

    def table(self, name: str) -> pd.DataFrame | NotAvailable:
        """The members' rows of bundle table ``name`` (by ``account_id``), or NotAvailable."""
        if name not in self._cache:
            df = self.bundle.table(name)
            if not isinstance(df, NotAvailable) and "account_id" in df.columns:
                df = df[df["account_id"].isin(self.members)].reset_index(drop=True)
            self._cache[name] = df
        return self._cache[name]

    def names(self) -> dict[str, str]:
        return {a: _text(n, a) or a for a, n in zip(self.accounts["account_id"], self.accounts["name"], strict=True)}

    def sub_groups(self) -> list[str]:
        """Parents below this group (e.g. its regions), in id order."""
        below = self.hier[self.hier["account_id"].isin(self.members) & self.hier["is_group"]]
        return sorted(a for a in below["account_id"] if a != self.group_id)


def open_group(path: str, group_id: str) -> GroupView:
    """The group view of parent account ``group_id`` in the bundle at ``path``; KeyError when it is no parent."""
    from kamtools.sections import open_bundle

    return group_view(open_bundle(path), group_id)


def group_view(bundle, group_id: str) -> GroupView:
    """The group view of parent account ``group_id`` in an open bundle; KeyError when it is no parent."""
    from kamtools.groups.tree import descendants

    accounts = bundle.accounts
    gid = str(group_id)  # the caller's id (e.g. a report parameter); the bundle's ids are str
    if gid not in group_ids(accounts):
        raise KeyError(f"account {gid!r} has no units in the bundle at {bundle.path}, so it has no group report")
    hier = hierarchy_of(accounts)
    members = descendants(hier, gid, include_self=True)
    rows = accounts[accounts["account_id"].isin(members)].reset_index(drop=True)
    info = accounts[accounts["account_id"] == gid].iloc[0].to_dict()
    return GroupView(bundle, gid, info, hier, members, rows)


# ---- the page ---------------------------------------------------------------------------------------


def _show(markup: str) -> str:
    return display._show(markup)


def _link(href: str, text: str) -> str:
    return f'<a href="{display.esc(href)}">{display.esc(text)}</a>'


def group_header(gv: GroupView) -> None:
    """Stylesheet, the group's name as the title, who it is (units, countries, KAM, parent) and the contents."""
    from kamtools.reports.state import group_href_from_report

    _setup_page()
    below = gv.hier[gv.hier["account_id"].isin(gv.members) & (gv.hier["account_id"] != gv.group_id)]
    n_units, n_levels = int((~below["is_group"]).sum()), int(below["is_group"].sum())
    from kamtools.groups.tree import units_text

    bits = [f"Global account plan for {gv.group_id}", units_text(n_units)]
    if n_levels:
        bits[-1] += f" under {formatting.counted(n_levels, 'sub-group')}"
    if "country" in gv.accounts.columns:
        countries = gv.accounts["country"].dropna().astype(str).unique()
        if len(countries):
            bits.append(f"{len(countries)} {'country' if len(countries) == 1 else 'countries'}")
    if _text(gv.info.get("owner")):
        bits.append(f"KAM: {gv.info['owner']}")
    bits.append(f"data as of {gv.bundle.as_of.date()}")
    display.title(gv.name, " · ".join(bits))
    above = group_links(gv.bundle.accounts, gv.group_id)
    if above:
        links = " > ".join(_link(group_href_from_report(g), n) for g, n in above)
        _show(f'<p class="kam-p">Part of {links}.</p>')
    display.contents((s.key, s.title) for s in GROUP_SECTIONS)


def group(section_key: str, gv: GroupView) -> None:
    """Render one section of the group report (a failing section shows an error line, as in account reports)."""
    section = _BY_KEY.get(section_key)
    if section is None:
        raise KeyError(f"unknown group report section {section_key!r}; known: {sorted(_BY_KEY)}")
    display.anchor(section.key)
    try:
        _SECTIONS[section_key](gv)
    except Exception as exc:
        if sections.STRICT:
            raise
        _section_failed(section, exc)


def _rollup_row(gv: GroupView) -> pd.Series | NotAvailable | None:
    roll = gv.bundle.table("group_rollup")
    if isinstance(roll, NotAvailable):
        return roll
    rows = roll[roll["account_id"] == gv.group_id]
    return rows.iloc[0] if len(rows) else None


def _group_cards(row: pd.Series, gv: GroupView) -> list[tuple[str, str, str]]:
    money = gv.money
    cards: list[tuple[str, str, str]] = []
    revenue = _num(row.get("revenue_12m"))
    growth = _num(row.get("growth"))
    text = money(revenue)
    if growth is not None:
        text += f" ({formatting.pct(growth, signed=True)} on the year before)"
    cards.append(("Revenue, last 12 months", text, "bad" if growth is not None and growth <= -0.1 else ""))
    forecast = _num(row.get("forecast_12m"))
    if forecast is not None:
        lo, hi = _num(row.get("forecast_low")), _num(row.get("forecast_high"))
        text = money(forecast) + (
            f" (80% range {money(lo)} to {money(hi)})" if lo is not None and hi is not None else ""
        )
        status = ""
        if revenue and revenue > 0:
            change = forecast / revenue - 1
            status = "bad" if change <= -0.2 else "warn" if change <= -0.05 else ""
        cards.append(("Forecast revenue, next 12 months", text, status))
    p = _num(row.get("p_reach_target"))
    target = _num(row.get("target"))
    if p is not None and target:
        cards.append(
            (
                f"Chance to reach the {_target_year(gv)} target of {money(target)}",
                formatting.pct(p),
                "good" if p >= 0.6 else "warn" if p >= 0.3 else "bad",
            )
        )
    at_risk = _num(row.get("revenue_at_risk"))
    if at_risk is not None:
        share = f" ({formatting.pct(at_risk / revenue)} of revenue)" if revenue else ""
        cards.append(("Revenue at risk, all units", money(at_risk) + share, "warn" if at_risk > 0 else ""))
    margin = _num(row.get("margin_pct"))
    if margin is not None:
        cards.append(("Margin, last 12 months", formatting.margin_pct(margin), "bad" if margin < 0 else ""))
    return cards


def _group_facts(row: pd.Series, gv: GroupView) -> list[str]:
    money = gv.money
    facts = []
    for col, label in (
        ("pipeline_open", "Open pipeline"),
        ("receivables_open", "Open receivables"),
        ("receivables_overdue", "of which overdue"),
    ):
        v = _num(row.get(col))
        if v is not None:
            facts.append(f"{label}: {money(v)}")
    complaints = _num(row.get("complaints_open"))
    if complaints is not None:
        facts.append(f"Open complaints: {formatting.count(complaints)}")
    sow = _num(row.get("share_of_wallet"))
    if sow is not None:
        facts.append(f"Share of wallet: {share_text(sow)}")
    no_contact = _num(row.get("n_units_no_contact"))
    if no_contact:
        facts.append(f"Units with no contact at all: {formatting.count(no_contact)}")
    return facts


def summary_section(gv: GroupView) -> None:
    """The roll-up figures of the whole group and its reconciled forecast with the method sentence."""
    display.heading("Group summary")
    row = _rollup_row(gv)
    if isinstance(row, NotAvailable) or row is None:
        reason = row if row is not None else "The group roll-up has no row for this account."
        display.not_available(reason)
        revenue = pd.to_numeric(gv.accounts.get("revenue_ltm"), errors="coerce").sum()
        display.paragraph(f"Revenue of the group's accounts, last 12 months (summed here): {gv.money(revenue)}.")
        return
    display.kpi_cards(_group_cards(row, gv))
    facts = _group_facts(row, gv)
    if facts:
        display.paragraph(" · ".join(facts))
    own = _num(gv.info.get("revenue_ltm"))
    if own:
        display.paragraph(
            f"{gv.name} also orders itself ({gv.money(own)} in the last 12 months); the group figures include it once."
        )
    points = key_points(gv, row)
    if points:
        display.heading("What stands out", level=3)
        display.bullets(points)
    _forecast_chart(gv, row)
    method = _text(row.get("reconciliation")).strip()
    if method:  # beside the chart: how the group's forecast and its range are made from the units'
        display.paragraph(f"How the group forecast is made: {method.rstrip('.')}.")


def key_points(gv: GroupView, row: pd.Series) -> list[str]:
    """A few sentences a KAM reads before the review: where the revenue sits, the gap to target, where the
    risk sits, the largest cross-sell gap and the most severe coverage gap (each only when the bundle has it)."""
    names = gv.names()
    points: list[str] = []
    units = units_frame(gv)
    revenue = _num(row.get("revenue_12m")) or 0.0
    if len(units) > 1 and revenue > 0:
        first = units.iloc[0]
        share = float(first["revenue_ltm"] or 0.0) / revenue
        points.append(
            f"{names.get(first['account_id'], first['account_id'])} brings {formatting.pct(share)} of the group's "
            f"revenue; the other {formatting.count(len(units) - 1)} units bring the rest."
        )
    outlook = _year_outlook(gv, row, set(units["account_id"]))
    if outlook:
        points.append(outlook)
    at_risk = _num(row.get("revenue_at_risk")) or 0.0
    if at_risk > 0 and "revenue_at_risk" in units.columns:
        risky = units.assign(r=pd.to_numeric(units["revenue_at_risk"], errors="coerce")).sort_values(
            ["r", "account_id"], ascending=[False, True]
        )
        top = risky.iloc[0]
        if _num(top["r"]):
            points.append(
                f"{formatting.pct(float(top['r']) / at_risk)} of the revenue at risk is at "
                f"{names.get(top['account_id'], top['account_id'])} ({gv.money(top['r'])} of {gv.money(at_risk)})."
            )
    gap = _gap_point(gv)
    if gap:
        points.append(gap)
    findings = gv.table("coverage_findings")
    if not isinstance(findings, NotAvailable) and len(findings):
        high = findings[findings["severity"].astype(str) == "high"]
        worst = (high if len(high) else findings).iloc[0]
        where = names.get(worst["account_id"], worst["account_id"])
        points.append(
            f"{formatting.counted(len(findings), 'relationship coverage finding')} ({formatting.count(len(high))} high); "
            f"most severe at {where}: {_text(worst.get('evidence'))}"
        )
    return points


def _target_year(gv: GroupView) -> int:
    """The year whose targets the roll-up's target and chance are of (the groups stage takes the as-of year)."""
    return pd.Timestamp(gv.bundle.as_of).year


def _year_outlook(gv: GroupView, row: pd.Series, units: set[str]) -> str | None:
    """The expected total of the target's year of ``units`` (the group's account ids) against the target, with
    the chance the summary card shows; None without a target or the forecast stage's year totals. Not the next 12
    months' forecast: in October that is mostly next year, and the demo's Vista Water Group read 'The forecast
    reaches the group's target' beside a 7% chance to reach it."""
    target, year = _num(row.get("target")), _target_year(gv)
    totals = gv.table("forecast_targets")
    if not target or isinstance(totals, NotAvailable) or totals.empty:
        return None
    rows = totals[
        totals["account_id"].isin(units)
        & (pd.to_numeric(totals["period"], errors="coerce") == year)
        & pd.to_numeric(totals["revenue_target"], errors="coerce").notna()
    ]
    if rows.empty:
        return None
    expected = float(pd.to_numeric(rows["expected_total"], errors="coerce").sum())
    text = (
        f"Its units with a {year} target are expected to book {gv.money(expected)} in {year} against that target of "
        f"{gv.money(target)} ({formatting.pct(expected / target)})"
    )
    if expected < target:
        text += f", {gv.money(target - expected)} short"
    p = _num(row.get("p_reach_target"))
    return text + (f"; the chance to reach it is {formatting.pct(p)}." if p is not None else ".")


def calibrated_map(gv: GroupView) -> bool:
    """Whether the opportunity map's ``p_adopt`` is a chance calibrated on a past year's adoptions (else the score
    itself: the stage's note says so, :data:`kamtools.groups.opportunity.UNCALIBRATED_NOTE`)."""
    note = gv.bundle.note("opportunity_map") if hasattr(gv.bundle, "note") else None
    return not (isinstance(note, str) and UNCALIBRATED_NOTE in note)


def _at_least(threshold: str, calibrated: bool) -> str:
    """ "at least a 10% chance of adoption", or "a score of at least 10%" where the map is not calibrated."""
    return f"at least a {threshold} chance of adoption" if calibrated else f"a score of at least {threshold}"


def _gap_point(gv: GroupView) -> str | None:
    """The largest cross-sell gap with a useful adoption probability (or that none has one); None without gaps."""
    opp = gv.table("opportunity_map")
    if isinstance(opp, NotAvailable) or opp.empty:
        return None
    gaps = _open_gaps(opp)
    if gaps.empty:
        return None
    calibrated = calibrated_map(gv)
    threshold = formatting.pct(min_useful_p())
    likely = gaps[gaps["likely"]]
    n = len(gaps)
    if likely.empty:
        which = "The only cross-sell gap has" if n == 1 else f"None of the {formatting.count(n)} cross-sell gaps has"
        return f"{which} {_at_least(threshold, calibrated)}" + (" in the next 12 months." if calibrated else ".")
    g = likely.iloc[0]
    share = (
        "it is the only gap"
        if n == 1
        else (
            f"{formatting.count(len(likely))} of the {formatting.count(n)} gaps {'has' if len(likely) == 1 else 'have'} "
            f"{_at_least(threshold, calibrated)}"
        )
    )
    figure = (
        f"{formatting.pct(g['p'])} chance" if calibrated else f"score {formatting.pct(g['p'])}, not a tested chance"
    )
    return (
        f"Largest cross-sell gap: {g['category']} at {gv.names().get(g['account_id'], g['account_id'])}, "
        f"expected {gv.money(g['ev'])} a year ({figure}; {share})."
    )


def _forecast_chart(gv: GroupView, row: pd.Series) -> None:
    from kamtools.plotting.forecast import forecast_chart

    fc = gv.bundle.table("group_forecast")
    if isinstance(fc, NotAvailable):
        display.not_available(fc)
        return
    fc = fc[fc["unique_id"] == gv.group_id]
    if fc.empty:
        display.paragraph("No group forecast: the units have no complete month of orders to forecast from.")
        return
    fc = fc.rename(columns={"y_hat": "forecast", "y_low": "lo_80", "y_high": "hi_80"})
    hist = gv.table("forecast_history")
    if isinstance(hist, NotAvailable) or hist.empty:
        hist = pd.DataFrame({"ds": pd.Series(dtype="datetime64[ns]"), "y": pd.Series(dtype=float)})
    else:
        hist = hist.groupby("ds", as_index=False)["y"].sum()
    fig = forecast_chart(
        hist,
        fc[["ds", "forecast", "lo_80", "hi_80"]],
        title="Monthly revenue of the whole group: actuals and forecast",
        currency=gv.currency,
    )
    display.figure(fig, alt="monthly revenue of the group with its reconciled forecast and 80% interval")


def units_frame(gv: GroupView) -> pd.DataFrame:
    """The group's trading units (accounts with no unit below them, and any parent with orders of its own),
    largest revenue first, with ``via`` (the levels between the group and the unit)."""
    acc = gv.accounts
    hier = gv.hier.set_index("account_id")
    is_group = acc["account_id"].map(hier["is_group"]).fillna(False).astype(bool)
    revenue = pd.to_numeric(acc.get("revenue_ltm", pd.Series(0.0, index=acc.index)), errors="coerce").fillna(0.0)
    keep = ~is_group | (revenue > 0)
    names = gv.names()
    units = acc[keep].copy()
    units["own_orders"] = is_group[keep].to_numpy()

    def via(account_id: str) -> str:
        path = str(hier.loc[account_id, "path"]).split(" > ")
        if gv.group_id not in path:
            return ""
        between = path[path.index(gv.group_id) + 1 : -1]
        return " > ".join(names.get(a, a) for a in between)

    units["via"] = units["account_id"].map(via)
    units["revenue_ltm"] = pd.to_numeric(units.get("revenue_ltm"), errors="coerce")
    return units.sort_values(["revenue_ltm", "account_id"], ascending=[False, True], na_position="last")


def _cell(text: str, cls: str = "") -> str:
    if cls == "num":  # a figure never breaks between its number and its band
        return f'<td class="num" style="white-space: nowrap">{display.esc(text)}</td>'
    return f'<td class="{cls}">{display.esc(text)}</td>' if cls else f"<td>{display.esc(text)}</td>"


def units_section(gv: GroupView) -> None:
    """Each unit's revenue, growth, forecast, risk and a link to its report; the sub-groups' plans."""
    from kamtools.reports.state import account_href_from_report, group_href_from_report

    display.heading("Units of the group")
    units = units_frame(gv)
    names = gv.names()
    subs = gv.sub_groups()
    if subs:
        links = ", ".join(_link(group_href_from_report(s), names.get(s, s)) for s in subs)
        _show(f'<p class="kam-p">Plans of the levels in between: {links}.</p>')
    if units.empty:
        display.paragraph("No unit of this group has a row in the bundle.")
        return
    has = set(units.columns)
    show_via = units["via"].astype(bool).any()
    heads = ["Unit", "Country"] + (["Via"] if show_via else [])
    # growth needs the 12 months before the last 12: on a shorter history no unit has one, and an empty column
    # would read as a fault; the sentence under the table says why it is left out
    growth = pd.to_numeric(units.get("growth_pct", pd.Series(dtype=float)), errors="coerce").notna().any()
    heads += ["Revenue, last 12 months"] + (["Growth on the 12 months before"] if growth else [])
    heads += ["Forecast, next 12 months"] if "forecast_next_12m" in has else []
    heads += ["Churn risk", "Revenue at risk"] if "revenue_at_risk" in has else []
    rows = []
    for _, r in units.head(MAX_UNITS_SHOWN).iterrows():
        name = names.get(r["account_id"], r["account_id"])
        label = f"{name} (own orders)" if r["own_orders"] else name
        cells = f"<td>{_link(account_href_from_report(r['account_id']), label)}</td>"
        cells += _cell(_text(r.get("country")))
        if show_via:
            cells += _cell(_text(r["via"]))
        cells += _cell(gv.money(r.get("revenue_ltm")), "num")
        if growth:
            cells += _cell(formatting.pct(r.get("growth_pct"), signed=True), "num")
        if "forecast_next_12m" in has:
            cells += _cell(gv.money(r.get("forecast_next_12m")), "num")
        if "revenue_at_risk" in has:
            p = _num(r.get("churn_probability"))
            band = _text(r.get("risk_band"))
            risk = formatting.pct(p) if p is not None else ""
            risk = f"{risk} ({band})" if risk and band else risk or band
            cells += _cell(risk, "num")
            cells += _cell(gv.money(r.get("revenue_at_risk")), "num")
        rows.append(f"<tr>{cells}</tr>")
    head = "".join(f"<th>{display.esc(h)}</th>" for h in heads)
    _show(f'<table class="kam-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    more = len(units) - MAX_UNITS_SHOWN
    if more > 0:
        display.paragraph(f"{more} smaller units not shown; each has its own report.")
    total = float(units["revenue_ltm"].fillna(0.0).sum())
    display.paragraph(
        f"{formatting.count(len(units))} trading units, {gv.money(total)} in the last 12 months together "
        "(each counted once; the levels in between only add their units up)."
        + (
            ""
            if growth
            else " No unit's growth is shown: the order history does not reach back to the 12 months before."
        )
    )


def _heat_style(value: float, top: float) -> str:
    """Inline background for a gap cell: stronger amber for a larger expected value."""
    share = 0.15 + 0.6 * (value / top if top > 0 else 0.0)
    return f"background: rgba(230, 159, 0, {min(share, 0.75):.2f})"


def opportunities_section(gv: GroupView) -> None:
    """Units x categories: what each unit buys, the gaps its sister units fill, with expected value;
    then the largest gaps worth a KAM's time."""
    display.heading("Opportunity map: what each unit buys, and the gaps")
    opp = gv.table("opportunity_map")
    if isinstance(opp, NotAvailable):
        display.not_available(opp)
        return
    if opp.empty:
        display.paragraph("The opportunity map has no row for this group's units.")
        return
    opp = opp.assign(
        category=opp["category"].astype(str),
        expected_value=pd.to_numeric(opp["expected_value"], errors="coerce").fillna(0.0),
    )
    country = dict(zip(gv.accounts["account_id"], gv.accounts.get("country", pd.Series(dtype=object))))
    _opportunity_map(gv, opp, country)
    if not calibrated_map(gv):
        display.paragraph(UNCALIBRATED_SENTENCE)
    gaps = _open_gaps(opp)
    if gaps.empty:
        display.paragraph("No gap with a positive expected value: every unit buys what its sisters buy.")
        return
    _largest_gaps(gv, gaps, country)


def _map_columns(opp: pd.DataFrame, buys: pd.Series) -> list[str]:
    """The categories that matter most: bought by most units, then the largest gaps (a category no unit
    buys and with no gap says nothing: left out)."""
    weight = opp.assign(b=buys).groupby("category").agg(n=("b", "sum"), ev=("expected_value", "sum"))
    weight = weight[(weight["n"] > 0) | (weight["ev"] > 0)]
    return weight.sort_values(["n", "ev"], ascending=[False, False]).head(MAX_CATEGORIES).index.tolist()


def _opportunity_map(gv: GroupView, opp: pd.DataFrame, country: dict) -> None:
    """The heat map (units x categories) and the sentence that reads it."""
    names = gv.names()
    buys = opp["buys"].fillna(False).astype(bool)
    cats = _map_columns(opp, buys)
    unit_rev = opp.groupby("account_id")["unit_revenue_12m"].max().sort_values(ascending=False)
    unit_ids = unit_rev.index.tolist()[:MAX_UNITS_SHOWN]
    cell = {(a, c): (b, ev) for a, c, b, ev in zip(opp["account_id"], opp["category"], buys, opp["expected_value"])}
    top = float(opp.loc[~buys, "expected_value"].max()) if (~buys).any() else 0.0
    floor = SMALL_GAP * top  # gaps this small would only clutter the map: left blank (and said so)
    nowrap = ' style="overflow-wrap: normal; word-break: normal"'  # category names break between words only
    head = f"<th>Unit</th><th{nowrap}>Country</th>" + "".join(f"<th{nowrap}>{display.esc(c)}</th>" for c in cats)
    rows = []
    for a in unit_ids:
        cells = _cell(names.get(a, a)) + _cell(_text(country.get(a)))
        for c in cats:
            b, ev = cell.get((a, c), (None, 0.0))
            if b:
                cells += '<td class="num" style="background: rgba(0, 158, 115, 0.28)">buys</td>'
            elif b is None or ev <= 0 or ev < floor:
                cells += "<td></td>"
            else:
                cells += f'<td class="num" style="{_heat_style(ev, top)}">{display.esc(gv.money(ev))}</td>'
        rows.append(f"<tr>{cells}</tr>")
    _show(
        '<table class="kam-table kam-heat"><thead><tr>' + head + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    small = int(((~buys) & (opp["expected_value"] > 0) & (opp["expected_value"] < floor)).sum())
    display.paragraph(
        "Green: the unit buys the category. Amber: a gap its sister units fill, with the expected value of closing "
        "it for a year (darker = larger)."
        + (f" {formatting.count(small)} gaps worth less than {gv.money(floor)} a year are left blank." if small else "")
    )


def _open_gaps(opp: pd.DataFrame) -> pd.DataFrame:
    """The gaps of an ``opportunity_map`` (a unit does not buy a category its sisters buy; positive expected
    value) with ``ev`` (the expected value: adoption probability x first-year spend, so already
    probability-weighted), ``p`` (the adoption probability) and ``likely`` (``p`` at least
    :data:`kamtools.whitespace.MIN_USEFUL_P`, the probability from which the account reports recommend a
    category), largest expected value first."""
    ev = pd.to_numeric(opp["expected_value"], errors="coerce").fillna(0.0)
    p = (
        pd.to_numeric(opp["p_adopt"], errors="coerce")
        if "p_adopt" in opp.columns
        else pd.Series(float("nan"), opp.index)
    )
    gaps = opp.assign(ev=ev, p=p, likely=p >= min_useful_p())[~opp["buys"].fillna(False).astype(bool) & (ev > 0)]
    return gaps.sort_values(["ev", "account_id", "category"], ascending=[False, True, True])


def _largest_gaps(gv: GroupView, gaps: pd.DataFrame, country: dict) -> None:
    """The largest gaps with a useful adoption probability, and one sentence on the gaps left out."""
    names = gv.names()
    threshold = formatting.pct(min_useful_p())
    calibrated = calibrated_map(gv)
    shown = gaps[gaps["likely"]].head(TOP_GAPS)
    display.heading("Largest gaps", level=3)
    if shown.empty:
        when = " in the next 12 months (the probability from which" if calibrated else " (the figure from which"
        display.paragraph(
            f"No gap has {_at_least(threshold, calibrated)}{when} the account reports recommend a category); the "
            f"{_gaps_worth(gv, gaps, calibrated)}."
        )
        return
    lines = []
    for _, g in shown.iterrows():
        where = names.get(g["account_id"], g["account_id"])
        if _text(country.get(g["account_id"])):
            where += f" ({country[g['account_id']]})"
        lines.append(f"{where}, {g['category']}: {gap_sentence(g, gv.currency, calibrated).rstrip('.')}.")
    display.bullets(lines)
    display.paragraph(_left_out_sentence(gv, gaps, len(shown), threshold, calibrated))


def _gaps_worth(gv: GroupView, gaps: pd.DataFrame, calibrated: bool = True) -> str:
    """ "16 gaps are worth €10.3k a year together, probability-weighted" ("weighted by their scores" where the map
    is not calibrated)."""
    n = len(gaps)
    weighted = (
        "probability-weighted" if calibrated else ("weighted by their scores" if n > 1 else "weighted by its score")
    )
    return f"{formatting.count(n)} {'gap is' if n == 1 else 'gaps are'} worth {gv.money(gaps['ev'].sum())} a year " + (
        f"together, {weighted}" if n > 1 else f"({weighted})"
    )


def _left_out_sentence(gv: GroupView, gaps: pd.DataFrame, n_shown: int, threshold: str, calibrated: bool = True) -> str:
    """One sentence: how many gaps the list leaves out (unlikely ones, smaller likely ones) and what all are worth."""
    unlikely = int((~gaps["likely"]).sum())
    smaller = len(gaps) - unlikely - n_shown
    parts = []
    if unlikely:
        gap = "gap" if unlikely == 1 else "gaps"
        below = (
            f"less than a {threshold} chance of adoption in the next 12 months"
            if calibrated
            else f"a score under {threshold}"
        )
        parts.append(f"{formatting.count(unlikely)} {gap} with {below}")
    if smaller:
        parts.append(f"{formatting.count(smaller)} smaller {'one' if smaller == 1 else 'ones'}")
    if not parts:
        return f"No gap is left out: all {_gaps_worth(gv, gaps, calibrated)}."
    return f"Left out: {' and '.join(parts)}; all {_gaps_worth(gv, gaps, calibrated)}."


def gap_sentence(gap: pd.Series, currency: str | None, calibrated: bool = True) -> str:
    """Why a gap is one and what it is worth, in the bundle's currency: "bought by 5 of 9 sister companies,
    not by this unit: expected €9.5k a year (13% chance in the next 12 months)"; where the map is not calibrated
    (``calibrated`` False) the figure reads as a score (:func:`kamtools.groups.opportunity.chance_words`). The map's
    own sentence (``reason``) when its counts are missing."""
    n, buying = _num(gap.get("n_sisters")), _num(gap.get("n_sisters_buying"))
    value, p = _num(gap.get("expected_value")), _num(gap.get("p_adopt"))
    if n is None or buying is None or value is None:
        return _text(gap.get("reason")) or f"expected {formatting.money(value, currency)} a year"
    sisters = "sister company" if n == 1 else "sister companies"
    text = f"bought by {formatting.count(buying)} of {formatting.count(n)} {sisters}, not by this unit: "
    text += f"expected {formatting.money(value, currency)} a year"
    if p is not None:
        text += f" ({chance_words(p, calibrated)})"
    return text


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def relationships_section(gv: GroupView) -> None:
    """The org chart across the group's units and the coverage findings, most severe first."""
    display.heading("Relationship map across the group")
    rel = gv.table("relationship_map")
    if isinstance(rel, NotAvailable):
        display.not_available(rel)
        return
    names = gv.names()
    if rel.empty:
        display.paragraph("No contact is recorded at any unit of this group.")
    else:
        from kamtools.plotting.relationships import org_chart

        fig = org_chart(rel, title=f"Who we know at {gv.name}, by unit", account_names=names)
        display.figure(fig, alt="org chart of the group's contacts, grouped by unit")
        n_dm = int(rel.get("is_decision_maker", pd.Series(dtype=bool)).fillna(False).astype(bool).sum())
        units = set(units_frame(gv)["account_id"])
        known = set(rel["account_id"])
        at_parents = len(known - units)
        display.paragraph(
            f"{formatting.counted(len(rel), 'contact')}, {formatting.of_them(n_dm, 'decision maker')}; we know "
            f"people at {formatting.count(len(known & units))} of the group's {formatting.count(len(units))} units"
            + (f" and at {formatting.count(at_parents)} of the levels above them." if at_parents else ".")
        )
    findings = gv.table("coverage_findings")
    if isinstance(findings, NotAvailable):
        display.not_available(findings)
        return
    display.heading("Coverage findings", level=3)
    if findings.empty:
        display.paragraph("No coverage gap found: every unit has contacts, and decision makers were met recently.")
        return
    f = findings.copy()
    f["rank"] = f["severity"].map(SEVERITY_ORDER).fillna(3)
    f = f.sort_values(["rank", "account_id", "kind"], kind="stable")
    f["unit"] = f["account_id"].map(lambda a: names.get(a, a))
    display.table(f.head(TOP_FINDINGS), columns={"unit": "Unit", "severity": "Severity", "evidence": "Finding"})
    if len(f) > TOP_FINDINGS:
        display.paragraph(f"{formatting.count(len(f) - TOP_FINDINGS)} less severe findings in the units' own reports.")


def actions_section(gv: GroupView) -> None:
    """The plan's actions and risks of every unit, ranked by value at stake."""
    display.heading("Risks and actions across units")
    actions = gv.table("plan_actions")
    if isinstance(actions, NotAvailable):
        display.not_available(actions)
        return
    names = gv.names()
    risks = gv.table("plan_risks")
    if not isinstance(risks, NotAvailable) and not risks.empty:
        high = risks[risks["severity"].astype(str) == "high"]
        units_high = high["account_id"].nunique()
        display.paragraph(
            f"The playbook flags {formatting.counted(len(risks), 'risk')} across "
            f"{formatting.counted(risks['account_id'].nunique(), 'unit')}; {formatting.count(len(high))} "
            f"{'is' if len(high) == 1 else 'are'} high, at {formatting.counted(units_high, 'unit')}."
        )
    if actions.empty:
        display.paragraph("The playbook calls for no action at any unit of this group now.")
        return
    a = actions.copy()
    a["value"] = pd.to_numeric(a.get("value_at_stake", pd.Series(float("nan"), index=a.index)), errors="coerce")
    a["unit"] = a["account_id"].map(lambda x: names.get(x, x))
    a = a.sort_values(["value", "account_id"], ascending=[False, True], na_position="last", kind="stable")
    columns = {"unit": "Unit", "priority": "Priority", "action": "Action", "value": "Value at stake"}
    columns.update({"owner": "Owner", "due_date": "Due"})
    display.table(a.head(TOP_ACTIONS), columns=columns, money=["value"], currency=gv.currency)
    more = len(a) - TOP_ACTIONS
    if more > 0:
        display.paragraph(
            f"The {formatting.count(TOP_ACTIONS)} actions with the most at stake of {formatting.count(len(a))} at "
            f"{formatting.count(a['account_id'].nunique())} units; the other {formatting.count(more)} "
            f"{'is' if more == 1 else 'are'} in the units' own reports."
        )


_SECTIONS = {
    "summary": summary_section,
    "units": units_section,
    "opportunities": opportunities_section,
    "relationships": relationships_section,
    "actions": actions_section,
}


# ---- the portfolio overview's global accounts ---------------------------------------------------------


def top_groups(bundle, n: int = 10) -> pd.DataFrame | None:
    """The largest top-level groups by roll-up revenue: ``account_id, name, n_units, revenue_12m,
    revenue_at_risk`` (None when the bundle has no group). ``n_units`` counts the accounts at the lowest level
    below the group, as the index does (:data:`kamtools.groups.tree.UNITS_HEADER`)."""
    accounts = bundle.accounts
    ids = group_ids(accounts)
    if not ids:
        return None
    roll = bundle.table("group_rollup")
    if isinstance(roll, NotAvailable):
        return None
    roll = roll[roll["depth"] == 0] if "depth" in roll.columns else roll
    names = dict(zip(accounts["account_id"], accounts["name"].astype(str)))
    out = roll.copy()
    out["name"] = out["account_id"].map(names)
    out = out.sort_values(["revenue_12m", "account_id"], ascending=[False, True]).head(n)
    return out[["account_id", "name", "n_units", "revenue_12m", "revenue_at_risk"]].reset_index(drop=True)


def group_line(acct) -> None:
    """In an account report: the group the account belongs to (top-most first, each linked to its
    group report), and for a parent account the link to its own group report. Nothing for a
    stand-alone account (a portfolio without parents shows no trace of groups)."""
    from kamtools.reports.state import group_href_from_report

    accounts = acct.bundle.accounts
    above = group_links(accounts, acct.account_id)
    heads = acct.account_id in group_ids(accounts)
    if not above and not heads:
        return
    parts = []
    if above:
        chain = " > ".join(_link(group_href_from_report(g), n) for g, n in above)
        parts.append(f"Part of the global account {chain} (each name opens its global account plan).")
    if heads:
        n_below = len(acct.bundle.accounts.loc[accounts["parent_account_id"] == acct.account_id])
        parts.append(
            f"This account heads a group of {formatting.count(n_below)} direct units: "
            f"{_link(group_href_from_report(acct.account_id), 'its global account plan')} adds them up."
        )
    _show(f'<p class="kam-p kam-group-line">{" ".join(parts)}</p>')

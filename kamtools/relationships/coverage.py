"""The relationship map (one row per contact) and the coverage findings a KAM can act on.

Everything here reads the contacts and interactions tables as they are on ``as_of``; the
optional columns of issue 20 (``contacts.reports_to``, ``attitude``, ``left_date`` and
``interactions.employee``) are used when they hold values and ignored when they are empty or
absent (then there are no attitude findings and nobody has left).

The thresholds are module constants, and every finding's evidence sentence states the one it used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamtools.data.portfolio import Portfolio

__all__ = [
    "CHAMPION_LEFT_MONTHS",
    "DETRACTOR_PLAN_DAYS",
    "DM_NOT_MET_DAYS",
    "FINDING_KINDS",
    "MAP_COLUMNS",
    "SINGLE_THREAD_MIN_INTERACTIONS",
    "SINGLE_THREAD_SHARE",
    "SPONSOR_ATTITUDES",
    "account_summary",
    "coverage_findings",
    "left_sponsors",
    "relationship_map",
]

SINGLE_THREAD_SHARE = 0.7
"""An account is single-threaded when this share (or more) of the last 12 months' interactions with a
named contact went through one person."""
SINGLE_THREAD_MIN_INTERACTIONS = 4
"""...counted only when the account had at least this many such interactions (fewer say too little)."""
DM_NOT_MET_DAYS = 180
"""A decision maker not met (no interaction of any kind) for this many days or more is a finding."""
DETRACTOR_PLAN_DAYS = 90
"""A detractor among the decision makers has a plan when someone on our side had an interaction with
them in this many days (the data holds no task list, so a recent interaction is the sign of a plan)."""
CHAMPION_LEFT_MONTHS = 12
"""A champion, supporter or decision maker who left in the last this many months is a finding."""
SPONSOR_ATTITUDES = ("champion", "supporter")
"""Attitudes of people who sponsor us; a decision maker counts too unless known to be a detractor."""

FINDING_KINDS = ("champion_left", "detractor_dm", "single_threaded", "dm_not_met", "unit_no_contact")
_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
_SENIORITY_RANK = {"executive": 0, "senior": 1, "manager": 2, "staff": 3}

MAP_COLUMNS = [
    "contact_id",
    "account_id",
    "group_id",
    "name",
    "title",
    "role",
    "seniority",
    "attitude",
    "reports_to",
    "left_date",
    "is_decision_maker",
    "has_left",
    "last_contact_date",
    "days_since_contact",
    "n_interactions_12m",
    "owner",
]
FINDING_COLUMNS = ["account_id", "group_id", "kind", "severity", "contact_id", "days", "evidence"]


# ------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------
def _text(df: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as text with missing values as NaN (an absent column: all NaN)."""
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype="str")
    s = df[col].astype("str")
    return s.where(df[col].notna() & (s.str.strip() != ""))


def _dates(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return pd.to_datetime(df[col], errors="coerce")


def _groups(accounts: pd.DataFrame) -> pd.Series:
    """account_id -> group_id (the top-most ancestor; the account itself without a parent)."""
    from kamtools.groups.tree import hierarchy

    hier = hierarchy(accounts)
    return pd.Series(hier["group_id"].to_numpy(), index=hier["account_id"].to_numpy())


def _person(row: dict) -> str:
    """'Anna Lind (Head of Purchasing)', or the id when the name is missing."""
    name = row.get("name")
    name = str(name) if isinstance(name, str) and name.strip() else f"contact {row['contact_id']}"
    title = row.get("title")
    return f"{name} ({title})" if isinstance(title, str) and title.strip() else name


def _lookup(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """``values`` (indexed by a unique key) looked up for each of ``keys`` (missing: NaN/NaT)."""
    return values.reindex(keys.to_numpy()).to_numpy()


def _when(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%d %b %Y").lstrip("0")


def _sponsor(attitude: pd.Series, is_dm: pd.Series) -> pd.Series:
    """Who sponsors us: a champion or supporter, or a decision maker not known to be a detractor or neutral."""
    att = attitude.astype(object)
    return att.isin(SPONSOR_ATTITUDES) | (is_dm & ~att.isin(("detractor", "neutral")))


# ------------------------------------------------------------------------------------------
# the map
# ------------------------------------------------------------------------------------------
def _interactions(portfolio: Portfolio, as_of: pd.Timestamp) -> pd.DataFrame:
    """Interactions up to ``as_of`` with a named contact: contact_id, account_id, date, employee."""
    it = portfolio.tables.get("interactions")
    if it is None or it.empty:
        return pd.DataFrame(
            {
                "contact_id": pd.Series([], dtype="str"),
                "account_id": pd.Series([], dtype="str"),
                "date": pd.Series([], dtype="datetime64[ns]"),
                "employee": pd.Series([], dtype="str"),
            }
        )
    out = pd.DataFrame(
        {
            "contact_id": _text(it, "contact_id"),
            "account_id": _text(it, "account_id"),
            "date": _dates(it, "date"),
            "employee": _text(it, "employee"),
        }
    )
    return out[out["contact_id"].notna() & out["date"].notna() & (out["date"] <= as_of)].reset_index(drop=True)


def relationship_map(portfolio: Portfolio, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per contact (columns :data:`MAP_COLUMNS`), sorted by account, seniority and name.

    ``owner`` is the employee on our side with the most interactions with the contact (ties: the
    one who met them last), NaN when no interaction names an employee; ``days_since_contact`` is
    NaN for someone never met; ``has_left`` is True when ``left_date`` is on or before ``as_of``.
    An empty table (with these columns) when there is no contacts table.
    """
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    ct = portfolio.tables.get("contacts")
    if ct is None:
        ct = pd.DataFrame({c: pd.Series([], dtype="str") for c in ("contact_id", "account_id")})
    out = pd.DataFrame({"contact_id": _text(ct, "contact_id"), "account_id": _text(ct, "account_id")})
    groups = _groups(portfolio.accounts)
    out["group_id"] = out["account_id"].map(groups).fillna(out["account_id"]).astype("str")
    for col in ("name", "title", "role", "seniority", "attitude", "reports_to"):
        out[col] = _text(ct, col)
    out["attitude"] = out["attitude"].str.strip().str.lower()
    out["left_date"] = _dates(ct, "left_date")
    out["is_decision_maker"] = (out["role"].str.lower() == "decision_maker").fillna(False).astype(bool)
    out["has_left"] = (out["left_date"].notna() & (out["left_date"] <= as_of)).astype(bool)

    it = _interactions(portfolio, as_of)
    last = it.groupby("contact_id")["date"].max()
    out["last_contact_date"] = pd.Series(_lookup(last, out["contact_id"]), index=out.index, dtype="datetime64[ns]")
    out["days_since_contact"] = ((as_of - out["last_contact_date"]).dt.days).astype(float)
    start = as_of - pd.DateOffset(months=12)
    n12 = it[it["date"] > start].groupby("contact_id").size()
    out["n_interactions_12m"] = out["contact_id"].map(n12).fillna(0).astype(np.int64)
    named = it[it["employee"].notna()]
    if len(named):
        per = named.groupby(["contact_id", "employee"]).agg(n=("date", "size"), last=("date", "max")).reset_index()
        per = per.sort_values(["contact_id", "n", "last", "employee"], ascending=[True, False, False, True])
        owner = per.drop_duplicates("contact_id").set_index("contact_id")["employee"]
        out["owner"] = out["contact_id"].map(owner).astype("str")
    else:
        out["owner"] = pd.Series(np.nan, index=out.index, dtype="str")
    rank = out["seniority"].str.lower().map(_SENIORITY_RANK).fillna(9)
    out = out.assign(_r=rank).sort_values(["account_id", "_r", "name", "contact_id"], kind="stable")
    return out.drop(columns="_r").reset_index(drop=True)[MAP_COLUMNS]


def left_sponsors(rmap: pd.DataFrame, as_of: pd.Timestamp, months: int = CHAMPION_LEFT_MONTHS) -> pd.DataFrame:
    """The rows of ``rmap`` for sponsors (champions, supporters, decision makers) who left in the last
    ``months`` months up to ``as_of`` (``left_date <= as_of``: nothing later is known on that day)."""
    as_of = pd.Timestamp(as_of)
    left = rmap["left_date"]
    recent = left.notna() & (left <= as_of) & (left > as_of - pd.DateOffset(months=months))
    return rmap[recent & _sponsor(rmap["attitude"], rmap["is_decision_maker"])]


# ------------------------------------------------------------------------------------------
# the findings
# ------------------------------------------------------------------------------------------
def _finding(row: dict, kind: str, severity: str, evidence: str, contact: object = None, days: float = np.nan) -> dict:
    return {
        "account_id": row["account_id"],
        "group_id": row["group_id"],
        "kind": kind,
        "severity": severity,
        "contact_id": contact,
        "days": float(days),
        "evidence": evidence,
    }


def _thread_stats(rmap: pd.DataFrame) -> pd.DataFrame:
    """Per account: named interactions of the last 12 months, the person most of them went through and the share."""
    x = rmap[rmap["n_interactions_12m"] > 0]
    if x.empty:
        return pd.DataFrame(columns=["account_id", "interactions_12m", "top_contact_id", "thread_share"])
    x = x.sort_values(["account_id", "n_interactions_12m", "contact_id"], ascending=[True, False, True])
    total = x.groupby("account_id")["n_interactions_12m"].sum()
    top = x.drop_duplicates("account_id").set_index("account_id")
    out = pd.DataFrame({"interactions_12m": total})
    out["top_contact_id"] = top["contact_id"]
    out["thread_share"] = top["n_interactions_12m"] / total
    return out.rename_axis("account_id").reset_index()


def coverage_findings(
    portfolio: Portfolio,
    rmap: pd.DataFrame | None = None,
    as_of: str | pd.Timestamp | None = None,
    revenue_12m: pd.Series | None = None,
) -> pd.DataFrame:
    """The coverage findings (columns account_id, group_id, kind, severity, contact_id, days, evidence),
    sorted by account, severity and kind. ``rmap`` is :func:`relationship_map`'s table (computed when
    None); ``revenue_12m`` (account_id -> revenue of the last 12 months) grades units without a contact.

    Kinds: ``champion_left`` (a sponsor left in the last :data:`CHAMPION_LEFT_MONTHS` months),
    ``detractor_dm`` (a decision maker who is a detractor, not met in :data:`DETRACTOR_PLAN_DAYS` days),
    ``single_threaded`` (:data:`SINGLE_THREAD_SHARE` of the interactions through one person),
    ``dm_not_met`` (a decision maker not met for :data:`DM_NOT_MET_DAYS` days or never) and
    ``unit_no_contact`` (a unit of a group with no current contact).
    """
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    rmap = relationship_map(portfolio, as_of) if rmap is None else rmap
    names = dict(zip(portfolio.accounts["account_id"], portfolio.accounts["name"].astype(str)))
    active = rmap[~rmap["has_left"]]
    rows = _champion_left_findings(rmap, active, as_of, names)
    rows += _detractor_findings(active)
    rows += _single_thread_findings(active)
    if portfolio.has("interactions"):
        rows += _dm_not_met_findings(active)
    rows += _units_without_contact(portfolio, active, rmap, names, revenue_12m)
    return _findings_frame(rows)


def _champion_left_findings(
    rmap: pd.DataFrame, active: pd.DataFrame, as_of: pd.Timestamp, names: dict[str, str]
) -> list[dict]:
    """A sponsor who left in the last :data:`CHAMPION_LEFT_MONTHS` months, with the sponsors still there."""
    rows: list[dict] = []
    gone = left_sponsors(rmap, as_of)
    still_there = active[
        _sponsor(active["attitude"], active["is_decision_maker"]) & active["account_id"].isin(gone["account_id"])
    ]
    sponsors_of: dict[str, list[dict]] = {}
    for x in still_there.groupby("account_id", sort=False).head(3).to_dict("records"):
        sponsors_of.setdefault(x["account_id"], []).append(x)
    for r in gone.to_dict("records"):
        days = (as_of - r["left_date"]).days
        what = r["attitude"] if isinstance(r["attitude"], str) else "decision maker"
        if r["is_decision_maker"] and what != "decision maker":
            what = f"{what} and decision maker"
        still = sponsors_of.get(r["account_id"], [])
        left_text = (
            f"sponsors still there: {', '.join(_person(x) for x in still)}"
            if still
            else "no other champion, supporter or decision maker is on file"
        )
        severity = "medium" if r["attitude"] == "supporter" and not r["is_decision_maker"] else "high"
        rows.append(
            _finding(
                r,
                "champion_left",
                severity,
                f"{_person(r)}, our {what}, left {names.get(r['account_id'], r['account_id'])} on "
                f"{_when(r['left_date'])} ({days} days ago); {left_text}. Find out who took over the role and "
                "win a new sponsor before the next buying decision.",
                r["contact_id"],
                days,
            )
        )
    return rows


def _detractor_findings(active: pd.DataFrame) -> list[dict]:
    """A detractor among the decision makers, with no interaction in :data:`DETRACTOR_PLAN_DAYS` days."""
    rows: list[dict] = []
    det = active[active["is_decision_maker"] & (active["attitude"] == "detractor")]
    for r in det.to_dict("records"):
        d = r["days_since_contact"]
        if not np.isnan(d) and d < DETRACTOR_PLAN_DAYS:
            continue
        seen = f"last met {int(d)} days ago" if not np.isnan(d) else "never met"
        rows.append(
            _finding(
                r,
                "detractor_dm",
                "high",
                f"{_person(r)} is a decision maker who works against us (detractor) and has no plan: no one on our "
                f"side has met them in the last {DETRACTOR_PLAN_DAYS} days ({seen}). Agree who meets them, and "
                "with what answer to their objections.",
                r["contact_id"],
                d,
            )
        )
    return rows


def _single_thread_findings(active: pd.DataFrame) -> list[dict]:
    """Single-threaded accounts: most of the last 12 months' interactions through one person."""
    rows: list[dict] = []
    stats = _thread_stats(active)
    by_id = active.set_index("contact_id")
    n_active = active.groupby("account_id").size()
    for s in stats.to_dict("records"):
        if s["interactions_12m"] < SINGLE_THREAD_MIN_INTERACTIONS or s["thread_share"] < SINGLE_THREAD_SHARE:
            continue
        top = {"contact_id": s["top_contact_id"], **by_id.loc[s["top_contact_id"]].to_dict()}
        others = int(n_active.get(s["account_id"], 1)) - 1
        others_text = (
            "no other current contact is on file"
            if others == 0
            else f"{others} other current contact{'s are' if others > 1 else ' is'} on file"
        )
        rows.append(
            _finding(
                top,
                "single_threaded",
                "high" if s["thread_share"] >= 0.9 else "medium",
                f"Single-threaded: {s['thread_share']:.0%} of the {int(s['interactions_12m'])} interactions with a "
                f"named contact in the last 12 months were with {_person(top)}, and {SINGLE_THREAD_SHARE:.0%} or more "
                f"through one person is single-threaded; {others_text}. If this person moves, we lose our line into "
                "the account: meet at least two more people.",
                s["top_contact_id"],
            )
        )
    return rows


def _dm_not_met_findings(active: pd.DataFrame) -> list[dict]:
    """Decision makers not met for :data:`DM_NOT_MET_DAYS` days or never (detractors have their own finding)."""
    rows: list[dict] = []
    dms = active[active["is_decision_maker"]]
    for r in dms.to_dict("records"):
        d = r["days_since_contact"]
        if not np.isnan(d) and d < DM_NOT_MET_DAYS:
            continue
        if r["attitude"] == "detractor" and (np.isnan(d) or d >= DETRACTOR_PLAN_DAYS):
            continue  # already a detractor finding
        if np.isnan(d):
            text = f"Decision maker {_person(r)} has never been met: no interaction with them is on record."
        else:
            by = f", by {r['owner']}" if isinstance(r["owner"], str) else ""
            text = (
                f"Decision maker {_person(r)} was last met {int(d)} days ago ({_when(r['last_contact_date'])}"
                f"{by}); {DM_NOT_MET_DAYS} days or more without contact is a gap. Book a meeting."
            )
        rows.append(
            _finding(r, "dm_not_met", "high" if np.isnan(d) or d >= 365 else "medium", text, r["contact_id"], d)
        )
    return rows


def _findings_frame(rows: list[dict]) -> pd.DataFrame:
    """The findings as a typed table sorted by account, severity, kind and contact."""
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    out = out.astype({"account_id": "str", "group_id": "str", "kind": "str", "severity": "str", "evidence": "str"})
    out["contact_id"] = out["contact_id"].astype("str")
    out["days"] = out["days"].astype(float)
    kind_rank = out["kind"].map({k: i for i, k in enumerate(FINDING_KINDS)})
    out = out.assign(_s=out["severity"].map(_SEVERITY_RANK), _k=kind_rank)
    out = out.sort_values(["account_id", "_s", "_k", "contact_id"], kind="stable").drop(columns=["_s", "_k"])
    return out.reset_index(drop=True)


def _units_without_contact(
    portfolio: Portfolio,
    active: pd.DataFrame,
    rmap: pd.DataFrame,
    names: dict[str, str],
    revenue_12m: pd.Series | None,
) -> list[dict]:
    from kamtools.display import money
    from kamtools.groups.tree import hierarchy

    hier = hierarchy(portfolio.accounts)
    size = hier.groupby("group_id")["account_id"].transform("size")
    trades = pd.unique(portfolio.orders["account_id"].astype(object))
    # a unit: a member of a group that buys or is at the bottom of it (a holding or region level
    # without orders of its own is no buying unit)
    units = hier[(size > 1) & ((hier["n_children"] == 0) | hier["account_id"].isin(trades))]
    covered = set(active["account_id"])
    gone = rmap[rmap["has_left"]].groupby("account_id").size()
    rows = []
    for u in units[~units["account_id"].isin(covered)].to_dict("records"):
        aid, gid = u["account_id"], u["group_id"]
        rev = float(revenue_12m.get(aid, np.nan)) if revenue_12m is not None else np.nan
        spend = f" although it bought {money(rev)} in the last 12 months" if rev > 0 else ""
        n_gone = int(gone.get(aid, 0))
        past = (
            " (its only contact on file has left)"
            if n_gone == 1
            else f" (all {n_gone} people on file have left)"
            if n_gone
            else ""
        )
        rows.append(
            {
                "account_id": aid,
                "group_id": gid,
                "kind": "unit_no_contact",
                "severity": "medium" if rev > 0 else "low",
                "contact_id": None,
                "days": np.nan,
                "evidence": f"{names.get(aid, aid)}, a unit of {names.get(gid, gid)}, has no current contact on "
                f"file{past}{spend}: nobody there is known to us. Ask our contacts at the group for an introduction "
                "to its buyer.",
            }
        )
    return rows


# ------------------------------------------------------------------------------------------
# per account
# ------------------------------------------------------------------------------------------
def account_summary(
    portfolio: Portfolio, rmap: pd.DataFrame, findings: pd.DataFrame, as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per account: account_id, group_id, n_contacts, n_contacts_active, n_decision_makers_active,
    interactions_12m, top_contact_id, thread_share, single_threaded, champion_left, champion_left_date,
    champion_left_contact_id, successor_role (who to meet: "the successor of Anna Lind as Head of
    Purchasing"), n_findings."""
    as_of = portfolio.as_of if as_of is None else pd.Timestamp(as_of).normalize()
    out = pd.DataFrame({"account_id": portfolio.accounts["account_id"].to_numpy()})
    out["group_id"] = out["account_id"].map(_groups(portfolio.accounts)).fillna(out["account_id"]).astype("str")
    active = rmap[~rmap["has_left"]]
    out["n_contacts"] = out["account_id"].map(rmap.groupby("account_id").size()).fillna(0).astype(np.int64)
    out["n_contacts_active"] = out["account_id"].map(active.groupby("account_id").size()).fillna(0).astype(np.int64)
    dm = active[active["is_decision_maker"]].groupby("account_id").size()
    out["n_decision_makers_active"] = out["account_id"].map(dm).fillna(0).astype(np.int64)
    stats = _thread_stats(active).set_index("account_id")
    out["interactions_12m"] = out["account_id"].map(stats["interactions_12m"]).fillna(0).astype(np.int64)
    out["top_contact_id"] = out["account_id"].map(stats["top_contact_id"]).astype("str")
    out["thread_share"] = out["account_id"].map(stats["thread_share"]).astype(float)
    kinds = findings.groupby("account_id")["kind"].agg(set)
    out["single_threaded"] = out["account_id"].map(lambda a: "single_threaded" in kinds.get(a, set())).astype(bool)
    left = left_sponsors(rmap, as_of).sort_values(["account_id", "left_date"], ascending=[True, False])
    last = left.drop_duplicates("account_id").set_index("account_id")
    out["champion_left"] = out["account_id"].isin(last.index).astype(bool)
    out["champion_left_date"] = pd.Series(_lookup(last["left_date"], out["account_id"]), dtype="datetime64[ns]")
    out["champion_left_contact_id"] = out["account_id"].map(last["contact_id"]).astype("str")
    succ = {}
    for aid, r in last.iterrows():
        who = r["name"] if isinstance(r["name"], str) else f"contact {r['contact_id']}"
        role = r["title"] if isinstance(r["title"], str) else "decision maker"
        succ[aid] = f"the successor of {who} as {role}"
    out["successor_role"] = out["account_id"].map(succ).astype("str")
    out["n_findings"] = out["account_id"].map(findings.groupby("account_id").size()).fillna(0).astype(np.int64)
    return out

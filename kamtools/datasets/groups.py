"""Global accounts for the demo generator: groups of units, reporting lines, attitudes, champions who leave.

:func:`kamtools.datasets.make_portfolio` calls into this module when it makes groups. Every
draw here comes from a random stream of its own (:func:`group_stream`), so a demo without
groups (``groups=0``) is what the generator made before groups existed, draw for draw.

What is planted:

* groups of 3 to 12 units in different countries (mostly of one industry), each under a new
  parent account ``G0001``, ``G0002``, ...; larger groups spread over several regions get a
  region level (``G0004-R1``, ...) between the group and its country units; a few parents are
  a trading head office (an account with orders of its own, renamed to its ``G`` id);
* sister units share category preferences: the group's categories are bought by most units,
  and a unit that does not buy one of them tends to start buying it later (a cross-unit gap);
* reporting lines inside most accounts, an attitude per contact, the employee on our side
  who held each interaction, and champions who leave some months before a planted churn
  (and a few at accounts that stay).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .catalogue import CATEGORY_NAMES

if TYPE_CHECKING:
    from .state import GenState
    from .truth import PlantedTruth

GROUP_STREAM = 20
"""Second seed word of the groups' random stream: ``default_rng([seed, GROUP_STREAM])``."""

ACCOUNTS_PER_GROUP = 15
"""The default number of groups is one per this many accounts."""

MIN_UNITS, MAX_UNITS = 3, 12
PROTECTED = frozenset({0, 1, 2, 3, 9})
"""Account positions never made units (their names test escaping; A0001 is the usual example)."""

COUNTRY_NAMES = {
    "SE": "Sweden", "NO": "Norway", "DK": "Denmark", "FI": "Finland", "NL": "Nederland", "BE": "Belgium",
    "FR": "France", "GB": "UK", "DE": "Deutschland", "AT": "Austria", "PL": "Polska", "CH": "Schweiz",
    "ES": "España", "IT": "Italia", "PT": "Portugal",
}  # fmt: skip

KAM_TEAM = ("D. Laine", "R. Okafor", "V. Costa")
"""Colleagues of the account owners who also meet customers (inside sales, technical service)."""

ATTITUDE_P = {"champion": 0.13, "supporter": 0.33, "neutral": 0.34, "detractor": 0.12}
"""Share of contacts with each attitude; the rest (8%) have none recorded."""

SENIORITY_RANK = {"executive": 0, "senior": 1, "manager": 2, "staff": 3}
NO_LINES_SHARE = 0.15
"""Share of accounts whose reporting lines are not recorded (the org chart falls back to a grid)."""


def group_stream(seed: int) -> np.random.Generator:
    """The random stream of everything this module plants, independent of the main stream."""
    return np.random.default_rng([seed, GROUP_STREAM])


def default_groups(n_accounts: int) -> int:
    """About one group per :data:`ACCOUNTS_PER_GROUP` accounts."""
    return n_accounts // ACCOUNTS_PER_GROUP


@dataclass
class GroupPlan:
    """Which account is a unit of which group, and the parent rows to add."""

    n: int
    unit_group: np.ndarray  # (n,) group index of each account's group, -1 when stand-alone
    parent_of: list[str | None]  # (n,) direct parent id of each account, None at the top
    group_ids: list[str]  # group index -> group parent id (G0001, ...)
    traders: dict[int, str] = field(default_factory=dict)  # account position -> its G id (trading parents)
    parents: list[dict] = field(default_factory=list)  # region rows between a group and its units
    group_cats: np.ndarray | None = None  # (groups, C) bool: categories the group's units share


# ---------------------------------------------------------------------------------------
# groups and their units
# ---------------------------------------------------------------------------------------
def plan_groups(rng: np.random.Generator, accounts: pd.DataFrame, base: np.ndarray, n_groups: int) -> GroupPlan:
    """Pick the units of ``n_groups`` groups among ``accounts`` (fewer when they run out)."""
    n = len(accounts)
    free = np.ones(n, dtype=bool)
    free[list(PROTECTED & set(range(n)))] = False
    pool = _Pool(rng.permutation(n), free, accounts["country"].to_numpy(dtype=object), accounts["industry"])
    plan = GroupPlan(n, np.full(n, -1), [None] * n, [])
    for g in range(n_groups):
        size = int(rng.integers(MIN_UNITS, MAX_UNITS + 1))
        trades = rng.random() < 0.2
        members = pool.pick(size + int(trades))
        if len(members) < MIN_UNITS + int(trades):
            break
        gid = f"G{g + 1:04d}"
        plan.group_ids.append(gid)
        pool.used.update(members)
        if trades:  # the largest member is the group's head office, buying for itself
            head = members[int(np.argmax(base[members]))]
            plan.traders[int(head)] = gid
            members = [m for m in members if m != head]
        plan.unit_group[members] = len(plan.group_ids) - 1
        for m in members:
            plan.parent_of[m] = gid
    return plan


class _Pool:
    """The free accounts in a random order, in queues per (industry, country) for quick picks."""

    def __init__(self, order: np.ndarray, free: np.ndarray, country: np.ndarray, industry: pd.Series) -> None:
        self.order = [int(i) for i in order if free[i]]
        self.rank = {a: r for r, a in enumerate(self.order)}
        self.country = country
        self.industry = industry.to_numpy(dtype=object)
        self.queues: dict[tuple[str, str], deque[int]] = {}
        for a in self.order:
            self.queues.setdefault((self.industry[a], country[a]), deque()).append(a)
        self.used: set[int] = set()
        self.cursor = 0

    def _head(self, key: tuple[str, str]) -> int | None:
        queue = self.queues[key]
        while queue and queue[0] in self.used:
            queue.popleft()
        return queue[0] if queue else None

    def pick(self, size: int) -> list[int]:
        """The first free account in the order, then up to ``size - 1`` more in other countries: the
        earliest ones of its industry, then the earliest of any other industry."""
        while self.cursor < len(self.order) and self.order[self.cursor] in self.used:
            self.cursor += 1
        if self.cursor == len(self.order):
            return []
        start = self.order[self.cursor]
        members, seen = [start], {self.country[start]}
        for same in (True, False):
            keys = [k for k in self.queues if (k[0] == self.industry[start]) == same]
            while len(members) < size:
                heads = [h for k in keys if k[1] not in seen and (h := self._head(k)) is not None]
                if not heads:
                    break
                best = min(heads, key=self.rank.__getitem__)
                members.append(best)
                seen.add(self.country[best])
        return members


def add_regions(rng: np.random.Generator, plan: GroupPlan, accounts: pd.DataFrame) -> None:
    """Put a region level between some larger groups (5+ units in 2+ regions) and their units."""
    region = accounts["region"].to_numpy(dtype=object)
    for g, gid in enumerate(plan.group_ids):
        units = np.nonzero(plan.unit_group == g)[0]
        regions = sorted(set(region[units]))
        if len(units) < 5 or len(regions) < 2 or rng.random() >= 0.5:
            continue
        k = 0
        for reg in regions:
            inside = units[region[units] == reg]
            if len(inside) < 2:  # a lone unit stays directly under the group
                continue
            k += 1
            rid = f"{gid}-R{k}"
            plan.parents.append({"account_id": rid, "parent": gid, "region": reg, "group": g})
            for u in inside:
                plan.parent_of[u] = rid


def group_categories(rng: np.random.Generator, plan: GroupPlan, pref: np.ndarray) -> np.ndarray:
    """(groups, C): two or three categories each group's units share, drawn by the industry's preferences."""
    cats = np.zeros((len(plan.group_ids), pref.shape[1]), dtype=bool)
    for g in range(len(plan.group_ids)):
        rows = np.nonzero(plan.unit_group == g)[0]
        w = pref[rows].mean(axis=0)
        k = int(rng.integers(2, 4))
        cats[g, rng.choice(pref.shape[1], size=k, replace=False, p=w / w.sum())] = True
    return cats


def shared_preferences(plan: GroupPlan, pref: np.ndarray) -> np.ndarray:
    """``pref`` with the group's categories strongly preferred by its units (and trading head offices)."""
    out = pref.copy()
    group_of = plan.unit_group.copy()
    for pos, gid in plan.traders.items():
        group_of[pos] = plan.group_ids.index(gid)
    rows = np.nonzero(group_of >= 0)[0]
    out[rows] = pref[rows] * np.where(plan.group_cats[group_of[rows]], 12.0, 1.0)
    return out


def cross_unit_gaps(plan: GroupPlan, owned: np.ndarray) -> np.ndarray:
    """(n, C) True where a unit lacks a group category that at least half of its sister units buy."""
    gaps = np.zeros_like(owned)
    for g in range(len(plan.group_ids)):
        units = np.nonzero(plan.unit_group == g)[0]
        if len(units) < 2:
            continue
        buyers = owned[units].sum(axis=0)
        for u in units:
            sisters_share = (buyers - owned[u]) / (len(units) - 1)
            gaps[u] = plan.group_cats[g] & ~owned[u] & (sisters_share >= 0.5)
    return gaps


def gap_adoption(gaps: np.ndarray, p_adopt: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units with a cross-unit gap adopt more often, and mostly a gap category."""
    has_gap = gaps.any(axis=1)
    p_adopt = np.where(has_gap, np.maximum(p_adopt, 0.8), p_adopt)
    w = np.where(gaps, w * 60.0 + 1.0, w)
    return p_adopt, w


# ---------------------------------------------------------------------------------------
# the accounts table
# ---------------------------------------------------------------------------------------
def rename_traders(plan: GroupPlan, acc_ids: np.ndarray, accounts: pd.DataFrame) -> np.ndarray:
    """Give trading head offices their G id (in ``acc_ids`` and ``accounts``); returns the new ids."""
    ids = acc_ids.copy()
    for pos, gid in plan.traders.items():
        ids[pos] = gid
    accounts["account_id"] = pd.Series(ids, dtype="str")
    return ids


def name_groups(
    rng: np.random.Generator, plan: GroupPlan, accounts: pd.DataFrame, prefixes, cores: dict[str, tuple[str, ...]]
) -> list[str]:
    """A name stem per group ("Alpine Feeds"); units are renamed "<stem> <country>", trading head
    offices "<stem> Group (head office)". Returns the stems by group index."""
    names = accounts["name"].tolist()
    industry = accounts["industry"].to_numpy(dtype=object)
    stems: list[str] = []
    for g in range(len(plan.group_ids)):
        units = np.nonzero(plan.unit_group == g)[0]
        core = cores[pd.Series(industry[units]).mode().iat[0]][0]
        base = f"{prefixes[int(rng.integers(0, len(prefixes)))]} {core}"
        stem, k = base, 2
        while stem in stems:
            stem, k = f"{base} {k}", k + 1
        stems.append(stem)
    country = accounts["country"].to_numpy(dtype=object)
    for pos in np.nonzero(plan.unit_group >= 0)[0]:
        names[pos] = f"{stems[plan.unit_group[pos]]} {COUNTRY_NAMES.get(country[pos], country[pos])}"
    for pos, gid in plan.traders.items():
        names[pos] = f"{_group_name(stems[plan.group_ids.index(gid)])} (head office)"
    accounts["name"] = pd.Series(names, dtype="str")
    return stems


def _group_name(stem: str) -> str:
    """'Alpine Feeds' -> 'Alpine Feeds Group' ('Crown Retail Group' stays as it is)."""
    return stem if stem.endswith(" Group") else f"{stem} Group"


def parent_rows(plan: GroupPlan, accounts: pd.DataFrame, stems: list[str]) -> pd.DataFrame:
    """Account rows of the parents without orders: groups without a trading head office, and regions.

    A parent takes its units' main industry, the region, country and owner of its first unit, and
    the earliest customer_since of its units; no wallet (a group's wallet is the sum of its units')."""
    pos = np.nonzero(plan.unit_group >= 0)[0]
    units = accounts.iloc[pos].assign(_group=plan.unit_group[pos])
    trading = set(plan.traders.values())
    by_group = _unit_summary(units, ["_group"])
    rows = [
        _parent_row(gid, None, _group_name(stems[g]), by_group.loc[g])
        for g, gid in enumerate(plan.group_ids)
        if gid not in trading
    ]
    if plan.parents:
        by_region = _unit_summary(units, ["_group", "region"])
        for p in plan.parents:
            summary = by_region.loc[(p["group"], p["region"])]
            name = f"{_group_name(stems[p['group']])} {p['region']}"
            rows.append(_parent_row(p["account_id"], p["parent"], name, summary, p["region"]))
    return pd.DataFrame(rows, columns=[*accounts.columns, "parent_account_id"])


def _unit_summary(units: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group (or group and region): main industry (the first alphabetically on a tie), the first
    unit's region, country and owner, the earliest customer_since."""
    grouped = units.groupby(keys, sort=False)
    out = grouped[["region", "country", "owner"]].first()
    counts = units.groupby([*keys, "industry"]).size().rename("n").reset_index()
    counts = counts.sort_values([*keys, "n", "industry"], ascending=[*([True] * len(keys)), False, True])
    out["industry"] = counts.drop_duplicates(keys).set_index(keys)["industry"]
    out["customer_since"] = grouped["customer_since"].min()
    return out


def _parent_row(aid: str, parent: str | None, name: str, summary: pd.Series, region: str | None = None) -> dict:
    return {
        "account_id": aid,
        "name": name,
        "industry": summary["industry"],
        "region": region or summary["region"],
        "country": summary["country"],
        "channel": "Direct",
        "owner": summary["owner"],
        "customer_since": summary["customer_since"],
        "potential_revenue": np.nan,
        "parent_account_id": parent,
    }


def with_parents(plan: GroupPlan, accounts: pd.DataFrame, stems: list[str]) -> pd.DataFrame:
    """The accounts table with ``parent_account_id`` and the parent rows, sorted by account_id."""
    out = accounts.assign(parent_account_id=pd.Series(plan.parent_of, dtype="str"))
    out = pd.concat([out, parent_rows(plan, accounts, stems)], ignore_index=True)
    out = out.sort_values("account_id", kind="stable").reset_index(drop=True)
    for col in ("account_id", "name", "industry", "region", "country", "channel", "owner", "parent_account_id"):
        out[col] = out[col].astype("str")
    out["customer_since"] = out["customer_since"].astype("datetime64[ns]")
    out["potential_revenue"] = out["potential_revenue"].astype(float)
    return out


# ---------------------------------------------------------------------------------------
# people: reporting lines, attitudes, employees, champions who leave
# ---------------------------------------------------------------------------------------
def reporting_lines(rng: np.random.Generator, contacts: pd.DataFrame) -> pd.Series:
    """``reports_to`` per contact: each person reports to someone more senior at the same account
    (the most senior person to nobody); the lines of some accounts are not recorded."""
    rank = contacts["seniority"].map(SENIORITY_RANK).to_numpy()
    acc = contacts["account_id"].to_numpy(dtype=object)
    out = np.full(len(contacts), None, dtype=object)
    ids = contacts["contact_id"].to_numpy(dtype=object)
    for rows in pd.Series(np.arange(len(contacts))).groupby(acc, sort=False).indices.values():
        if len(rows) < 2 or rng.random() < NO_LINES_SHARE:
            continue
        ordered = rows[np.argsort(rank[rows], kind="stable")]
        for k, r in enumerate(ordered[1:], start=1):
            above = ordered[:k][rank[ordered[:k]] < rank[r]]
            boss = above[int(rng.integers(0, len(above)))] if len(above) else ordered[0]
            out[r] = ids[boss]
    return pd.Series(out, dtype="str")


def attitudes(rng: np.random.Generator, n: int) -> np.ndarray:
    """An attitude per contact (or None) drawn with :data:`ATTITUDE_P`."""
    labels = [*ATTITUDE_P, None]
    p = [*ATTITUDE_P.values(), 1 - sum(ATTITUDE_P.values())]
    return np.array(labels, dtype=object)[rng.choice(len(labels), size=n, p=p)]


@dataclass
class Departures:
    """Champions who leave: which contact, when (days since 1970), and whether a churn follows."""

    contact: np.ndarray  # contact row positions
    day: np.ndarray
    before_churn: np.ndarray


def plan_departures(
    rng: np.random.Generator,
    contacts: pd.DataFrame,
    acc_index: np.ndarray,
    churn: dict[str, np.ndarray],
    month_days: np.ndarray,
) -> Departures:
    """A champion leaves 1-4 months before the churn signals of ~60% of churners (the first champion
    of the account, made one when it has none: its senior-most decision maker); a few accounts
    that stay lose a champion too."""
    n = len(churn["churned"])
    first_of = pd.Series(np.arange(len(contacts))).groupby(acc_index, sort=True).first()
    signal = churn["signal_month"]
    leaves = churn["churned"] & (rng.random(n) < 0.6) & (signal >= 2)
    noise = ~churn["churned"] & (rng.random(n) < 0.04)
    M = churn["M"]
    month = np.where(leaves, signal - rng.integers(1, 5, n), rng.integers(M - 24, M - 1, n))
    month = np.clip(month, 0, M - 1)
    last_day = churn["as_of_day"]
    who, day, before = [], [], []
    attitude = contacts["attitude"].to_numpy(dtype=object)
    for a in np.nonzero(leaves | noise)[0]:
        if a not in first_of.index:
            continue
        rows = np.nonzero(acc_index == a)[0]
        champs = rows[attitude[rows] == "champion"]
        who.append(int(champs[0]) if len(champs) else int(first_of[a]))
        span = month_days[month[a] + 1] - month_days[month[a]]
        day.append(min(int(month_days[month[a]] + rng.integers(0, span)), int(last_day)))
        before.append(bool(leaves[a]))
    return Departures(np.array(who, dtype=np.int64), np.array(day, dtype=np.int64), np.array(before, dtype=bool))


def employees(rng: np.random.Generator, interactions: pd.DataFrame, owner_of: pd.Series) -> pd.Series:
    """Who on our side held each interaction: mostly the account's owner, else a colleague of the team."""
    owner = interactions["account_id"].map(owner_of).to_numpy(dtype=object)
    u = rng.random(len(interactions))
    team = np.array(KAM_TEAM, dtype=object)[rng.integers(0, len(KAM_TEAM), len(interactions))]
    out = np.where(u < 0.72, owner, np.where(u < 0.96, team, None))
    return pd.Series(out, dtype="str")


def decorate_people(
    rng: np.random.Generator,
    contacts: pd.DataFrame,
    interactions: pd.DataFrame,
    accounts: pd.DataFrame,
    churn: dict[str, np.ndarray],
    month_days: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Contacts with reports_to, attitude and left_date; interactions with employee (none with a
    person after they left); and the champions who left (contact_id, account_id, left_date)."""
    contacts = contacts.copy()
    acc_pos = pd.Index(accounts["account_id"].iloc[: len(churn["churned"])])
    acc_index = acc_pos.get_indexer(contacts["account_id"])
    contacts["reports_to"] = reporting_lines(rng, contacts)
    contacts["attitude"] = pd.Series(attitudes(rng, len(contacts)), dtype="str")
    gone = plan_departures(rng, contacts, acc_index, churn, month_days)
    contacts.loc[gone.contact, "attitude"] = "champion"
    left = np.full(len(contacts), np.datetime64("NaT"), dtype="datetime64[ns]")
    left[gone.contact] = gone.day.astype("datetime64[D]").astype("datetime64[ns]")
    contacts["left_date"] = pd.Series(left)
    interactions = interactions.copy()
    interactions["employee"] = employees(rng, interactions, accounts.set_index("account_id")["owner"])
    left_of = contacts.set_index("contact_id")["left_date"]
    after = interactions["date"] > interactions["contact_id"].map(left_of)
    interactions = interactions[~after.to_numpy()].reset_index(drop=True)
    champions_left = pd.DataFrame(
        {
            "contact_id": contacts["contact_id"].iloc[gone.contact].reset_index(drop=True),
            "account_id": contacts["account_id"].iloc[gone.contact].reset_index(drop=True),
            "left_date": contacts["left_date"].iloc[gone.contact].reset_index(drop=True),
            "before_churn": gone.before_churn,
        }
    )
    return contacts, interactions, champions_left.sort_values("contact_id", ignore_index=True)


# ---------------------------------------------------------------------------------------
# the layer the generator calls
# ---------------------------------------------------------------------------------------
class GroupLayer:
    """The global-account layer of one generation run, called by the generator at four points:
    after the accounts (:meth:`plan`), inside the category draws (:meth:`shared_preferences`,
    :meth:`gap_adoption`), after the people (:meth:`finish`) and with the truth (:meth:`truth`)."""

    def __init__(self, rng: np.random.Generator, n_groups: int, prefixes, cores: dict[str, tuple[str, ...]]):
        self.rng = rng
        self.n_groups = n_groups
        self.prefixes = prefixes
        self.cores = cores
        self.gaps: np.ndarray | None = None
        self.champions_left = pd.DataFrame()

    def plan(self, gen: GenState) -> None:
        """Choose the units, regions and trading head offices; rename them in the generator's state."""
        self.p = plan_groups(self.rng, gen.accounts_df, gen.base, self.n_groups)
        add_regions(self.rng, self.p, gen.accounts_df)
        self.stems = name_groups(self.rng, self.p, gen.accounts_df, self.prefixes, self.cores)
        gen.acc_ids = rename_traders(self.p, gen.acc_ids, gen.accounts_df)

    def shared_preferences(self, pref: np.ndarray) -> np.ndarray:
        self.p.group_cats = group_categories(self.rng, self.p, pref)
        return shared_preferences(self.p, pref)

    def gap_adoption(self, owned: np.ndarray, p_adopt: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.gaps = cross_unit_gaps(self.p, owned)
        return gap_adoption(self.gaps, p_adopt, w)

    def finish(self, gen: GenState, tables: dict[str, pd.DataFrame]) -> None:
        """Add the parent rows to accounts, and the people's new columns."""
        churn = {"churned": gen.churned, "signal_month": gen.signal_month, "M": gen.M, "as_of_day": gen.as_of_day}
        tables["contacts"], tables["interactions"], self.champions_left = decorate_people(
            self.rng, tables["contacts"], tables["interactions"], gen.accounts_df, churn, gen.month_days
        )
        tables["accounts"] = self.accounts = with_parents(self.p, gen.accounts_df, self.stems)

    def truth(self, gen: GenState, truth: PlantedTruth, whitespace: pd.DataFrame) -> None:
        """Fill the planted truth's groups, champions_left and cross_unit_gaps."""
        from kamtools.groups.tree import hierarchy

        hier = hierarchy(self.accounts)
        grouped = hier[(hier["group_id"] != hier["account_id"]) | hier["is_group"]]
        truth.groups = dict(zip(grouped["account_id"], grouped["group_id"], strict=True))
        truth.champions_left = self.champions_left[["contact_id", "account_id", "left_date"]].copy()
        truth.cross_unit_gaps = self._gap_frame(gen, whitespace)

    def _gap_frame(self, gen: GenState, whitespace: pd.DataFrame) -> pd.DataFrame:
        u, c = np.nonzero(self.gaps)
        frame = pd.DataFrame(
            {
                "account_id": pd.Series(gen.acc_ids[u], dtype="str"),
                "category": pd.Series(np.array(CATEGORY_NAMES)[c], dtype="str"),
            }
        )
        adopted = whitespace.rename(columns={"start_date": "adopted_date"})
        frame = frame.merge(adopted, on=["account_id", "category"], how="left")
        frame["adopted_date"] = frame["adopted_date"].astype("datetime64[ns]")
        return frame.sort_values(["account_id", "category"], ignore_index=True)

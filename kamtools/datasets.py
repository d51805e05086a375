"""Demo portfolios: realistic synthetic B2B key-account data with a planted truth.

:func:`make_portfolio` generates every canonical table of :mod:`kamtools.data.model`
for a fictional supplier of feed, animal-health, hygiene and technical products that
sells to feed mills, farms, food processors, retailers, hospitals and logistics firms.
The data carry real signal that the analyses are expected to find (revenue
concentration, seasonality, trends, category affinities, churn with leading signals,
an aggressive low-price competitor, unreachable targets, whitespace adoptions, prices that
move over time with a price elasticity of volume per category). What was
planted is returned separately as a :class:`PlantedTruth`, for tests and benchmarks only.

Everything is vectorised numpy driven by one ``numpy.random.default_rng(seed)``, so a
seed gives identical tables, and 10,000 accounts with ~5 million order lines generate in
seconds (``benchmarks/bench_generate.py``). Global accounts (groups of units under parent
accounts, reporting lines, attitudes, champions who leave) are planted by
:mod:`kamtools.datasets_groups` from a second stream of the same seed, so ``groups=0`` gives
the tables of the generator without them. Price moves and the target mix draw from child
streams of their own as well (``default_rng([seed, k])``).

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, truth = make_portfolio(n_accounts=50, years=2, seed=1)
>>> sorted(portfolio.tables) == sorted(TABLES)
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamtools.data.model import TABLES
from kamtools.data.portfolio import Portfolio
from kamtools.datasets_groups import GroupLayer, default_groups, group_stream
from kamtools.resources import demo_data_dir

__all__ = [
    "PlantedTruth",
    "make_portfolio",
    "your_data_or_demo",
    "load_demo",
    "write_tables",
    "DEMO_DIR",
    "DEMO_SEED",
    "DEMO_ACCOUNTS",
]

DEFAULT_END = pd.Timestamp("2026-10-31")
DEMO_DIR = demo_data_dir()  # kamtools/demo_data/, package data found with importlib.resources
DEMO_SEED = 7
DEMO_ACCOUNTS = 300
DEMO_YEARS = 4
DEMO_CURRENCY = "EUR"  # the demo's prices and revenue are in euros

# ---------------------------------------------------------------------------------------
# Catalogue: categories with price level, margin, seasonality and product stems
# ---------------------------------------------------------------------------------------
# name, typical unit price, mean margin, seasonal amplitude, peak month, product stems, unit
_CATEGORIES: list[tuple[str, float, float, float, int, tuple[str, ...], tuple[str, ...]]] = [
    (
        "Premixes",
        45.0,
        0.30,
        0.12,
        11,
        (
            "Layer Premix",
            "Broiler Premix",
            "Pig Premix",
            "Dairy Premix",
            "Calf Premix",
            "Mineral Premix",
            "Vitamin Premix",
        ),
        ("25kg", "500kg", "1t"),
    ),
    (
        "Feed additives",
        80.0,
        0.38,
        0.10,
        10,
        ("Enzyme Blend", "Toxin Binder", "Acidifier", "Probiotic", "Amino Acid Mix", "Pellet Binder"),
        ("5kg", "25kg"),
    ),
    (
        "Animal health",
        120.0,
        0.45,
        0.30,
        3,
        ("Poultry Vaccine", "Swine Vaccine", "Dewormer", "Coccidiostat", "Antiseptic Spray"),
        ("100ml", "1000 doses", "5000 doses"),
    ),
    (
        "Diagnostics",
        210.0,
        0.42,
        0.08,
        5,
        ("ELISA Kit", "PCR Panel", "Rapid Test", "Mycotoxin Test", "Water Test Kit"),
        ("96 tests", "480 tests"),
    ),
    (
        "Cleaning & disinfection",
        18.0,
        0.33,
        0.25,
        7,
        ("Foam Cleaner", "Alkaline Detergent", "Peracetic Disinfectant", "Hand Sanitiser", "Surface Wipes", "CIP Acid"),
        ("5L", "20L", "200L"),
    ),
    (
        "Protective wear",
        9.0,
        0.22,
        0.15,
        1,
        ("Nitrile Gloves", "Coverall", "Face Mask FFP2", "Shoe Covers", "Hair Net"),
        ("box 100", "case 500"),
    ),
    (
        "Packaging",
        2.5,
        0.18,
        0.35,
        11,
        ("Paper Sack", "Stretch Film", "Big Bag", "Carton Box", "Pallet Label"),
        ("pack 50", "roll", "pack 200"),
    ),
    (
        "Lab consumables",
        14.0,
        0.40,
        0.05,
        9,
        ("Petri Dish", "Pipette Tips", "Sample Bag", "Reagent Bottle", "Swab Kit"),
        ("pack 100", "case 1000"),
    ),
    (
        "Water treatment",
        35.0,
        0.30,
        0.40,
        7,
        ("Chlorine Dioxide", "pH Corrector", "Scale Inhibitor", "Biofilm Remover"),
        ("25L", "IBC 1000L"),
    ),
    (
        "Technical service",
        650.0,
        0.26,
        0.20,
        4,
        ("Site Audit", "Equipment Calibration", "Dosing Pump Service", "Hygiene Training"),
        ("visit", "day"),
    ),
    (
        "Spare parts",
        95.0,
        0.48,
        0.10,
        2,
        ("Dosing Pump", "Nozzle Set", "Filter Cartridge", "Sensor Probe", "Valve Kit"),
        ("unit", "set"),
    ),
]
CATEGORY_NAMES = [c[0] for c in _CATEGORIES]

# planted affinities: pairs of categories bought together (index pairs into CATEGORY_NAMES)
_AFFINITY_PAIRS = [
    ("Premixes", "Feed additives"),
    ("Cleaning & disinfection", "Protective wear"),
    ("Diagnostics", "Lab consumables"),
    ("Water treatment", "Technical service"),
    ("Animal health", "Diagnostics"),
]
_AFFINITY_BOOST = 6.0  # weight multiplier for a partner category of one already bought

# industry -> category preference weights (same order as CATEGORY_NAMES) and name cores
_INDUSTRIES: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {
    "Feed milling": ((8, 7, 1, 1.5, 1.5, 0.6, 3, 0.5, 0.8, 1, 1.5), ("Feed Mills", "Feeds", "Milling", "Nutrition")),
    "Poultry & livestock farming": (
        (3, 2, 6, 2.5, 3, 1.5, 0.8, 0.5, 2.5, 0.8, 0.8),
        ("Farms", "Poultry", "Livestock", "Agri"),
    ),
    "Food processing": ((0.2, 0.2, 0.2, 2, 6, 4, 4, 2, 2, 1.2, 1.5), ("Foods", "Meat", "Processing", "Dairy")),
    "Retail": ((0.3, 0.3, 0.8, 0.3, 4, 2.5, 6, 0.3, 0.3, 0.3, 0.3), ("Retail Group", "Stores", "Markets", "Trading")),
    "Hospitals": (
        (0, 0, 0.2, 3, 6, 6, 0.8, 4, 1.5, 1.2, 0.8),
        ("Hospital", "Health Care", "Clinics", "Medical Centre"),
    ),
    "Logistics": ((0.2, 0.2, 0.2, 0.2, 3, 3, 6, 0.2, 0.8, 1, 2.5), ("Logistics", "Transport", "Freight", "Cold Chain")),
    "Water utilities": ((0, 0, 0, 2.5, 1.5, 1.5, 0.3, 3, 7, 4, 3), ("Water", "Utilities", "Aqua", "Waterworks")),
    "Veterinary distribution": (
        (1.5, 2, 7, 4, 1.5, 1, 0.5, 1.5, 0.5, 0.3, 0.5),
        ("Vet Supply", "Animal Health", "Vet Distribution"),
    ),
}
_INDUSTRY_FREQ = np.array([0.2, 0.17, 0.15, 0.12, 0.1, 0.1, 0.06, 0.1])

_REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "North": (("SE", "AB"), ("NO", "AS"), ("DK", "A/S"), ("FI", "Oy")),
    "West": (("NL", "B.V."), ("BE", "NV"), ("FR", "SA"), ("GB", "Ltd")),
    "Central": (("DE", "GmbH"), ("AT", "GmbH"), ("PL", "Sp. z o.o."), ("CH", "AG")),
    "South": (("ES", "S.L."), ("IT", "S.p.A."), ("PT", "Lda")),
}
_NAME_PREFIXES = (
    "Nordic", "Baltic", "Alpine", "Atlantic", "Rhine", "Danube", "Iberian", "Northern", "Western", "Central",
    "Green Valley", "Riverside", "Highland", "Lakeside", "Meadow", "Summit", "Harbour", "Oakwood", "Silverline",
    "Bluewater", "Golden Field", "Eastgate", "Westfield", "Sunrise", "Evergreen", "Stonebridge", "Ashford",
    "Brookside", "Fjord", "Polder", "Heath", "Moorland", "Vista", "Pioneer", "Crown", "Unity", "Liberty", "Delta",
)  # fmt: skip
_CHANNELS = ("Direct", "Distributor", "Tender", "Online")
_CHANNEL_FREQ = np.array([0.55, 0.25, 0.12, 0.08])
_OWNERS = (
    "M. Berg", "A. Jansen", "L. Moreau", "K. Novak", "S. Rossi", "J. Fischer", "E. Lindqvist", "P. Santos",
    "H. de Vries", "C. Dubois", "T. Kowalski", "R. Ortega", "N. Virtanen", "B. Hansen", "F. Weber",
)  # fmt: skip
_FIRST = (
    "Anna", "Erik", "Sofia", "Lars", "Marta", "Jan", "Claire", "Pieter", "Giulia", "Tomasz", "Ingrid", "José",
    "Åsa", "Jürgen", "Zoë", "Mikko", "Léa", "Rui", "Hanna", "Karl", "Elena", "Oskar", "Nina", "Marco", "Sanne",
)  # fmt: skip
_LAST = (
    "Lind", "Jensen", "Müller", "Dubois", "Rossi", "Nowak", "Virtanen", "Santos", "de Jong", "Hansen",
    "García", "Weber", "Bakker", "Ferrari", "Kowalski", "Nilsson", "Martin", "Peeters", "Schmidt", "O'Connor",
)  # fmt: skip
_TITLES = {
    "decision_maker": (
        ("Managing Director", "executive"),
        ("Head of Purchasing", "senior"),
        ("Procurement Director", "executive"),
        ("Operations Director", "senior"),
    ),
    "influencer": (
        ("Quality Manager", "manager"),
        ("Production Manager", "manager"),
        ("Technical Director", "senior"),
        ("Nutritionist", "manager"),
    ),
    "user": (
        ("Plant Supervisor", "staff"),
        ("Lab Technician", "staff"),
        ("Warehouse Lead", "staff"),
        ("Hygiene Coordinator", "manager"),
    ),
    "gatekeeper": (("Buyer", "staff"), ("Purchasing Assistant", "staff"), ("Office Manager", "manager")),
}

# competitors: name, typical price gap vs us (negative = cheaper), aggressive?
_COMPETITORS: list[tuple[str, float, bool]] = [
    ("Vetro", -0.08, True),
    ("Brightwater Supply", -0.06, True),
    ("Kestrel Agro", 0.02, False),
    ("Halvorsen & Co", -0.01, False),
]
_COMPETITOR_FREQ = np.array([0.3, 0.2, 0.28, 0.22])

SEGMENTS = ("strategic_growing", "stable_core", "declining", "small_occasional", "new_growing")
_SEGMENT_FREQ = np.array([0.10, 0.38, 0.14, 0.24, 0.14])

_COMPLAINT_TEXT = {
    "Delivery": (
        "Late delivery of {cat}, {n} days behind schedule",
        "Partial delivery of {cat} order",
        "Wrong delivery address used",
    ),
    "Quality": (
        "Batch of {cat} out of specification",
        "Customer reports lumps/caking in {cat}",
        "Quality certificate missing for {cat} batch",
    ),
    "Invoicing": (
        "Invoice price does not match agreed price",
        "Duplicate invoice received",
        "Credit note for returned {cat} still missing",
    ),
    "Packaging": ("Damaged packaging on arrival", "Labels unreadable on {cat} pallets"),
    "Service": ("No response from customer service for {n} days", "Technician visit cancelled at short notice"),
}
_INTERACTION_NOTES = {
    "meeting": (
        "QBR: reviewed volumes and pricing",
        "Annual review, discussed next year's volumes",
        "Joint business planning session",
        "Presented new product range",
    ),
    "call": (
        "Follow-up on open order",
        "Discussed delivery schedule",
        "Price increase call",
        "Checked on open complaint",
    ),
    "email": ("Sent updated price list", "Shared product data sheets", "Confirmed order changes", "Sent proposal"),
    "visit": ("Site visit, toured production", "Technical visit with specialist", "Visited plant, met operations team"),
}
_LOSS_REASONS_OTHER = ("relationship", "quality", "timing", "no decision", "specification")


@dataclass
class PlantedTruth:
    """What the generator planted, kept apart from the tables (for tests and benchmarks).

    Attributes (all DataFrames)
    ---------------------------
    churn : account_id, churned (bool), churn_kind ('full' / 'partial' / None),
        churn_date (month from which orders stop or drop), signal_start (month the
        leading signals begin, 3-9 months before churn_date); NaT for non-churners.
    segments : account_id, segment (planted behavioural segment, one of ``SEGMENTS``).
    affinities : category_a, category_b, lift (account-level co-purchase lift observed
        in the generated data for the planted pairs).
    competitors : competitor, price_gap (typical price vs ours, -0.08 = 8% cheaper),
        aggressive (bool), strength (share of decided bids against it that it won).
    competitor_accounts : account_id, competitor, attack_start (accounts attacked by an
        aggressive competitor, and from when).
    unreachable_targets : account_id, period (targets planted far above any forecast).
    whitespace_adoptions : account_id, category, start_date (first order of a category
        the account started buying during the history).
    groups : dict account_id -> group_id (the top parent) of every account in a group:
        units, region rows and the parents themselves (empty without groups).
    champions_left : contact_id, account_id, left_date (champions planted to leave; most
        1-4 months before the churn signals of a churner, a few at accounts that stay).
    cross_unit_gaps : account_id, category, adopted_date (a unit that did not buy a
        category at least half of its sister units bought; the date of its first order of
        it when it adopted it during the history, else NaT).
    price_elasticity : dict category -> the planted price elasticity of volume (units bought
        ~ net price ** elasticity, relative to the account's usual price of the category).
    """

    churn: pd.DataFrame
    segments: pd.DataFrame
    affinities: pd.DataFrame
    competitors: pd.DataFrame
    competitor_accounts: pd.DataFrame
    unreachable_targets: pd.DataFrame
    whitespace_adoptions: pd.DataFrame
    groups: dict[str, str] = field(default_factory=dict)
    champions_left: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"contact_id": pd.Series(dtype="str"), "account_id": pd.Series(dtype="str"), "left_date": _dates([])}
        )
    )
    cross_unit_gaps: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"account_id": pd.Series(dtype="str"), "category": pd.Series(dtype="str"), "adopted_date": _dates([])}
        )
    )
    price_elasticity: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """['A0001', 'A0002', ...] as a numpy unicode array."""
    width = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)])


def _str(values) -> pd.Series:
    """Values (None = missing) -> pandas string Series."""
    return pd.Series(values, dtype="str")


def _take_str(labels, codes: np.ndarray) -> pd.Series:
    """``labels[codes]`` as a pandas string Series, fast for millions of rows; code -1 = missing."""
    lab = pd.Series([*list(labels), None], dtype="str")
    codes = np.asarray(codes, dtype=np.int64)
    return lab.take(np.where(codes < 0, len(lab) - 1, codes)).reset_index(drop=True)


def _seq_ids(prefix: str, n: int, width: int) -> pd.Series:
    """'SO-0000001', 'SO-0000002', ... as a pandas string Series (vectorised)."""
    width = max(width, len(str(n)))
    return (prefix + pd.Series(np.arange(1, n + 1)).astype("str").str.zfill(width)).astype("str")


def _dates(days: np.ndarray) -> pd.Series:
    """Days since 1970-01-01 (int) -> datetime64[ns] Series."""
    days = np.asarray(days)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    return pd.Series(out)


def _sample_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of ``rows`` draw a column index with probability ∝ ``weights[row]``.

    ``weights`` is (R, K) with every used row summing to > 0. Vectorised inverse-CDF on a
    flattened, row-offset cumulative array.
    """
    r, k = weights.shape
    cum = np.cumsum(weights, axis=1, dtype=np.float64)
    total = cum[:, -1:].copy()
    total[total <= 0] = 1.0
    cum = cum / total + np.arange(r, dtype=np.float64)[:, None]
    cum[:, -1] = np.arange(1, r + 1)  # exact row ends
    u = rows + rng.random(len(rows)) * (1 - 1e-12)
    idx = np.searchsorted(cum.ravel(), u, side="right")
    return np.minimum(idx - rows * k, k - 1)


def _month_grid(end: pd.Timestamp, years: int) -> tuple[np.ndarray, int]:
    """(month starts as days since epoch for M+13 months incl. 12 future ones, n history months)."""
    m_hist = years * 12
    last = np.datetime64(end.to_period("M").to_timestamp().date(), "M")
    months = last - np.arange(m_hist - 1, -13 - 1, -1)  # m_hist history months + 13 after (for targets/ends)
    return months.astype("datetime64[D]").astype(np.int64), m_hist


# ---------------------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------------------
_PRICE_STREAM = 181  # child stream of list-price changes, discount renegotiations, promotions, elasticities
_TARGET_STREAM = 182  # child stream of the reachable / stretching target mix
_PLANNED_GROWTH = 0.06  # the yearly growth a demo planner puts into every established account's target


def make_portfolio(
    n_accounts: int = 300, years: int = 4, seed: int = 7, as_of: str | None = None, groups: int | None = None
) -> tuple[Portfolio, PlantedTruth]:
    """Generate a demo portfolio and what was planted in it.

    Parameters
    ----------
    n_accounts : number of customer accounts (>= 10).
    years : full years of order history (>= 2), ending in the month of ``as_of``.
    seed : seed of the single ``numpy.random.default_rng`` used; same seed -> same tables.
    as_of : analysis date; default 2026-10-31 (the last day of the last generated month).
        Nothing in the tables is dated after it (except expected close dates of open
        opportunities, which lie in the future by nature).
    groups : number of global-account groups (default: one per 15 accounts), each of 3 to 12
        units in different countries under a new parent account ``G0001``, ... (see
        :mod:`kamtools.datasets_groups`), with reporting lines, attitudes, employees on
        interactions and champions who leave before a planted churn. ``0`` makes the demo of
        earlier versions, table for table (the issue-20 columns present and empty).

    Returns
    -------
    (Portfolio, PlantedTruth). At defaults: ~300 accounts, ~100 products, ~150k order
    lines. Revenue in EUR-like units.
    """
    if n_accounts < 10:
        raise ValueError("make_portfolio: n_accounts must be at least 10")
    if years < 2:
        raise ValueError("make_portfolio: years must be at least 2 (churn is planted in the last 2 years)")
    try:
        as_of_ts = DEFAULT_END if as_of is None else pd.Timestamp(as_of).normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"make_portfolio: as_of {as_of!r} is not a date; write it as YYYY-MM-DD") from exc
    if pd.isna(as_of_ts) or not pd.Timestamp("1995-01-01") <= as_of_ts <= pd.Timestamp("2090-12-31"):
        raise ValueError(f"make_portfolio: as_of {as_of!r} must be a date between 1995 and 2090 (YYYY-MM-DD)")
    if groups is not None and (not isinstance(groups, (int, np.integer)) or groups < 0):
        raise ValueError(f"make_portfolio: groups must be a whole number >= 0, not {groups!r}")
    n_groups = default_groups(n_accounts) if groups is None else int(groups)
    rng = np.random.default_rng(seed)
    g = _Gen(rng, n_accounts, years, as_of_ts, seed)
    if n_groups:
        cores = {name: spec[1] for name, spec in _INDUSTRIES.items()}
        g.groups = GroupLayer(group_stream(seed), n_groups, _NAME_PREFIXES, cores)
    return g.build()


class _Gen:
    """Holds the shared state of one generation run (plain arrays, indexed by account/month)."""

    def __init__(self, rng: np.random.Generator, n: int, years: int, as_of: pd.Timestamp, seed: int = 0) -> None:
        self.rng = rng
        # prices over time (issue 18) and the target mix draw from streams of their own, so the
        # main stream's draws (and every table built from them) shift no more than they must
        self.price_rng = np.random.default_rng([seed, _PRICE_STREAM])
        self.target_rng = np.random.default_rng([seed, _TARGET_STREAM])
        self.n = n
        self.as_of = as_of
        self.as_of_day = int(np.datetime64(as_of.date(), "D").astype(np.int64))
        self.month_days, self.M = _month_grid(as_of, years)
        # usable days of each history month (the last month ends at as_of)
        ends = self.month_days[1:] - 1
        ends = np.minimum(ends, self.as_of_day)
        self.n_days = (ends - self.month_days[:-1] + 1)[: self.M]
        self.cal_month = (self.month_days.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12) + 1
        self.C = len(_CATEGORIES)
        self.groups: GroupLayer | None = None  # the global-account layer (its own random stream)

    # ------------------------------------------------------------------------------------
    def build(self) -> tuple[Portfolio, PlantedTruth]:
        self._products()
        self._accounts()
        if self.groups is not None:
            self.groups.plan(self)
        self._categories()
        self._churn()
        self._levels()
        self._wallet()
        orders = self._orders()
        tables = {"accounts": self.accounts_df, "products": self.products_df, "orders": orders}
        tables["invoices"] = self._invoices()
        tables["contacts"], tables["interactions"] = self._relationships()
        if self.groups is not None:
            self.groups.finish(self, tables)
        else:
            tables = _with_empty_new_columns(tables)
        tables["complaints"] = self._complaints()
        tables["opportunities"] = self._opportunities()
        tables["competitor_prices"] = self._competitor_prices()
        tables["targets"] = self._targets()
        tables = {name: tables[name] for name in TABLES}
        truth = self._truth(tables)
        return Portfolio(tables, self.as_of), truth

    # ------------------------------------------------------------------------------------
    def _products(self) -> None:
        rng = self.rng
        rows = []
        for c, (_cat, price, margin, _amp, _peak, stems, packs) in enumerate(_CATEGORIES):
            for stem in stems:
                n_packs = int(rng.integers(1, len(packs) + 1))
                for k, pack in enumerate(packs[:n_packs]):
                    size_factor = (1.0, 3.8, 14.0)[k]
                    lp = price * size_factor * float(rng.lognormal(0.0, 0.35))
                    m = float(np.clip(margin + rng.normal(0, 0.06), 0.15, 0.5))
                    rows.append((c, f"{stem} {pack}", round(lp, 2), round(lp * (1 - m), 2)))
        self.P = len(rows)
        self.prod_cat = np.array([r[0] for r in rows])
        self.list_price = np.array([r[2] for r in rows])
        self.unit_cost = np.array([r[3] for r in rows])
        self.prod_ids = _ids("P", self.P, 3)
        self.products_df = pd.DataFrame(
            {
                "product_id": _str(self.prod_ids),
                "name": _str([r[1] for r in rows]),
                "category": _str([CATEGORY_NAMES[r[0]] for r in rows]),
                "list_price": self.list_price.astype(float),
                "unit_cost": self.unit_cost.astype(float),
            }
        )
        # product popularity within category (global) as a cumulative table
        self.prod_pop = rng.gamma(1.0, 1.0, self.P)
        self.cat_prod_start = np.searchsorted(self.prod_cat, np.arange(self.C))
        self.cat_prod_count = np.bincount(self.prod_cat, minlength=self.C)
        self._price_moves()

    def _price_moves(self) -> None:
        """Prices that change over time (own stream): a list-price index per category, raised
        each January by 2-6% (compounding, 1.0 in the last history month so the products table
        shows today's list prices; unit costs follow it); promotions in about 3 months a year
        per category (10-20% off); and a planted price elasticity of volume per category,
        uniform in -2.2 to -0.4. (With 2 promotion months of 8-15% and 2 pp discount steps the
        planner could use only 5 of the 11 categories' estimates: 95% intervals wider than 2.)"""
        r, M, C = self.price_rng, self.M, self.C
        jan = self.cal_month[:M] == 1
        jan[0] = False  # the history starts at the index level of its first month
        rise = np.where(jan[:, None], r.uniform(0.02, 0.06, (M, C)), 0.0)
        log_index = np.cumsum(np.log1p(rise), axis=0)
        self.lp_index = np.exp(log_index - log_index[M - 1])  # (M, C)
        promo = r.random((M, C)) < 3 / 12
        self.promo = np.where(promo, r.uniform(0.10, 0.20, (M, C)), 0.0)  # (M, C) share off
        self.elasticity = r.uniform(-2.2, -0.4, C)

    # ------------------------------------------------------------------------------------
    def _accounts(self) -> None:
        rng, n = self.rng, self.n
        self.acc_ids = _ids("A", n, 4)
        self.segment = rng.choice(len(SEGMENTS), size=n, p=_SEGMENT_FREQ)
        seg = self.segment
        # yearly revenue level at the start of the history: lognormal, segment-shifted
        shift = np.array([1.3, 0.3, 0.2, -1.2, -0.2])[seg]
        self.base = np.exp(np.log(90_000) + shift + rng.normal(0, 1.05, n))
        # trend per year (log growth)
        lo = np.array([0.10, -0.04, -0.28, -0.06, 0.12])[seg]
        hi = np.array([0.25, 0.06, -0.10, 0.06, 0.35])[seg]
        self.growth = rng.uniform(lo, hi)
        # customer since: existing accounts years before history; new ones inside it
        start_day = self.month_days[0]
        is_new = seg == SEGMENTS.index("new_growing")
        self.start_month = np.zeros(n, dtype=np.int64)
        self.start_month[is_new] = rng.integers(0, max(1, self.M - 12), is_new.sum())
        since = start_day - rng.integers(60, 365 * 20, n)
        since_new = self.month_days[self.start_month] - rng.integers(0, 25, n)
        self.since_day = np.where(is_new, since_new, since)
        self.is_new = is_new

        self.industry_names = list(_INDUSTRIES)
        self.industry = rng.choice(len(_INDUSTRIES), size=n, p=_INDUSTRY_FREQ / _INDUSTRY_FREQ.sum())
        regions = list(_REGIONS)
        self.region = rng.choice(len(regions), size=n, p=[0.3, 0.28, 0.27, 0.15])
        country_k = rng.integers(0, 4, n) % np.array([len(_REGIONS[r]) for r in regions])[self.region]
        countries = [_REGIONS[regions[r]][k] for r, k in zip(self.region, country_k)]
        channel = rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_FREQ)
        n_owners = int(np.clip(round(n / 25), 5, len(_OWNERS)))
        owner = rng.integers(0, n_owners, n)

        names, seen = [], set()
        pre = rng.integers(0, len(_NAME_PREFIXES), n)
        core = rng.integers(0, 4, n)
        for i in range(n):
            cores = _INDUSTRIES[self.industry_names[self.industry[i]]][1]
            name = f"{_NAME_PREFIXES[pre[i]]} {cores[core[i] % len(cores)]} {countries[i][1]}"
            base_name, k = name, 2
            while name in seen:
                name = f"{base_name} ({k})"
                k += 1
            seen.add(name)
            names.append(name)

        # adversarial but valid strings: escaping in CSV, HTML and LaTeX
        def core_of(i: int) -> str:
            return _INDUSTRIES[self.industry_names[self.industry[i]]][1][0]

        names[2] = f"O'Neill & Daughters {core_of(2)} {countries[2][1]}"
        names[3] = f'Smith, Brown "Quality" {core_of(3)} {countries[3][1]}'
        names[9] = f"Müller & Söhne {core_of(9)} {countries[9][1]}"

        self.accounts_df = pd.DataFrame(
            {
                "account_id": _str(self.acc_ids),
                "name": _str(names),
                "industry": _str([self.industry_names[i] for i in self.industry]),
                "region": _str([regions[r] for r in self.region]),
                "country": _str([c[0] for c in countries]),
                "channel": _str([_CHANNELS[c] for c in channel]),
                "owner": _str([_OWNERS[o] for o in owner]),
                "customer_since": _dates(self.since_day),
                "potential_revenue": np.nan,  # set in _wallet once the revenue levels are known
            }
        )

    # ------------------------------------------------------------------------------------
    def _categories(self) -> None:
        """Initial category sets (industry + affinity driven), shares, discounts, adoptions."""
        rng, n, C = self.rng, self.n, self.C
        pref = np.array([_INDUSTRIES[k][0] for k in self.industry_names], dtype=float)[self.industry] + 0.05
        if self.groups is not None:
            pref = self.groups.shared_preferences(pref)
        partner = np.zeros((C, C), dtype=bool)
        for a, b in _AFFINITY_PAIRS:
            i, j = CATEGORY_NAMES.index(a), CATEGORY_NAMES.index(b)
            partner[i, j] = partner[j, i] = True
        self.partner = partner
        size_z = (np.log(self.base) - np.log(self.base).mean()) / np.log(self.base).std()
        k_cats = np.clip(1 + rng.poisson(np.clip(1.2 + 0.9 * size_z, 0.2, None)), 1, 7)
        owned = np.zeros((n, C), dtype=bool)
        rows = np.arange(n)
        for step in range(int(k_cats.max())):
            w = pref * np.where(owned @ partner, _AFFINITY_BOOST, 1.0) * ~owned
            pick = _sample_rows(rng, w, rows)
            active = k_cats > step
            owned[rows[active], pick[active]] = True
        share = rng.gamma(1.2, 1.0, (n, C)) * pref * owned
        self.share = share / share.sum(axis=1, keepdims=True)
        self.main_cat = self.share.argmax(axis=1)

        # whitespace adoptions: a new category during history, affinity-driven
        seg = self.segment
        p_adopt = np.array([0.55, 0.3, 0.08, 0.12, 0.45])[seg]
        w = (pref + 0.5) * np.where(owned @ partner, 1.0, 0.03) * ~owned
        if self.groups is not None:  # sister units' categories: planted cross-unit gaps
            p_adopt, w = self.groups.gap_adoption(owned, p_adopt, w)
        adopt = (rng.random(n) < p_adopt) & (owned.sum(axis=1) < C)
        w[~adopt] = 1.0  # unused rows
        new_cat = _sample_rows(rng, w, rows)
        first = self.start_month + 6
        last = self.M - 4
        ok = adopt & (first < last)
        adopt_month = np.where(ok, rng.integers(np.minimum(first, last - 1), last), -1)
        self.adopt_cat = np.where(ok, new_cat, -1)
        self.adopt_month = adopt_month
        add_share = rng.uniform(0.1, 0.35, n)
        self.adopt_share = np.where(ok, add_share, 0.0)

        # discounts: bigger accounts get more; a few deep (loss-making) account x category pairs
        rank = size_z.argsort().argsort() / max(n - 1, 1)
        disc = rng.normal(0.03 + 0.10 * rank, 0.025)[:, None] + rng.normal(0, 0.015, (n, C))
        cat_margin = np.array([c[2] for c in _CATEGORIES])
        disc = np.clip(disc, 0.0, cat_margin[None, :] - 0.08)  # ordinary discounts keep a margin
        deep = (rng.random((n, C)) < 0.03) & owned
        disc[deep] = rng.uniform(0.5, 0.62, deep.sum())
        self.discount = disc
        # renegotiated once a year on the account's contract month (own stream): previous
        # discount + normal(0, 3 pp), kept in [0, category margin - 8 pp]; deep ones stay as they are
        r, M = self.price_rng, self.M
        contract = r.integers(1, 13, n)
        step = r.normal(0.0, 0.03, (M, n, C))
        hi = np.broadcast_to(cat_margin[None, :] - 0.08, (n, C))
        disc_t = np.empty((n, M, C))
        disc_t[:, 0] = disc
        for m in range(1, M):
            redo = (self.cal_month[m] == contract)[:, None] & ~deep
            disc_t[:, m] = np.where(redo, np.clip(disc_t[:, m - 1] + step[m], 0.0, hi), disc_t[:, m - 1])
        self.discount_t = disc_t  # (n, M, C)
        self.owned0 = owned
        # each account has a preferred product per category
        u = rng.random((n, C))
        self.pref_prod = self.cat_prod_start[None, :] + (u * self.cat_prod_count[None, :]).astype(np.int64)

    # ------------------------------------------------------------------------------------
    def _churn(self) -> None:
        rng, n, M = self.rng, self.n, self.M
        seg = self.segment
        p = np.array([0.065, 0.145, 0.37, 0.23, 0.09])[seg]
        # churn in the last 2 years (less when the history is short), signals 3-9 months
        # ahead; the account needs 9 months of normal behaviour before its signals start
        lo = max(M - 24, min(M - 6, 15))
        churn_month = rng.integers(lo, M - 1, n)
        lead = np.minimum(rng.integers(3, 10, n), churn_month - 1)
        eligible = self.start_month <= churn_month - lead - 9
        churned = (rng.random(n) < p) & eligible
        kind_full = rng.random(n) < 0.5
        self.churned = churned
        self.churn_full = churned & kind_full
        self.churn_partial = churned & ~kind_full
        self.churn_month = np.where(churned, churn_month, M + 100)
        self.signal_month = np.where(churned, churn_month - lead, M + 100)
        self.partial_level = rng.uniform(0.15, 0.4, n)
        # accounts attacked by an aggressive competitor: most churners, a few others
        aggressive = [i for i, c in enumerate(_COMPETITORS) if c[2]]
        attacked = np.where(churned, rng.random(n) < 0.65, rng.random(n) < 0.07)
        self.attacker = np.where(attacked, rng.choice(aggressive, size=n), -1)
        attack_start = np.where(churned, self.signal_month - rng.integers(0, 3, n), rng.integers(0, M - 6, n))
        self.attack_month = np.where(attacked, np.maximum(attack_start, self.start_month), M + 100)
        # temporary dips for non-churners (noise of the same kind as churn signals)
        self.dip_month = np.where(~churned & (rng.random(n) < 0.15), rng.integers(6, M, n), M + 100)

    # ------------------------------------------------------------------------------------
    def _levels(self) -> None:
        """Account x month arrays: revenue level, order-rate and order-size multipliers, signal flags."""
        n, M = self.n, self.M
        t = np.arange(M + 12)[None, :]  # incl. 12 future months for targets
        trend = np.exp(self.growth[:, None] * t / 12)
        since = t - self.start_month[:, None]
        ramp = np.where(since >= 0, 1 - np.exp(-(since + 1) / 4.0), 0.0)
        ramp[~self.is_new] = 1.0
        self.plan_level = trend * ramp  # what a planner would expect without churn
        # churn: linear fade in the signal window, stop or drop after
        cm, sm = self.churn_month[:, None], self.signal_month[:, None]
        frac = np.clip((t - sm + 1) / np.maximum(cm - sm, 1), 0, 1)
        in_window = (t >= sm) & (t < cm)
        after = t >= cm
        rate_mult = np.where(in_window, 0.85 - 0.5 * frac, 1.0)
        size_mult = np.where(in_window, 0.95 - 0.3 * frac, 1.0)
        after_level = np.where(self.churn_full, 0.0, self.partial_level)[:, None]
        rate_mult = np.where(after, np.sqrt(after_level), rate_mult)
        size_mult = np.where(after, np.sqrt(after_level), size_mult)
        dip = (t >= self.dip_month[:, None]) & (t < self.dip_month[:, None] + 3)
        rate_mult = np.where(dip, rate_mult * 0.6, rate_mult)
        self.signal = in_window[:, :M]
        self.signal_frac = np.where(in_window, frac, 0.0)[:, :M]
        self.after_churn = after[:, :M]
        self.dip = dip[:, :M]
        self.rate_mult = rate_mult[:, :M]
        self.size_mult = size_mult[:, :M]
        # churners stop growing once their signals start: the drop is measured from there
        frozen = self.plan_level[np.arange(n), np.clip(self.signal_month, 0, M - 1)]
        self.level = np.where(t >= sm, frozen[:, None], self.plan_level)[:, :M]

        # category weights per account x month (seasonality, adoption ramp, dropped categories)
        C = self.C
        amp = np.array([c[3] for c in _CATEGORIES])
        peak = np.array([c[4] for c in _CATEGORIES])
        season = 1 + amp[None, :] * np.cos(2 * np.pi * (self.cal_month[:M, None] - peak[None, :]) / 12)  # (M, C)
        self.season = season
        w = self.share[:, None, :] * season[None, :, :]  # (n, M, C)
        has = self.adopt_cat >= 0
        ai = np.nonzero(has)[0]
        ramp_a = np.clip((np.arange(M)[None, :] - self.adopt_month[ai, None] + 1) / 4.0, 0, 1)
        w[ai, :, self.adopt_cat[ai]] = self.adopt_share[ai, None] * ramp_a * season[:, self.adopt_cat[ai]].T
        # churners drop their non-main categories one by one in the signal window
        rng = self.rng
        drop_at = np.where(self.churned[:, None], self.signal_month[:, None] + rng.integers(1, 6, (n, C)), M + 100)
        drop_at[np.arange(n), self.main_cat] = M + 100
        drop_at[self.churn_partial, :] = np.minimum(
            drop_at[self.churn_partial, :], self.churn_month[self.churn_partial, None]
        )
        drop_at[np.arange(n), self.main_cat] = M + 100
        self.drop_at = drop_at
        dropped = np.arange(M)[None, :, None] >= drop_at[:, None, :]
        w[dropped] = 0.0
        self.cat_w = w
        # account seasonality = share-weighted category seasonality
        tot = w.sum(axis=2)
        base_tot = (self.share[:, None, :] * np.ones((1, M, C))).sum(axis=2)
        self.acc_season = np.where(base_tot > 0, tot / np.maximum(base_tot, 1e-12), 1.0)
        self.acc_season = np.clip(self.acc_season, 0.2, None)
        self.cat_w = w.reshape(n * M, C)

    # ------------------------------------------------------------------------------------
    def _wallet(self) -> None:
        """potential_revenue: expected (churn-free) revenue of the last 12 months / share of wallet.

        Our share of wallet is drawn in 10-90%; ~20% of accounts have no estimate.
        """
        rng, n, M = self.rng, self.n, self.M
        sow = np.clip(rng.beta(2.0, 2.2, n) * 0.8 + 0.1, 0.1, 0.9)
        expected = self.base / 12 * self.plan_level[:, M - 12 : M].sum(axis=1) * (1 + self.adopt_share)
        wallet = np.round(expected / sow, -2)
        wallet[rng.random(n) < 0.2] = np.nan
        self.share_of_wallet = sow
        self.accounts_df["potential_revenue"] = wallet.astype(float)

    # ------------------------------------------------------------------------------------
    def _orders(self) -> pd.DataFrame:
        rng, n, M = self.rng, self.n, self.M
        seg = self.segment
        # orders per month: larger accounts order more often; small ones are intermittent
        lam = 4.0 * (self.base / 90_000) ** 0.45 * rng.lognormal(0, 0.25, n)
        lam = np.where(seg == SEGMENTS.index("small_occasional"), rng.uniform(0.12, 0.6, n), lam)
        lam = np.clip(lam, 0.1, 60)
        n_cats = self.owned0.sum(axis=1)
        mu_lines = 0.6 + 0.55 * n_cats  # extra lines per order beyond the first
        self.lam = lam
        rate = lam[:, None] * np.sqrt(self.level) * self.rate_mult * self.acc_season
        rate[self.after_churn & self.churn_full[:, None]] = 0.0
        counts = rng.poisson(rate)
        cell = np.repeat(np.arange(n * M), counts.ravel())
        a, m = cell // M, cell % M
        day = self.month_days[m] + (rng.random(len(a)) * self.n_days[m]).astype(np.int64)
        order = np.lexsort((a, day))
        a, m, day, cell = a[order], m[order], day[order], cell[order]
        k_lines = 1 + rng.poisson(mu_lines[a])
        # a line: category from the account-month mix, product (preferred or popular), size
        la = np.repeat(a, k_lines)
        lm = np.repeat(m, k_lines)
        order_idx = np.repeat(np.arange(len(a)), k_lines)
        cat = _sample_rows(rng, self.cat_w, np.repeat(cell, k_lines))
        use_pref = rng.random(len(la)) < 0.45
        pop = _sample_rows_grouped(rng, self.prod_pop, self.cat_prod_start, self.cat_prod_count, cat)
        prod = np.where(use_pref, self.pref_prod[la, cat], pop)
        # revenue per order follows the account's level (sqrt split between count and size)
        order_value = self.base / 12 / lam
        # (an adopted category adds revenue through more orders: it raises acc_season)
        lv = order_value[la] * np.sqrt(self.level[la, lm]) * self.size_mult[la, lm]
        line_rev = lv / (1 + mu_lines[la]) * rng.lognormal(-0.32, 0.8, len(la))
        # the net price moves with list-price changes, renegotiated discounts and promotions; the
        # volume bought answers with the category's planted elasticity, relative to the account's
        # usual (geometric mean) price of the category: units ~ price ** elasticity
        factor = self.lp_index[None, :, :] * (1 - self.discount_t) * (1 - self.promo[None, :, :])  # (n, M, C)
        usual = np.exp(np.log(factor).mean(axis=1))  # (n, C)
        line_factor = self._net_factor(la, lm, cat, prod)
        line_rev = line_rev * (line_factor / usual[la, cat]) ** (1 + self.elasticity[cat])
        units = line_rev / (self.list_price[prod] * line_factor)
        del la, lm, cat, use_pref, pop, line_rev, usual, factor, line_factor
        # one line per product and order; whole units by unbiased stochastic rounding
        # (a small account rarely buys an expensive item rather than always buying one)
        key, inv = np.unique(order_idx * self.P + prod, return_inverse=True)
        units = np.bincount(inv, weights=units, minlength=len(key))
        qty = np.floor(units)
        qty += rng.random(len(qty)) < units - qty
        keep = qty > 0
        key, qty = key[keep], qty[keep]
        order_idx, prod = key // self.P, key % self.P
        la, lm, cat = a[order_idx], m[order_idx], self.prod_cat[prod]
        net_unit = self.list_price[prod] * self._net_factor(la, lm, cat, prod)
        net = np.round(qty * net_unit, 2)
        # unit costs move with the list-price index (margins keep their level over the years)
        cost = np.round(qty * self.unit_cost[prod] * self.lp_index[lm, cat] * rng.normal(1.0, 0.02, len(la)), 2)
        # orders without any line left disappear; number the rest in date order
        new_order = np.r_[True, order_idx[1:] != order_idx[:-1]] if len(order_idx) else np.zeros(0, bool)
        order_no = np.cumsum(new_order)
        first_line = np.nonzero(new_order)[0]
        line_no = np.arange(len(order_idx)) - np.repeat(first_line, np.diff(np.r_[first_line, len(order_idx)])) + 1
        self.line_a, self.line_m, self.line_cat, self.line_net, self.line_day = la, lm, cat, net, day[order_idx]

        n_kept = int(order_no[-1]) if len(order_no) else 0
        return pd.DataFrame(
            {
                "order_id": _seq_ids("SO-", n_kept, 7).take(order_no - 1).reset_index(drop=True),
                "line": line_no.astype(np.int64),
                "account_id": _take_str(self.acc_ids, la),
                "product_id": _take_str(self.prod_ids, prod),
                "order_date": _dates(day[order_idx]),
                "quantity": qty.astype(float),
                "net_revenue": net.astype(float),
                "cost": cost.astype(float),
            }
        )

    def _net_factor(self, a: np.ndarray, m: np.ndarray, cat: np.ndarray, prod: np.ndarray) -> np.ndarray:
        """Net unit price / list price of each line: list-price index x (1 - the account's discount
        that month) x (1 - the category's promotion), the promotion keeping 5% over the product's
        cost (a promotion is not sold at a loss; deep-discount pairs get none)."""
        before = 1 - self.discount_t[a, m, cat]
        cost_share = 1.05 * self.unit_cost[prod] / self.list_price[prod]
        promo = np.minimum(self.promo[m, cat], np.clip(1 - cost_share / before, 0.0, None))
        return self.lp_index[m, cat] * before * (1 - promo)

    # ------------------------------------------------------------------------------------
    def _invoices(self) -> pd.DataFrame:
        """One invoice per account and month with orders, issued at month end."""
        rng, n, M = self.rng, self.n, self.M
        cell = self.line_a * M + self.line_m
        amount = np.bincount(cell, weights=self.line_net, minlength=n * M)
        cells = np.nonzero(amount > 0)[0]
        a, m = cells // M, cells % M
        issue = np.minimum(self.month_days[m + 1] - 1, self.as_of_day)
        terms = np.array([30, 45, 60])[rng.choice(3, size=n, p=[0.5, 0.3, 0.2])]
        due = issue + terms[a]
        # payment behaviour: most on time, some habitually late, churners late in their window
        habit = rng.choice(3, size=n, p=[0.72, 0.23, 0.05])
        p_late = np.array([0.08, 0.4, 0.9])[habit]
        mean_late = np.array([6.0, 12.0, 30.0])[habit]
        late = rng.random(len(a)) < p_late[a]
        delay = np.where(late, 1 + rng.exponential(mean_late[a]), -rng.exponential(3.0, len(a)))
        risky = self.signal[a, m] | self.after_churn[a, m]
        delay = np.where(risky, 12 + rng.exponential(32.0, len(a)), delay)
        delay = np.maximum(delay, -terms[a] + 1).round().astype(np.int64)
        paid = due + delay
        paid = np.where(paid > self.as_of_day, np.iinfo(np.int64).min, paid)
        order = np.lexsort((a, issue))
        df = pd.DataFrame(
            {
                "invoice_id": _seq_ids("INV-", len(a), 7),
                "account_id": _take_str(self.acc_ids, a[order]),
                "issue_date": _dates(issue[order]),
                "due_date": _dates(due[order]),
                "paid_date": _nat_dates(paid[order]),
                "amount": np.round(amount[cells][order], 2),
            }
        )
        return df

    # ------------------------------------------------------------------------------------
    def _relationships(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng, n, M = self.rng, self.n, self.M
        size_z = np.log(self.base / np.median(self.base))
        n_contacts = np.clip(np.round(3 + 1.3 * size_z + rng.normal(0, 1, n)), 2, 8).astype(np.int64)
        single = rng.random(n) < 0.1
        n_contacts[single] = 1
        # decision makers come first within an account
        n_dm = np.where(single, 0, 1 + (rng.random(n) < 0.25 * (n_contacts > 4)))
        n_dm = np.minimum(n_dm, n_contacts)
        total = int(n_contacts.sum())
        ca = np.repeat(np.arange(n), n_contacts)
        cstart = np.cumsum(n_contacts) - n_contacts
        pos = np.arange(total) - cstart[ca]
        is_dm = pos < n_dm[ca]
        roles = np.array(["decision_maker", "influencer", "user", "gatekeeper"])
        role_idx = np.where(is_dm, 0, rng.choice([1, 2, 3], size=total, p=[0.45, 0.35, 0.2]))
        title_k = rng.integers(0, 4, total)
        titles, senior = [], []
        for r, k in zip(role_idx, title_k):
            opts = _TITLES[roles[r]]
            t = opts[k % len(opts)]
            titles.append(t[0])
            senior.append(t[1])
        first = rng.integers(0, len(_FIRST), total)
        last = rng.integers(0, len(_LAST), total)
        names = [f"{_FIRST[f]} {_LAST[la]}" for f, la in zip(first, last)]
        title_arr = np.array(titles, dtype=object)
        title_arr[rng.random(total) < 0.05] = None
        contact_ids = _ids("K-", total, 5)
        contacts = pd.DataFrame(
            {
                "contact_id": _str(contact_ids),
                "account_id": _str(self.acc_ids[ca]),
                "name": _str(names),
                "title": _str(title_arr),
                "role": _str(roles[role_idx]),
                "seniority": _str(senior),
            }
        )
        # interactions: account x month Poisson, fading before churn; some accounts lose DM access
        rate = np.clip(1.5 + 1.0 * size_z, 0.7, 8)[:, None] * np.ones((1, M))
        rate = np.where(self.signal, rate * (1 - 0.75 * self.signal_frac), rate)
        rate = np.where(self.after_churn, np.where(self.churn_full[:, None], 0.05, 0.5) * rate, rate)
        started = np.arange(M)[None, :] >= self.start_month[:, None]
        rate = rate * started
        counts = rng.poisson(rate)
        cell = np.repeat(np.arange(n * M), counts.ravel())
        a, m = cell // M, cell % M
        day = self.month_days[m] + (rng.random(len(a)) * self.n_days[m]).astype(np.int64)
        # no decision-maker contact: churners from their signal start, ~10% of others lately
        gap = ~self.churned & (rng.random(n) < 0.08)
        gap_from = np.where(gap, M - rng.integers(4, 9, n), np.where(self.churned, self.signal_month, M + 100))
        dm_ok = (m < gap_from[a]) & (n_dm[a] > 0)
        choose_dm = dm_ok & (rng.random(len(a)) < 0.45)
        n_non = n_contacts - n_dm
        u = rng.random(len(a))
        cidx = np.where(
            choose_dm | (n_non[a] == 0),
            cstart[a] + (u * np.maximum(n_dm[a], 1)).astype(np.int64),
            cstart[a] + n_dm[a] + (u * np.maximum(n_non[a], 1)).astype(np.int64),
        )
        # no suitable contact (only a DM who is not met) or not recorded -> missing contact
        missing = ((n_non[a] == 0) & ~dm_ok) | (rng.random(len(a)) < 0.05)
        types = np.array(["meeting", "call", "email", "visit"])
        ti = rng.choice(4, size=len(a), p=[0.2, 0.3, 0.35, 0.15])
        notes_k = rng.integers(0, 4, len(a))
        # notes: index into the flat list of every type's templates; -1 = no notes
        flat_notes = [note for t in types for note in _INTERACTION_NOTES[t]]
        n_notes = np.array([len(_INTERACTION_NOTES[t]) for t in types])
        note_code = (np.cumsum(n_notes) - n_notes)[ti] + notes_k % n_notes[ti]
        note_code[rng.random(len(a)) < 0.25] = -1
        order = np.lexsort((a, day))
        interactions = pd.DataFrame(
            {
                "account_id": _take_str(self.acc_ids, a[order]),
                "contact_id": _take_str(contact_ids, np.where(missing, -1, cidx)[order]),
                "date": _dates(day[order]),
                "type": _take_str(types, ti[order]),
                "notes": _take_str(flat_notes, note_code[order]),
            }
        )
        return contacts, interactions

    # ------------------------------------------------------------------------------------
    def _complaints(self) -> pd.DataFrame:
        rng, n, M = self.rng, self.n, self.M
        size_z = np.log(self.base / np.median(self.base))
        base_rate = np.clip(0.03 + 0.02 * size_z, 0.01, 0.12)[:, None] * np.ones((1, M))
        rate = np.where(self.signal, base_rate + 0.35, base_rate)
        rate = np.where(self.dip, rate + 0.12, rate)  # non-churners have bad spells too
        rate = np.where(self.after_churn & self.churn_full[:, None], 0.0, rate)
        rate = rate * (np.arange(M)[None, :] >= self.start_month[:, None])
        counts = rng.poisson(rate)
        cell = np.repeat(np.arange(n * M), counts.ravel())
        a, m = cell // M, cell % M
        day = self.month_days[m] + (rng.random(len(a)) * self.n_days[m]).astype(np.int64)
        sig = self.signal[a, m]
        sev_p_normal = np.array([0.45, 0.35, 0.16, 0.04])
        sev_p_signal = np.array([0.12, 0.33, 0.37, 0.18])
        u = rng.random(len(a))
        sev = np.where(
            sig,
            np.searchsorted(np.cumsum(sev_p_signal), u, side="right"),
            np.searchsorted(np.cumsum(sev_p_normal), u, side="right"),
        ).clip(0, 3)
        days = rng.lognormal(np.log(6) + 0.35 * sev + np.where(sig, 1.1, 0.0), 0.7)
        resolved = day + np.ceil(days).astype(np.int64)
        # still open: not resolved by as_of, or stuck (more likely for recent cases)
        stuck = rng.random(len(a)) < np.where(m >= M - 6, 0.15, 0.005)
        resolved = np.where((resolved > self.as_of_day) | stuck, np.iinfo(np.int64).min, resolved)
        cats = list(_COMPLAINT_TEXT)
        cat_i = rng.choice(len(cats), size=len(a), p=[0.32, 0.28, 0.15, 0.1, 0.15])
        main_cat_name = np.array(CATEGORY_NAMES)[self.main_cat[a]]
        k = rng.integers(0, 3, len(a))
        nn = rng.integers(2, 15, len(a))
        text = [
            _COMPLAINT_TEXT[cats[c]][kk % len(_COMPLAINT_TEXT[cats[c]])].format(cat=mc.lower(), n=x)
            for c, kk, mc, x in zip(cat_i, k, main_cat_name, nn)
        ]
        order = np.lexsort((a, day))
        ids = _ids("C-", len(a), 5)
        return pd.DataFrame(
            {
                "complaint_id": _str(ids),
                "account_id": _str(self.acc_ids[a[order]]),
                "opened_date": _dates(day[order]),
                "resolved_date": _nat_dates(resolved[order]),
                "severity": _str(np.array(["low", "medium", "high", "critical"])[sev[order]]),
                "category": _str(np.array(cats)[cat_i[order]]),
                "description": _str(np.array(text, dtype=object)[order]),
            }
        )

    # ------------------------------------------------------------------------------------
    def _opportunities(self) -> pd.DataFrame:
        rng, n, M = self.rng, self.n, self.M
        size_z = np.log(self.base / np.median(self.base))
        per_month = np.clip(0.18 + 0.09 * size_z, 0.04, 0.6)[:, None] * np.ones((1, M))
        attacked = np.arange(M)[None, :] >= self.attack_month[:, None]
        per_month = np.where(self.signal, per_month * 2.0, per_month)
        per_month = np.where(self.after_churn & self.churn_full[:, None], per_month * 0.2, per_month)
        per_month = per_month * (np.arange(M)[None, :] >= self.start_month[:, None])
        counts = rng.poisson(per_month)
        cell = np.repeat(np.arange(n * M), counts.ravel())
        a, m = cell // M, cell % M
        k = len(a)
        created = self.month_days[m] + (rng.random(k) * self.n_days[m]).astype(np.int64)
        cycle = np.round(rng.lognormal(np.log(60), 0.6, k)).astype(np.int64) + 5
        close = created + cycle
        # category: mostly what they buy, sometimes a whitespace bid
        owned_w = self.owned0[a].astype(float) + 0.08
        cat = _sample_rows(rng, owned_w, np.arange(k))
        # competitor: the attacker when attacked, else by market presence; sometimes unknown
        comp = rng.choice(len(_COMPETITORS), size=k, p=_COMPETITOR_FREQ)
        att = attacked[a, m]
        comp = np.where(att & (rng.random(k) < 0.8), self.attacker[a], comp)
        unknown = rng.random(k) < 0.12
        gap = np.array([c[1] for c in _COMPETITORS])[comp]
        our_price = np.round(100 * np.exp(rng.normal(0, 0.03, k)), 1)
        deeper = np.where(att, -0.025, 0.0)
        comp_price = np.round(our_price * np.exp(gap + deeper + rng.normal(0, 0.035, k)), 1)
        rel = np.log(our_price / comp_price)  # > 0: we are more expensive
        sig = self.signal[a, m] | self.after_churn[a, m]
        strategic = self.segment[a] == SEGMENTS.index("strategic_growing")
        logit = 0.35 - 16.0 * np.where(unknown, 0.0, rel) - 1.1 * sig + 0.4 * strategic
        won = rng.random(k) < 1 / (1 + np.exp(-logit))
        decided = close <= self.as_of_day
        status = np.where(decided, np.where(won, "won", "lost"), "open")
        stage_open = rng.choice(3, size=k, p=[0.4, 0.35, 0.25])
        stage = np.where(
            status == "won",
            "Closed Won",
            np.where(
                status == "lost", "Closed Lost", np.array(["Qualification", "Proposal", "Negotiation"])[stage_open]
            ),
        )
        prob = np.where(status == "won", 1.0, np.where(status == "lost", 0.0, np.array([0.2, 0.4, 0.6])[stage_open]))
        amount = np.round(self.base[a] * rng.uniform(0.04, 0.3, k) * rng.lognormal(0, 0.3, k), -2)
        amount = np.maximum(amount, 100.0)
        price_loss = (rel > 0.03) & ~unknown
        other = np.array(_LOSS_REASONS_OTHER)[rng.choice(5, size=k, p=[0.35, 0.2, 0.2, 0.15, 0.1])]
        other = np.where(sig & (rng.random(k) < 0.5), "relationship", other)
        reason = np.where(price_loss & (rng.random(k) < 0.8), "price", other).astype(object)
        reason[status != "lost"] = None
        comp_name = np.array([c[0] for c in _COMPETITORS], dtype=object)[comp]
        comp_name[unknown] = None
        comp_price_out = np.where(unknown, np.nan, comp_price)
        order = np.lexsort((a, created))
        ids = _ids("OP-", k, 5)
        o = order
        return pd.DataFrame(
            {
                "opportunity_id": _str(ids),
                "account_id": _str(self.acc_ids[a[o]]),
                "created_date": _dates(created[o]),
                "close_date": _dates(close[o]),
                "stage": _str(stage[o]),
                "status": _str(status[o]),
                "amount": amount[o].astype(float),
                "probability": prob[o].astype(float),
                "category": _str(np.array(CATEGORY_NAMES)[cat[o]]),
                "our_price": our_price[o].astype(float),
                "competitor": _str(comp_name[o]),
                "competitor_price": comp_price_out[o].astype(float),
                "loss_reason": _str(reason[o]),
            }
        )

    # ------------------------------------------------------------------------------------
    def _competitor_prices(self) -> pd.DataFrame:
        rng, M, C = self.rng, self.M, self.C
        K = len(_COMPETITORS)
        gap = np.array([c[1] for c in _COMPETITORS])
        offset = rng.normal(0, 0.015, (C, K))
        # AR(1) market noise per category x competitor over months
        eps = rng.normal(0, 0.008, (M, C, K))
        noise = np.zeros((M, C, K))
        for t in range(M):
            noise[t] = (0.8 * noise[t - 1] if t else 0) + eps[t]
        idx = 100 * np.exp(gap[None, None, :] + offset[None] + noise)
        mm, cc, kk = np.meshgrid(np.arange(M), np.arange(C), np.arange(K), indexing="ij")
        keep = rng.random(mm.shape) < 0.85  # not every competitor seen every month
        market = pd.DataFrame(
            {
                "day": self.month_days[mm[keep]],
                "acc": -1,
                "cat": cc[keep],
                "comp": kk[keep],
                "price_index": np.round(idx[keep], 1),
            }
        )
        # per-account sightings: attackers undercut deeper; a few random sightings elsewhere
        n = self.n
        att = np.nonzero(self.attacker >= 0)[0]
        n_obs = rng.integers(2, 7, len(att))
        aa = np.repeat(att, n_obs)
        mo = np.minimum(self.attack_month[aa] + rng.integers(0, 12, len(aa)), M - 1)
        rows_a = pd.DataFrame(
            {
                "day": self.month_days[mo] + (rng.random(len(aa)) * self.n_days[mo]).astype(np.int64),
                "acc": aa,
                "cat": self.main_cat[aa],
                "comp": self.attacker[aa],
                "price_index": np.round(100 * np.exp(gap[self.attacker[aa]] - 0.03 + rng.normal(0, 0.02, len(aa))), 1),
            }
        )
        others = np.nonzero(rng.random(n) < 0.12)[0]
        comp_o = rng.choice(K, size=len(others), p=_COMPETITOR_FREQ)
        mo = rng.integers(0, M, len(others))
        rows_o = pd.DataFrame(
            {
                "day": self.month_days[mo] + (rng.random(len(others)) * self.n_days[mo]).astype(np.int64),
                "acc": others,
                "cat": self.main_cat[others],
                "comp": comp_o,
                "price_index": np.round(100 * np.exp(gap[comp_o] + rng.normal(0, 0.03, len(others))), 1),
            }
        )
        df = pd.concat([market, rows_a, rows_o], ignore_index=True)
        df = df[df["day"] <= self.as_of_day].sort_values(["day", "acc", "cat", "comp"], kind="stable")
        acc = np.where(
            df["acc"].to_numpy() >= 0, self.acc_ids[np.maximum(df["acc"].to_numpy(), 0)].astype(object), None
        )
        return pd.DataFrame(
            {
                "date": _dates(df["day"].to_numpy()),
                "account_id": _str(acc),
                "category": _str(np.array(CATEGORY_NAMES)[df["cat"].to_numpy()]),
                "competitor": _str(np.array([c[0] for c in _COMPETITORS])[df["comp"].to_numpy()]),
                "price_index": df["price_index"].to_numpy(dtype=float),
            }
        )

    # ------------------------------------------------------------------------------------
    def _targets(self) -> pd.DataFrame:
        """Yearly targets for the last 2 calendar years and the next one.

        A planner's target: the account's booked revenue of the 12 months before the year
        (the last 12 months before ``as_of`` when that year is not complete yet), grown by the
        company's plan of :data:`_PLANNED_GROWTH` a year (for an account
        younger than that, the expected churn-free revenue of the year, an adopted category
        counted with its ramp) times a factor: about 45% of account-years get a reachable one
        (0.90-1.00), 40% a stretching one (1.02-1.12), 7% one at par (1.00-1.02), and ~8% a
        target far out of reach (1.45-1.9 times the larger of that anchor and the expected
        churn-free revenue, planted truth).
        """
        rng, n, M = self.rng, self.n, self.M
        year = self.month_days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        last_year = self.as_of.year
        periods = [last_year - 1, last_year, last_year + 1]
        t = np.arange(M + 12)[None, :]
        ramp = np.where(self.adopt_cat[:, None] >= 0, np.clip((t - self.adopt_month[:, None] + 1) / 4.0, 0, 1), 0.0)
        month_rev = self.base[:, None] / 12 * self.plan_level * (1 + self.adopt_share[:, None] * ramp)  # (n, M+12)
        # revenue booked per account and history month
        booked = np.zeros((n, M))
        np.add.at(booked, (self.line_a, self.line_m), self.line_net)
        rows_a, rows_p, rows_v, unreach = [], [], [], []
        for p in periods:
            cols = np.nonzero(year[: M + 12] == p)[0]
            if len(cols) == 0:
                continue
            # a full year, extrapolated from the months inside the grid
            expected = month_rev[:, cols].sum(axis=1) * 12 / len(cols)
            # the anchor: the 12 months before the year, or the last 12 months booked before as_of
            end = min(int(cols.min()), M)
            start = end - 12
            if start >= 0:
                last12 = booked[:, start:end].sum(axis=1)
                if end == M:  # the last history month is booked up to as_of only: scaled to the full month
                    full = self.month_days[M] - self.month_days[M - 1]
                    last12 += booked[:, M - 1] * (full / self.n_days[M - 1] - 1)
                young = self.start_month > start
                # carried forward by the company's growth plan, from the middle of the anchor
                # window to the middle of the year (the account's own trend is what spreads the chances)
                ahead = (cols.min() - start) / 12
                anchor = np.where(young, expected, last12 * (1 + _PLANNED_GROWTH) ** ahead)
            else:
                anchor = expected
            active = self.start_month <= np.max(cols)
            active &= ~(self.churn_full & (self.churn_month < cols.min() - 12)) & (anchor > 0)
            rng.uniform(0.0, 0.08, n)  # the stretch of earlier versions: drawn so the planted draws stay
            out = rng.random(n) < 0.08
            u = self.target_rng.random(n)
            mix = np.where(
                u < 0.49,
                self.target_rng.uniform(0.90, 1.00, n),
                np.where(u < 0.92, self.target_rng.uniform(1.02, 1.12, n), self.target_rng.uniform(1.00, 1.02, n)),
            )
            factor = np.where(out, rng.uniform(1.45, 1.9, n), mix)
            # a planted target out of reach stays so for a lumpy account after a weak year
            anchor = np.where(out, np.maximum(anchor, expected), anchor)
            val = np.round(anchor * factor * rng.normal(1, 0.03, n), -2)
            idx = np.nonzero(active)[0]
            rows_a.append(idx)
            rows_p.append(np.full(len(idx), p))
            rows_v.append(val[idx])
            unreach.append(pd.DataFrame({"account_id": self.acc_ids[idx[out[idx]]], "period": p}))
        a = np.concatenate(rows_a)
        per = np.concatenate(rows_p)
        v = np.concatenate(rows_v)
        order = np.lexsort((per, a))
        self.unreachable = pd.concat(unreach, ignore_index=True)
        return pd.DataFrame(
            {
                "account_id": _str(self.acc_ids[a[order]]),
                "period": per[order].astype(np.int64),
                "revenue_target": np.maximum(v[order], 0.0).astype(float),
            }
        )

    # ------------------------------------------------------------------------------------
    def _truth(self, tables: dict[str, pd.DataFrame]) -> PlantedTruth:
        n = self.n
        md = self.month_days
        churn_date = np.where(self.churned, md[np.minimum(self.churn_month, self.M - 1)], np.iinfo(np.int64).min)
        signal = np.where(self.churned, md[np.clip(self.signal_month, 0, self.M - 1)], np.iinfo(np.int64).min)
        kind = np.where(self.churn_full, "full", np.where(self.churn_partial, "partial", None)).astype(object)
        churn = pd.DataFrame(
            {
                "account_id": _str(self.acc_ids),
                "churned": self.churned.astype(bool),
                "churn_kind": _str(kind),
                "churn_date": _nat_dates(churn_date),
                "signal_start": _nat_dates(signal),
            }
        )
        segments = pd.DataFrame({"account_id": _str(self.acc_ids), "segment": _str(np.array(SEGMENTS)[self.segment])})

        # affinity lift observed at account level over the whole history
        owned = np.zeros((n, self.C), dtype=bool)
        owned[self.line_a, self.line_cat] = True
        p = owned.mean(axis=0)
        aff = []
        for x, y in _AFFINITY_PAIRS:
            i, j = CATEGORY_NAMES.index(x), CATEGORY_NAMES.index(y)
            both = (owned[:, i] & owned[:, j]).mean()
            lift = both / (p[i] * p[j]) if p[i] * p[j] > 0 else np.nan
            aff.append((x, y, float(lift)))
        affinities = pd.DataFrame(aff, columns=["category_a", "category_b", "lift"])

        opp = tables["opportunities"]
        decided = opp[opp["status"].isin(["won", "lost"]) & opp["competitor"].notna()]
        strength = decided.assign(lost=decided["status"] == "lost").groupby("competitor")["lost"].mean()
        competitors = pd.DataFrame(
            {
                "competitor": _str([c[0] for c in _COMPETITORS]),
                "price_gap": [c[1] for c in _COMPETITORS],
                "aggressive": [c[2] for c in _COMPETITORS],
                "strength": [float(strength.get(c[0], np.nan)) for c in _COMPETITORS],
            }
        )
        att = np.nonzero(self.attacker >= 0)[0]
        competitor_accounts = pd.DataFrame(
            {
                "account_id": _str(self.acc_ids[att]),
                "competitor": _str(np.array([c[0] for c in _COMPETITORS])[self.attacker[att]]),
                "attack_start": _dates(self.month_days[np.minimum(self.attack_month[att], self.M - 1)]),
            }
        )
        unreachable = self.unreachable.copy()
        unreachable["account_id"] = _str(unreachable["account_id"].to_numpy())
        unreachable["period"] = unreachable["period"].astype(np.int64)

        # whitespace adoptions: first actual order of the adopted category
        ai = np.nonzero(self.adopt_cat >= 0)[0]
        is_adopted = self.line_cat == self.adopt_cat[self.line_a]
        first_day = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first_day, self.line_a[is_adopted], self.line_day[is_adopted])
        ai = ai[first_day[ai] < np.iinfo(np.int64).max]
        whitespace = pd.DataFrame(
            {
                "account_id": _str(self.acc_ids[ai]),
                "category": _str(np.array(CATEGORY_NAMES)[self.adopt_cat[ai]]),
                "start_date": _dates(first_day[ai]),
            }
        )
        truth = PlantedTruth(churn, segments, affinities, competitors, competitor_accounts, unreachable, whitespace)
        truth.price_elasticity = {name: float(e) for name, e in zip(CATEGORY_NAMES, self.elasticity, strict=True)}
        if self.groups is not None:
            self.groups.truth(self, truth, whitespace)
        return truth


def _with_empty_new_columns(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with every model column they lack added empty (as the loader does for absent
    optional columns), so a demo without groups has the issue-20 columns, all empty."""
    from kamtools.data.parsing import empty_column

    out = {}
    for name, df in tables.items():
        missing = [c for c in TABLES[name].columns if c.name not in df.columns]
        if missing:
            df = df.assign(**{c.name: empty_column(c, df.index) for c in missing})
        out[name] = df
    return out


def _nat_dates(days: np.ndarray) -> pd.Series:
    """Like _dates, with int64-min entries meaning missing (NaT)."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == np.iinfo(np.int64).min
    out = np.where(missing, 0, days).astype("datetime64[D]").astype("datetime64[ns]")
    out[missing] = np.datetime64("NaT")
    return pd.Series(out)


def _sample_rows_grouped(
    rng: np.random.Generator, weights: np.ndarray, start: np.ndarray, count: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """For each entry of ``group`` draw an item of that group (items contiguous from ``start``) ∝ weights."""
    cum = np.zeros(len(weights))
    gid = np.repeat(np.arange(len(start)), count)
    for g in range(len(start)):
        s, c = start[g], count[g]
        w = np.cumsum(weights[s : s + c])
        cum[s : s + c] = w / w[-1]
    cum = cum + gid
    cum[start + count - 1] = np.arange(1, len(start) + 1)
    u = group + rng.random(len(group)) * (1 - 1e-12)
    idx = np.searchsorted(cum, u, side="right")
    return np.minimum(idx, start[group] + count[group] - 1)


# ---------------------------------------------------------------------------------------
# writing and loading
# ---------------------------------------------------------------------------------------
def write_tables(portfolio: Portfolio, out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write one file per table (``accounts.csv``, ``orders.csv``, ...) into ``out_dir``.

    CSV output is deterministic: ISO dates (YYYY-MM-DD), floats with up to 12 significant
    digits, empty cells for missing values, UTF-8, ``\\n`` line endings. ``fmt`` is
    ``"csv"`` or ``"parquet"``. Returns the written paths in table order.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"write_tables: fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in TABLES:
        if name not in portfolio.tables:
            continue
        df = portfolio.tables[name]
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            df.to_csv(
                path, index=False, date_format="%Y-%m-%d", float_format="%.12g", lineterminator="\n", encoding="utf-8"
            )
        else:
            df.to_parquet(path, index=False)
        paths.append(path)
    return paths


def load_demo() -> Portfolio:
    """The demo portfolio shipped with kamtools (``kamtools/demo_data/``, as_of 2026-10-31), loaded and validated like user data.

    The planted truth is not stored; regenerate it with
    ``make_portfolio(DEMO_ACCOUNTS, DEMO_YEARS, DEMO_SEED)`` when a test needs it.
    """
    from kamtools.data.loader import load_portfolio

    if not (DEMO_DIR / "orders.csv").exists():
        raise FileNotFoundError(
            f"No demo data in {DEMO_DIR}: this kamtools installation is incomplete; reinstall it, or regenerate "
            f"the demo with `kamtools make-demo-data {DEMO_DIR}` (see {DEMO_DIR / 'README.md'})"
        )
    return load_portfolio(DEMO_DIR, as_of=DEFAULT_END)


def your_data_or_demo(
    data: str | os.PathLike | None = None,
    mapping: str | os.PathLike | None = None,
    *,
    n_accounts: int = DEMO_ACCOUNTS,
    years: int = DEMO_YEARS,
    seed: int = DEMO_SEED,
) -> tuple[Portfolio, PlantedTruth | None]:
    """The portfolio a notebook works on: the user's tables when ``data`` is given, else a generated demo.

    ``data`` is anything :func:`kamtools.load_portfolio` reads (a folder of files, an
    ``.xlsx`` workbook, a database URL) with an optional column ``mapping``; it comes with
    no planted truth (``None``). Without ``data`` the demo of ``n_accounts`` accounts over
    ``years`` years is generated from ``seed``, with what was planted in it.
    """
    if data:
        from kamtools.data.loader import load_portfolio

        return load_portfolio(data, mapping=mapping), None
    return make_portfolio(n_accounts=n_accounts, years=years, seed=seed)

"""Tests of the demo generator: contract, determinism and the planted signal."""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest

from kamtools.data.model import TABLES
from kamtools.datasets import (
    DEMO_ACCOUNTS,
    DEMO_DIR,
    DEMO_SEED,
    DEMO_YEARS,
    SEGMENTS,
    load_demo,
    make_portfolio,
    write_tables,
)


@pytest.fixture(scope="module")
def gen():
    """A generated portfolio for these tests (150 accounts, 4 years)."""
    return make_portfolio(n_accounts=150, years=4, seed=5)


# ---- contract ------------------------------------------------------------------------
def test_every_table_with_canonical_columns_and_dtypes(gen):
    portfolio, _ = gen
    assert sorted(portfolio.tables) == sorted(TABLES)
    for name, spec in TABLES.items():
        df = portfolio.tables[name]
        assert list(df.columns) == spec.column_names, name
        assert len(df) > 0, name
        for col in spec.columns:
            s = df[col.name]
            where = f"{name}.{col.name}"
            if col.dtype in ("id", "text", "category"):
                assert pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s), where
            elif col.dtype == "date":
                assert s.dtype == "datetime64[ns]", where
            elif col.dtype == "float":
                assert s.dtype == "float64", where
            elif col.dtype == "int":
                assert s.dtype == "int64", where
            if not col.nullable:
                assert s.notna().all(), f"{where} has missing values"
            vals = s.dropna()
            if col.allowed:
                assert set(vals) <= set(col.allowed), where
            if col.min_value is not None:
                assert (vals >= col.min_value).all(), where
            if col.max_value is not None:
                assert (vals <= col.max_value).all(), where
            if col.positive:
                assert (vals > 0).all(), where


def test_keys_and_dates_respect_the_model(gen):
    portfolio, _ = gen
    t = portfolio.tables
    for name, spec in TABLES.items():
        df = t[name]
        if spec.primary_key:
            assert not df.duplicated(list(spec.primary_key)).any(), f"{name} primary key not unique"
        for col in spec.columns:
            if col.references:
                ref_table, ref_col = col.references.split(".")
                vals = df[col.name].dropna()
                assert vals.isin(t[ref_table][ref_col]).all(), f"{name}.{col.name} -> {col.references}"
        for col in spec.date_columns_bounded:
            assert (df[col] <= portfolio.as_of).all(), f"{name}.{col} after as_of"
    first_order = t["orders"].groupby("account_id")["order_date"].min()
    since = t["accounts"].set_index("account_id")["customer_since"]
    assert (since.loc[first_order.index] <= first_order).all()
    # interactions name contacts of the same account
    inter = t["interactions"].dropna(subset=["contact_id"])
    owner = t["contacts"].set_index("contact_id")["account_id"]
    assert (owner.loc[inter["contact_id"]].to_numpy() == inter["account_id"].to_numpy()).all()


def test_passes_the_pandera_contract(gen):
    from kamtools.data.schemas import validate_tables

    portfolio, _ = gen
    validate_tables(portfolio.tables, as_of=portfolio.as_of)  # raises DataValidationError listing problems


def test_default_as_of_and_history_length():
    portfolio, _ = make_portfolio(n_accounts=30, years=2, seed=1)
    assert portfolio.as_of == pd.Timestamp("2026-10-31")
    assert portfolio.orders["order_date"].min() >= pd.Timestamp("2024-11-01")
    portfolio, _ = make_portfolio(n_accounts=30, years=2, seed=1, as_of="2025-06-15")
    assert portfolio.as_of == pd.Timestamp("2025-06-15")
    assert portfolio.orders["order_date"].max() <= pd.Timestamp("2025-06-15")
    assert portfolio.orders["order_date"].min() >= pd.Timestamp("2023-07-01")
    assert (portfolio.tables["invoices"]["issue_date"] <= portfolio.as_of).all()


def test_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_accounts"):
        make_portfolio(n_accounts=3)
    with pytest.raises(ValueError, match="years"):
        make_portfolio(n_accounts=30, years=1)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        make_portfolio(n_accounts=30, as_of="last tuesday")


def test_consistency_between_tables(gen):
    portfolio, _ = gen
    t = portfolio.tables
    inv = t["invoices"]
    assert inv["amount"].sum() == pytest.approx(t["orders"]["net_revenue"].sum(), rel=1e-9)
    assert (inv["due_date"] > inv["issue_date"]).all()
    paid = inv.dropna(subset=["paid_date"])
    assert (paid["paid_date"] >= paid["issue_date"]).all() and (paid["paid_date"] <= portfolio.as_of).all()
    assert inv["paid_date"].isna().any()  # recent invoices still open
    comp = t["complaints"]
    done = comp.dropna(subset=["resolved_date"])
    assert (done["resolved_date"] >= done["opened_date"]).all()
    assert comp["resolved_date"].isna().any()
    opp = t["opportunities"]
    assert (opp.loc[opp["status"] == "open", "close_date"] > portfolio.as_of).all()
    assert (opp.loc[opp["status"] != "open", "close_date"] <= portfolio.as_of).all()
    assert opp.loc[opp["status"] == "lost", "loss_reason"].notna().all()
    assert opp.loc[opp["status"] != "lost", "loss_reason"].isna().all()
    prod = t["products"]
    margin = 1 - prod["unit_cost"] / prod["list_price"]
    assert margin.between(0.1, 0.55).all()
    assert 8 <= prod["category"].nunique() <= 12 and 60 <= len(prod) <= 150
    lines = portfolio.order_lines
    assert (lines["margin"] < 0).mean() > 0.001  # a few loss-making lines (deep discounts)
    per = t["contacts"].groupby("account_id").size()
    assert per.max() <= 8 and (per == 1).any()
    assert t["accounts"]["potential_revenue"].notna().mean() == pytest.approx(0.8, abs=0.1)
    assert t["targets"]["period"].nunique() == 3
    assert t["competitor_prices"]["account_id"].isna().any() and t["competitor_prices"]["account_id"].notna().any()
    names = t["accounts"]["name"]
    assert names.str.contains("&").any() and names.str.contains("'").any() and names.is_unique


# ---- determinism ------------------------------------------------------------------------
def test_same_seed_same_tables_other_seed_differs():
    a, ta = make_portfolio(n_accounts=40, years=2, seed=3)
    b, tb = make_portfolio(n_accounts=40, years=2, seed=3)
    c, _ = make_portfolio(n_accounts=40, years=2, seed=4)
    for name in TABLES:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    pd.testing.assert_frame_equal(ta.churn, tb.churn)
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


# ---- planted signal -----------------------------------------------------------------------
def test_revenue_is_concentrated(gen):
    portfolio, _ = gen
    rev = portfolio.orders.groupby("account_id")["net_revenue"].sum().sort_values(ascending=False)
    top = rev.iloc[: int(round(0.2 * len(portfolio.accounts)))].sum() / rev.sum()
    assert 0.6 <= top <= 0.9


def test_share_of_wallet_spread(gen):
    portfolio, _ = gen
    acc = portfolio.accounts.set_index("account_id")
    last12 = portfolio.orders[portfolio.orders["order_date"] > portfolio.as_of - pd.DateOffset(years=1)]
    rev = last12.groupby("account_id")["net_revenue"].sum()
    sow = (rev / acc["potential_revenue"]).dropna()
    assert sow.quantile(0.1) < 0.35 and sow.quantile(0.9) > 0.6


def test_truth_tables_are_well_formed(gen):
    portfolio, truth = gen
    parents = set(portfolio.accounts["parent_account_id"].dropna())
    groups_only = parents - set(portfolio.orders["account_id"])  # group parents without orders: not customers
    ids = set(portfolio.accounts["account_id"]) - groups_only
    assert set(truth.segments["segment"]) <= set(SEGMENTS)
    assert set(truth.churn["account_id"]) == ids == set(truth.segments["account_id"])
    ch = truth.churn[truth.churn["churned"]]
    assert 0.12 <= truth.churn["churned"].mean() <= 0.24
    assert set(ch["churn_kind"]) == {"full", "partial"}
    assert truth.churn.loc[~truth.churn["churned"], "churn_kind"].isna().all()
    lead = (ch["churn_date"].dt.to_period("M") - ch["signal_start"].dt.to_period("M")).map(lambda d: d.n)
    assert lead.between(3, 9).all()
    assert (ch["churn_date"] >= portfolio.as_of - pd.DateOffset(years=2)).all()
    assert (ch["churn_date"] <= portfolio.as_of).all()
    assert len(truth.affinities) >= 3 and (truth.affinities["lift"] > 1.2).all()
    assert truth.competitors["aggressive"].sum() in (1, 2)
    assert set(truth.competitor_accounts["competitor"]) <= set(
        truth.competitors.loc[truth.competitors["aggressive"], "competitor"]
    )
    assert set(truth.unreachable_targets["account_id"]) <= ids


def _monthly_counts(portfolio):
    o = portfolio.orders.drop_duplicates("order_id")
    return o.assign(month=o["order_date"].dt.to_period("M")).groupby(["account_id", "month"]).size()


def test_full_churners_stop_and_partial_churners_drop(gen):
    portfolio, truth = gen
    monthly = portfolio.monthly().set_index(["account_id", "ds"])["y"]
    ratios = []
    for row in truth.churn[truth.churn["churned"]].itertuples():
        if row.churn_kind == "full":
            mine = portfolio.orders[portfolio.orders["account_id"] == row.account_id]
            assert (mine["order_date"] < row.churn_date).all(), row.account_id
            continue
        s = monthly.loc[row.account_id]
        before = s[(s.index < row.signal_start) & (s.index >= row.signal_start - pd.DateOffset(years=1))]
        after = s[s.index >= row.churn_date]
        if len(before) == 12 and len(after) >= 3 and before.mean() > 0:
            ratios.append(after.mean() / before.mean())
    # planted drop is to 15-40% of the pre-signal level; monthly revenue is lumpy
    assert len(ratios) >= 5
    assert np.median(ratios) < 0.45 and np.mean(np.array(ratios) < 0.6) >= 0.75


def test_churners_show_leading_signals(gen):
    portfolio, truth = gen
    counts = _monthly_counts(portfolio)
    ch = truth.churn[truth.churn["churned"]]
    lower = []
    for row in ch.itertuples():
        c = counts.get(row.account_id, pd.Series(dtype=float))
        months = pd.period_range(row.churn_date.to_period("M") - 24, row.churn_date.to_period("M") - 1, freq="M")
        c = c.reindex(months, fill_value=0) if len(c) else pd.Series(0, index=months)
        if c.iloc[:12].sum() >= 12:  # the account ordered at least monthly before
            lower.append(c.iloc[-6:].mean() < c.iloc[:12].mean())
    assert len(lower) >= 10 and np.mean(lower) >= 0.8

    # complaints and late payments in the signal window vs non-churners at the same time
    acc_ch = set(ch["account_id"])
    comp = portfolio.tables["complaints"]
    inv = portfolio.tables["invoices"]
    window = ch.set_index("account_id")
    comp_w = comp[comp["account_id"].isin(acc_ch)].join(window, on="account_id")
    in_w = comp_w[(comp_w["opened_date"] >= comp_w["signal_start"]) & (comp_w["opened_date"] < comp_w["churn_date"])]
    months_w = (
        (window["churn_date"].dt.to_period("M") - window["signal_start"].dt.to_period("M")).map(lambda d: d.n)
    ).sum()
    rate_churn = len(in_w) / months_w
    others = comp[~comp["account_id"].isin(acc_ch)]
    rate_other = len(others) / ((len(portfolio.accounts) - len(acc_ch)) * 48)
    assert rate_churn > 3 * rate_other
    assert (in_w["severity"].isin(["high", "critical"])).mean() > (others["severity"].isin(["high", "critical"])).mean()

    late = (inv["paid_date"].fillna(portfolio.as_of) - inv["due_date"]).dt.days > 14
    inv_w = inv.join(window, on="account_id")
    in_sig = (inv_w["issue_date"] >= inv_w["signal_start"]) & (inv_w["issue_date"] < inv_w["churn_date"])
    assert late[in_sig].mean() > 2 * late[~inv["account_id"].isin(acc_ch)].mean()


def test_churners_lose_decision_maker_contact(gen):
    portfolio, truth = gen
    inter = portfolio.tables["interactions"].merge(
        portfolio.tables["contacts"][["contact_id", "role"]], on="contact_id", how="left"
    )
    ch = truth.churn[truth.churn["churned"]].set_index("account_id")
    x = inter.join(ch, on="account_id", how="inner")
    in_w = x[(x["date"] >= x["signal_start"]) & (x["date"] < x["churn_date"])]
    early = x[x["date"] < x["signal_start"]]
    assert (in_w["role"] == "decision_maker").mean() < 0.5 * (early["role"] == "decision_maker").mean()


def test_aggressive_competitor_is_cheaper_and_wins_more(gen):
    portfolio, truth = gen
    opp = portfolio.tables["opportunities"].dropna(subset=["competitor"])
    opp = opp.assign(gap=opp["competitor_price"] / opp["our_price"] - 1)
    aggressive = set(truth.competitors.loc[truth.competitors["aggressive"], "competitor"])
    is_agg = opp["competitor"].isin(aggressive)
    assert opp.loc[is_agg, "gap"].median() < -0.05 < opp.loc[~is_agg, "gap"].median()
    decided = opp[opp["status"] != "open"]
    lost = decided["status"] == "lost"
    assert (
        lost[decided["competitor"].isin(aggressive)].mean() > lost[~decided["competitor"].isin(aggressive)].mean() + 0.1
    )
    # attacked accounts see the attacker in their bids
    att = truth.competitor_accounts.merge(decided, on=["account_id", "competitor"])
    assert len(att) > 0


def _logit_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression by Newton-Raphson: (coefficients, standard errors); x includes the constant."""
    beta = np.zeros(x.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-x @ beta))
        hess = x.T @ (x * (p * (1 - p))[:, None])
        beta = beta + np.linalg.solve(hess, x.T @ (y - p))
    return beta, np.sqrt(np.diag(np.linalg.inv(hess)))


def test_win_probability_falls_with_relative_price(gen):
    portfolio, _ = gen
    opp = portfolio.tables["opportunities"].dropna(subset=["competitor"])
    d = opp[opp["status"] != "open"]
    rel = np.log(d["our_price"] / d["competitor_price"]).to_numpy()
    x = np.column_stack([np.ones(len(d)), rel])
    beta, se = _logit_fit(x, (d["status"] == "won").to_numpy(dtype=float))
    assert beta[1] < -5 and beta[1] / se[1] < -3  # more expensive than the competitor -> fewer wins


def test_unreachable_targets_are_far_above_the_rest(gen):
    portfolio, truth = gen
    tg = portfolio.tables["targets"]
    rev = portfolio.orders.assign(period=portfolio.orders["order_date"].dt.year)
    prior = rev.groupby(["account_id", "period"])["net_revenue"].sum().rename("prior").reset_index()
    prior["period"] += 1
    x = tg.merge(prior, on=["account_id", "period"])
    x = x[x["period"] == portfolio.as_of.year]  # target vs last full year's actuals
    key = x["account_id"] + "|" + x["period"].astype(str)
    un = set(truth.unreachable_targets["account_id"] + "|" + truth.unreachable_targets["period"].astype(str))
    ratio = x["revenue_target"] / x["prior"]
    assert ratio[key.isin(un)].median() > 1.3 > ratio[~key.isin(un)].median()


def test_whitespace_adoptions_are_new_categories(gen):
    portfolio, truth = gen
    ws = truth.whitespace_adoptions
    assert len(ws) >= 10
    lines = portfolio.order_lines
    first = lines.groupby("account_id")["order_date"].min()
    x = ws.join(first.rename("first_order"), on="account_id")
    assert (x["start_date"] > x["first_order"]).all()
    cat_first = lines.groupby(["account_id", "category"])["order_date"].min().rename("cat_first")
    x = x.join(cat_first, on=["account_id", "category"])
    assert (x["cat_first"] == x["start_date"]).all()
    # adoptions follow affinities: mostly a partner of a category already bought (a group unit's
    # adoption of what its sister units buy follows the group instead: planted as cross_unit_gaps)
    pairs = {frozenset(p) for p in zip(truth.affinities["category_a"], truth.affinities["category_b"])}
    bought = lines.groupby("account_id")["category"].agg(set)
    sisters = set(zip(truth.cross_unit_gaps["account_id"], truth.cross_unit_gaps["category"]))
    follows = [
        any(frozenset((r.category, c)) in pairs for c in bought[r.account_id] - {r.category})
        for r in ws.itertuples()
        if (r.account_id, r.category) not in sisters
    ]
    assert np.mean(follows) > 0.6


def test_seasonality_differs_by_category(gen):
    portfolio, _ = gen
    lines = portfolio.order_lines
    by = lines.assign(m=lines["order_date"].dt.month).groupby(["category", "m"])["net_revenue"].sum().unstack()
    by = by.div(by.mean(axis=1), axis=0)
    peak = by.loc["Water treatment"]
    assert peak.loc[[6, 7, 8]].mean() > peak.loc[[12, 1, 2]].mean()


# ---- files, demo and CLI -------------------------------------------------------------------
def test_write_tables_roundtrip_parquet(tmp_path):
    portfolio, _ = make_portfolio(n_accounts=20, years=2, seed=2)
    paths = write_tables(portfolio, tmp_path, fmt="parquet")
    assert [p.name for p in paths] == [f"{t}.parquet" for t in TABLES]
    back = pd.read_parquet(tmp_path / "orders.parquet")
    pd.testing.assert_frame_equal(back, portfolio.orders, check_dtype=False)
    with pytest.raises(ValueError, match="fmt"):
        write_tables(portfolio, tmp_path, fmt="xlsx")


def test_csv_is_deterministic_and_iso_dated(tmp_path):
    portfolio, _ = make_portfolio(n_accounts=20, years=2, seed=2)
    write_tables(portfolio, tmp_path / "a")
    write_tables(make_portfolio(n_accounts=20, years=2, seed=2)[0], tmp_path / "b")
    for t in TABLES:
        assert filecmp.cmp(tmp_path / "a" / f"{t}.csv", tmp_path / "b" / f"{t}.csv", shallow=False)
    head = (tmp_path / "a" / "orders.csv").read_text().splitlines()[1]
    assert head.split(",")[4].count("-") == 2 and len(head.split(",")[4]) == 10


@pytest.fixture(scope="module")
def demo_regenerated():
    """The committed demo's portfolio, regenerated in memory from its seed."""
    return make_portfolio(n_accounts=DEMO_ACCOUNTS, years=DEMO_YEARS, seed=DEMO_SEED)[0]


def test_committed_demo_regenerates_identically(tmp_path, demo_regenerated):
    assert DEMO_DIR.is_dir(), "kamtools/demo_data/ missing: see kamtools/demo_data/README.md"
    write_tables(demo_regenerated, tmp_path)
    for t in TABLES:
        assert filecmp.cmp(DEMO_DIR / f"{t}.csv", tmp_path / f"{t}.csv", shallow=False), f"{t}.csv differs"
    assert sum((DEMO_DIR / f"{t}.csv").stat().st_size for t in TABLES) < 15e6
    assert (DEMO_DIR / "README.md").exists()


def test_load_demo_round_trips_the_generated_tables(demo_regenerated):
    portfolio = load_demo()
    assert portfolio.as_of == demo_regenerated.as_of == pd.Timestamp("2026-10-31")
    assert set(portfolio.tables) == set(TABLES)
    for t in TABLES:  # CSV formatting loses nothing
        pd.testing.assert_frame_equal(portfolio.tables[t], demo_regenerated.tables[t], check_dtype=True)


def test_cli_writes_files(tmp_path, capsys):
    from kamtools.cli import main

    out = tmp_path / "demo"
    assert main(["make-demo-data", str(out), "--accounts", "25", "--years", "2", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    for t in TABLES:
        assert (out / f"{t}.csv").exists()
        assert f"{t}.csv" in printed
    assert (
        main(["make-demo-data", str(tmp_path / "pq"), "--accounts", "25", "--years", "2", "--format", "parquet"]) == 0
    )
    assert (tmp_path / "pq" / "orders.parquet").exists()
    assert main(["make-demo-data", str(tmp_path / "bad"), "--accounts", "2"]) == 2
    assert main(["make-demo-data", str(tmp_path / "bad"), "--as-of", "soon"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err

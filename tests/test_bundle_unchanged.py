"""The demo bundle is the same table for table as the committed reference digest.

The reference (``tests/data/demo_bundle_digest.json``) records, for each table that
``analyze`` writes for a small seeded demo, its columns, dtypes, row count and a hash of
its values (floats rounded to 6 significant digits, rows sorted), so a change in the
pipeline's wiring that alters any result fails here, naming the table and the columns.

Tables that are not in the reference (a stage added later) are allowed and listed.
An intended difference goes into ``INTENDED`` with its reason.

The digest is computed in a child process whose numerical libraries are held to one instruction set
(:data:`PINNED`: numpy's baseline x86-64-v2 kernels, OpenBLAS's Sandy Bridge kernels, glibc's maths without AVX2
and FMA), so that the same code gives the same digest on every x86-64 machine. Without that, the demo's BG/NBD fit,
whose drop-out parameters run along a flat ridge, stops at a slightly different point on a CPU with other
kernels (an AMD EPYC with AVX2 against the machine the reference was written on), and every table that reads the
value model moves in its sixth digit.

To write the reference again (only after checking that every difference is intended)::

    KAMTOOLS_WRITE_DIGEST=1 .venv/bin/python -m pytest tests/test_bundle_unchanged.py
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REFERENCE = Path(__file__).parent / "data" / "demo_bundle_digest.json"
DEMO = {"n_accounts": 40, "years": 4, "seed": 7}
# the environment of the child process that computes the digest: one instruction set for every machine
PINNED = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",  # numpy's dispatched kernels off: baseline
    "OPENBLAS_CORETYPE": "Sandybridge",  # the same BLAS kernels on any x86-64 CPU with AVX
    "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA",  # libm's exp/log/pow without the FMA variants
}

# table -> why its digest may differ from the reference (an intended change)
# (rewritten 2026-12-05 by BTYD17: the demo's Gamma-Gamma fit is degenerate, p = 275,896 without a finite
# standard error, so the value stage sets it aside and values each account at its own mean purchase week: value,
# value_model and what reads expected_value_12m changed)
# (that rewrite also took in LAPSED17's c31f685: a lapsed account's rate is read at the analysis date by the drift of
# the share of lapsed accounts that stayed away across the earlier dates: churn, accounts.churn_probability and
# revenue_at_risk; A0034 0.75 -> 0.84 and A0006 0.75 -> 0.84, A0002 0.84, A0005 and A0035 0.86, so A0034 crosses
# the plan's 0.8 for a win-back objective: plan_objectives, plan_talking_points; then 3531f41 drew the drift as a
# straight line: A0002, A0006 and A0034 0.86, A0005 and A0035 0.85: the churn entry written alone from a checkout of
# the commits; accounts (churn_probability, revenue_at_risk), plan_objectives and plan_talking_points, where
# A0034's quoted chance moves, written from the working tree, whose other entries matched the reference)
# (segments gains lapsed_months, SCORE17B: the months without an order that made an account lapsed, NaN for the
# others, which the segment section reads instead of parsing the tier reason; its other columns unchanged: the
# segments entry written alone)
# (FORECAST17, issue 17: a new account's means spread its orders over at least 3 months and the kamtools model is not
# used on under 6 months since its first order; returns enter the forecast as a returns rate (this demo has none):
# the forecast_* entries, accounts and plan_* written alone from the working tree; the value entry is left as it
# was: its new p_alive_model column (a6d3800) is not this change's)
# (PLANFIX17, issue 17: the margin rules margin_below_peers and negative_margin no longer fire on a lapsed account, so
# their condition reads the churn band and their evidence names it ('Churn risk band: medium'); no action or risk of
# the demo changed otherwise: plan_actions (facts) and plan_risks (evidence) written alone; churn and churn_drivers
# differed in the working tree too, not from this change, and were left as they were; then the churn rules
# churn_risk and churn_risk_no_dm read churn_driver_count (an account with no driver listed gets the *_unexplained
# rule, asking for the next order; none on this demo), which their evidence now names: the same two entries again)
# (CHURNFIX17, issue 17: the lost-bids churn reason names no competitor, 'Bids lost to competitors in the last 24
# months (3 bids lost in the last 12 months)': the feature keeps the alphabetically first of a tie; on this demo the
# churn model wins, so the recency rule's reasons do not show here: churn (driver_1..3) and churn_drivers (sentence)
# written alone from a checkout of the commits, where no other entry differed)
# (RISK17, issue 17: revenue at risk is the churn probability x the account's 12-month forecast (forecast_summary),
# the value model's expected value only without a forecast; the churn table gains risk_base_12m and risk_base: churn
# (revenue_at_risk, risk_rank), accounts (revenue_at_risk and the plan counts) and every plan_* table (the money
# figures and the rules that read them) written alone from a checkout of the commits; competitor_threat (reasons)
# differed there before these commits too and was left as it was)
INTENDED: dict[str, str] = {}
# The reference was written again on 2026-12-05 (third session) after these intended changes:
# - plan_talking_points reads the declared forecast_targets.p_reach_target (the 'target' point says it);
# - plan_actions and plan_risks write their evidence in the reader's words and say why an action has
#   no money figure (value_basis);
# - forecast_summary (and the accounts table that carries it): the 80% range of the next 12 months
#   comes from out-of-time quantiles of actual/forecast totals of similar accounts (issues 17/18);
# - churn, churn_drivers (and health_components): a decision maker never met reads 'No contact with a decision
#   maker on record', not 'for 8,307 days' (the days counted the whole relationship);
# - bid_recommendations (fourth session, issue 21): an index-priced bid's competitor price carries its scatter around
#   the index into P(win), the price and the bands, anchored on the bids without a quote; every reason says how the
#   account's record was pooled and where the margin came from ('own 1 decided bid carries', written alone);
#   then the account effect weighs recent bids more (half-life a year): every bid_* table's probabilities and
#   prices, and accounts.bid_margin_gain (these entries written alone; the other tables were left as they were);
# (group_rollup reads a unit's 12-month spread from the width of that range: this demo has no groups.)
# Written again on 2026-12-05 (fourth session, issue 21) for the planted recurring tenders: the demo's
# opportunities gain the tenders' bids (a fifth of the accounts tender one category yearly) and the
# contract_end column, so every table built from bids moved (bid_*, pipeline*, competitor_*, kpis*, the
# churn and health features that count bids, segments' win-rate score and what reads them: plan_*,
# whitespace peer groups, scenario_elasticity's groups), and tender_calendar gained its source and
# contract_end columns and the contract-end rows.
# Written again for value_model, plan_objectives and plan_talking_points (issue 17, P(alive) and the lapsed
# account's plan): value_model gains the rows of the P(alive) check on a holdout inside the history
# (model p_alive_check; the demo's passes, so p_alive is unchanged); a likely-lost account (A0034, churn 100%)
# gets a win-back objective instead of "Keep the account", and A0040 (1.74 of revenue at risk, under the
# playbook's floor, no retention action) no retention objective; the talking points quote the objectives.
# Written again for the bid desk's evidence rules (issue 21, kamtools.bids.evidence): open bids without a
# competitor quote keep their current price when past bids without one show no measurable price response (the
# demo's do not), with P(win) from the account's record on such bids and no curve: bid_recommendations,
# bid_curves (their rows dropped), bid_pipeline, bid_account_summary and accounts.bid_margin_gain; and
# bid_postmortem.recommended_price_at_time follows the same rule as of each bid (written alone). The first pass
# took in target_probability (accounts and forecast_targets), moved by the committed forecast-targets change
# (7584599, issue 17: P(reach target) from out-of-time ratios), which had not rewritten the reference.
# Target probability and year-total range from out-of-time ratios (blended; issue 17, kamtools.forecast.targets):
# forecast_targets (p_reach_target, total_lo_80, total_hi_80), forecast_portfolio_target (its spread is read from
# the accounts' total_hi_80), forecast_summary and accounts (target_probability) and plan_talking_points (the
# 'target' point quotes it); those entries were taken in by the pass above, checked again here (no other change).
# Written again for the bid desk's "keep" rule (issue 21, kamtools.bids.recommend.keep_current): an open bid whose
# current price lies in the good range, or whose best price's gain band includes zero, keeps its price (recommended
# = current, gain 0), and every reason gives the price against the competitor's and the margin there:
# bid_recommendations, bid_pipeline, bid_account_summary and accounts (bid_margin_gain) written alone, from a
# checkout of the commits only; those two also took in next_tender_month of the committed tender calendar
# (355eed6), whose own tender_calendar entry is left to its author. Then bid_recommendations.reason alone: a bid
# without a quote held by the evidence rule says the price index's price for the competitor, as its table does.
# tender_calendar written alone for the issue-21 audit of the tender calendar (355eed6, kamtools.bids.tenders): lots
# grouped in a fixed 21-day window from a tender's first bid (not a 60-day chain), a contract end worth its whole
# tender, the rhythm's later tenders counted on from a contract end's tender, half-yearly rhythms need five tenders,
# a bid of the category near an expected month is not a missing tender (11 -> 15 rows; no other table changed).
# plan_risks, plan_actions, plan_summary and plan_talking_points: the category-decline risk names the categories
# first ("Revenue falling in Premixes -28% (1 of its categories, ...)") instead of "in 1 categories" (wording only).
# churn (driver_1..3) and churn_drivers (sentence): the lost-bids reason says "went to X as often as to any other
# competitor" instead of "most ... went to X" (the feature keeps the first name of a tie; wording only).
# bid_recommendations, bid_pipeline, bid_account_summary and accounts (bid_margin_gain): "keep" on an uncertain
# gain now means the best price gains margin in fewer than 2 of 3 posterior draws, not a 90% band reaching below
# zero (which kept bids that gained in 9 of 10 draws: the demo's planted truth gain 188k -> 163k; now 187k).
# plan_actions, plan_risks, plan_summary, plan_talking_points and accounts (n_high_priority, top_action): a plan
# ranks an account's actions and risks by priority (high, medium, low), then value at stake, then playbook order
# (was: value first), so a KAM's first action is a high-priority one; the tier cap keeps the first of that order
# (10 high actions in place of 10 medium ones, mostly target_gap; 77 actions, 45 high instead of 35; 15 of 40 top
# actions and 16 top risks changed), and an owner's full week goes to high-priority first actions first. Written
# alone: the other tables' entries kept as they were.
# forecast_targets and forecast_portfolio_target (issue 17, kamtools.forecast.targets): a year wholly ahead (the
# next year) carries the whole of the account's own spread (was 0.75 of it; its range held 61-74% of the actual
# totals, 66-76% now), so next year's chances and ranges moved; an account silent for half a year but not lapsed
# gets the chance similar silent accounts had instead of 0% (none in this demo's current year). Written alone.
# forecast_accuracy and forecast_backtest (issue 17, kamtools.forecast.backtest.chosen_accuracy): the accuracy table
# leads with the forecast as shipped (each account's chosen method and factor at the backtest's origins), then the
# kamtools model as one candidate and the baseline, coverage as shares of account-months, with coverage_total_80 and
# zero_months; forecast_backtest gains the chosen method's columns (method, n_windows_chosen, *_chosen). Written
# alone, from a checkout of the commits only (churn, health and plan tables differed there too: not this change's).
# Then their coverage_total_80 (and _chosen) alone again: the 80% ranges of forecast_summary that it checks moved
# with d3792a9 (issue 17, the account's own chance of no order); forecast_summary's own entry is left to its author.
# segments, whitespace_grid and whitespace_recommendations (peer_group: the tier), scenario_elasticity(_pooled)
# (groups by tier), plan_actions, plan_risks, plan_summary, plan_talking_points and accounts (tier, n_actions,
# top_action) (issue 17, SEGMENT17): a lapsed account (no order in the churn definition's 6 months) is never tiered
# strong: A0034 (churn band lapsed) "Strong position ... maintain", tier 2 -> "Lapsed ... a win-back case", tier 3,
# and four lapsed tier-3 accounts say so in their reason; its plan gets the playbook's win_back action in place of
# churn_risk (and the tier-3 cap of 2 drops its category_decline: 77 -> 76 actions). The relative floor leaves the
# demo's 1,000 (5% of 183.7k per active account is more). Written from a checkout of the commits only; the plan
# tables and accounts there also took in the committed churn change (1d8ef19, lapsed accounts' probability), whose
# churn, churn_drivers, churn_importance, churn_model_selection, health*, kpis* and plan_objectives entries are left
# to its author.
# churn, churn_drivers, churn_importance, churn_model_selection, health, health_components, kpis, kpis_portfolio,
# plan_objectives, plan_talking_points and accounts (issue 17, CHURN17: 1d8ef19, c642134): a lapsed account's churn
# probability is the history's rate of lapsed accounts staying away (by silence against the usual gap; was 1.0:
# A0034 1.0 -> 0.75, under the plan's 0.8 for a win-back objective, and its revenue at risk follows); the
# churn model's snapshots count calendar months of history (the first order's month whole), so the demo gains a
# snapshot (140 -> 175 training rows; validation log loss 0.749 -> 0.703, AUC 0.57 -> 0.71) and its drivers,
# importance and the health weights learnt from churn moved. Written alone from a checkout of the commits; accounts
# there also took in the committed forecast ranges (d3792a9, 5d88361), whose forecast_summary entry is left to its
# author.
# forecast_summary (issue 17, FCASTA17: d3792a9, kamtools.forecast.selection.total_range): the 80% range of the next
# 12 months mixes the account's own BTYD chance of no order with similar accounts' out-of-time multiples (the range
# starts at zero where that chance is 10% or more) and is widened to 12 months where measured on shorter totals
# (forecast_next_12m_lo_80, _hi_80; the forecasts themselves did not move). Only this entry written, from a checkout
# of the commits.
# plan_objectives, plan_talking_points (issue 17, 32c90db, kamtools.plan.objectives): a lapsed account (churn band
# 'lapsed') gets the win-back objective whatever its estimated churn probability; A0034 (lapsed at 75%, under the 80%
# of a likely loss) read "Keep the account: bring churn probability from 75% below 30%" and now reads "Win back the
# account: it has probably stopped buying (churn probability 75%, ...)", and its talking point follows.
# plan_actions, plan_risks, plan_summary, plan_talking_points (issue 17 re-audit, 9fa66d9, kamtools/playbook.yml): a
# lapsed tier-3 account gets the low-priority win_back_low_cost action instead of the high win_back call (A0034).
# value (issue 17, a6d3800, kamtools.value.stage): a new column p_alive_model keeps the model's P(alive) beside the
# shown p_alive (an activity score where the check cannot vouch for P(alive)); on the demo P(alive) is a probability,
# so the new column equals p_alive and no other value moved. Only this entry written, from a checkout of the commits.

# competitor_threat (issue 17, 5e88f5d, kamtools.competitors.threat): a share of wallet over 100% (the wallet
# estimate below what was bought) is not quoted in the threat reason, which gives the revenue change instead.
# Only this entry written, from a checkout of the commits.

# Seventh session of issue 17 (written from a clean clone of 90eda51; every other entry matched): the forecast_*
# entries, accounts, churn (revenue_at_risk, risk_base_12m) and plan_* (their money figures) follow the spike rule
# for sparse buyers (an account ordering in under 3 of its last 6 months counts a spike as its median ordering month,
# and the reason names it) and the 12-month range that reads the account's own steadiness (forecast_summary and
# accounts lo/hi, forecast_accuracy coverage_total_80, forecast_backtest coverage_total_80_chosen);
# health_components (sentence) counts with formatting.counted ('1 day', not '1 days').


# Eighth session of issue 17 (written from a clean clone of the merge of RANGE2 and FACES3; every other entry
# matched): segments (new usual_growth and one_off_ltm; growth and the revenue trend read a one-off month as the
# forecast does) and what groups or ranks by tier or segment after it (segment_profiles, accounts, plan_actions,
# plan_summary, plan_talking_points, scenario_elasticity*, whitespace_grid, whitespace_recommendations); the
# 12-month range widened by what the earliest backtest origin missed of the latest (forecast_summary and accounts
# lo/hi, forecast_accuracy coverage_total_80, forecast_backtest coverage_total_80_chosen).

# Eleventh session of issue 17 (written in /work/main after each merge; every other entry matched): the monthly
# ranges' multiples read at the split-conformal rank for their evidence rows (forecast hi_80/hi_95/sd,
# forecast_portfolio bands, forecast_targets and forecast_portfolio_target, forecast_summary and accounts
# target_probability, forecast_accuracy and forecast_backtest coverage, plan_talking_points); the threat reason says
# the lost value is all the lost bids' (competitor_threat reasons, plan_risks, plan_actions evidence,
# plan_talking_points); a talking point quoting a sentence gets one full stop (plan_talking_points); a favourable
# churn driver that another already says is not listed again (churn in_our_favour).

# Twelfth session of issue 17 (written in /work/main after the merge of STEADY; every other entry matched): an account
# ordering in 9 or more of its last 12 months gets a monthly band from its own spread on the months it orders
# (forecast lo_80/hi_80/hi_95/sd, forecast_portfolio bands, forecast_accuracy coverage_95, forecast_backtest
# coverage_80/95_chosen, forecast_targets and forecast_portfolio_target ranges and p_reach_target, forecast_summary
# and accounts target_probability, plan_talking_points).

# Thirteenth session of issue 17 (written in /work/main): on a new machine (AMD EPYC, AVX2, no AVX-512) the
# reference of the twelfth session no longer matched: 23 tables differed in their sixth digit, all downstream of the
# value model, whose BG/NBD and Gamma-Gamma fits of the demo run along flat ridges (a, b and p, v undetermined) and
# stopped elsewhere with other kernels (numpy's dispatch, OpenBLAS's core type and glibc's maths each moved it). The
# digest is now computed with those three held to one instruction set (PINNED) and was written again that way. The
# same commit adds the usual order gap to the plan's order-gap and unexplained-churn risks (plan_risks risk and
# evidence, plan_actions evidence, plan_talking_points).
#
# Fourteenth session of issue 17 (written in /work/main after the merges of READABLE, MINOR, PORTRANGE and RIDGE):
# - RIDGE (kamtools.value): BTYD fits on a flat ridge stand at their limit model's canonical point and every fit ends
#   with Newton steps, so the value model's figures no longer depend on the CPU's kernels; the demo's holdout-period
#   BG/NBD, whose holdout log-likelihood had come from an arbitrary b, is the no-drop-out limit, so the demo now
#   chooses MBG/NBD (value tables: median change 2e-4, largest 1.2%): value, value_model and what reads them
#   (forecast_*, churn*, plan_*, segment_profiles, accounts).
# - READABLE: the forecast reasons in plain words (accounts.forecast_method_reason, forecast.method_reason,
#   forecast_summary.forecast_method_reason).
# - The plan: a falling category is high priority only where it lost 5% or more of the account's revenue (rule
#   category_decline_minor, plan_* and accounts n_high_priority/top_action).
# - MINOR: accounts gains first_credit_date; PORTRANGE moved nothing here (the demo's backtest gives rho 0).
# PINNED stays: the churn model's fits and the targets' chances still differ in the sixth digit between kernels.
# Then OWNRANGE (a32cb0f): an account chosen by its own few tests is told why its range is wider than its own
# misses (accounts.forecast_method_reason, forecast.method_reason, forecast_summary.forecast_method_reason).
#
# Fifteenth session of issue 17, PINNED (to be written again by the lead): where the kernels still moved the demo.
# Measured as the demo bundle analysed twice on one AMD EPYC (AVX2), with PINNED and without:
# - the churn model: its training snapshots refit the value model at nine earlier dates, where BG/NBD ran towards no
#   drop-out without reaching a's bound (a = 2e-6, b = 25,413 or a = 1e-6, b = 48,338 by the kernels) and MBG/NBD
#   stood with a on its bound, where the Newton polish gave up; the snapshots' P(alive) differed by 2.7e-5, the
#   churn model's selection by 0.067 in ROC AUC and every churn probability in its fourth digit (churn*, health*,
#   accounts, plan_*). Now a fit with a / (a + b) under 1 / RIDGE_SUM is the NBD limit and the polish holds a
#   parameter on its bound: those tables agree to 1e-11.
# - the forecast: statsmodels' ETS fits stopped where L-BFGS-B's tolerances said (1.7e-8 in the forecasts, 2.6e-6
#   in the targets' chances, which only read them); now polished to the least-squares point (kamtools.forecast._ets):
#   5e-11 in the forecasts, 1.2e-8 in the chances (relative, on chances under 0.1%).
# What remains: ETS fits the polish cannot step from (a Hessian that is not positive definite around statsmodels'
# point, or no step that lowers the sum: 11 of 124 ETS(A,N,N) and 9 of 124 ETS(A,Ad,N) fits of the demo's forecast
# stage) are left as statsmodels gave them, so forecast_backtest's bias_pct and mase
# (up to 1.2e-6 relative on a bias near 0) and a few others differ by 1e-9 to 1e-8: no cell differs in the sixth
# digit on that machine, but a 6-digit digest expects about 0.4 such cells per comparison (1e5 before), so the
# digest keeps PINNED. The pinned digest moved: forecast* by 3e-6 relative (the polished ETS fits), churn
# probabilities by up to 0.006 (the snapshots' value features at their limit; one talking point 35% -> 34%, one
# evidence 21% -> 22%), churn_importance, churn_drivers, churn_model_selection, health*, kpis.health_score, plan_*.
# Written again by the lead after the merges of PINNED, FACES, SWEEPDEMO, SWEEPREAL and WORDS; besides PINNED's moves:
# FACES adds the table forecast_portfolio_range (the accounts' common error share, rho); the churn method text counts
# churn events with a thousands separator and says "a test on past data" (churn_model_selection and what quotes it);
# a lapsed account's win-back is kept whatever its tier's cap (plan_actions where a lapsed account had more actions
# than its cap).
# 2026-12-07 (sixteenth session): plan_actions.evidence, plan_risks.risk and plan_talking_points.text where an account
# has one open bid closing in 90 days or one severe complaint ('1 open bid worth ...', the playbook's count format);
# with plan_summary.top_risk, where one decision maker is on file ('0 of 1 decision maker engaged ...').
# 2026-12-07 (seventeenth session): plan_objectives.basis and plan_talking_points.text of A0040, a win-back account
# forecast by the mean of its last 6 months: its basis no longer says 'what accounts like it bought on average: most of
# them nothing' but that the forecast follows its own months (the fact forecast_own_history).


def _cell_text(series: pd.Series) -> pd.Series:
    """Each value as text, floats rounded to 6 significant digits (-0 and 0 alike)."""
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(["nan" if np.isnan(v) else f"{v + 0.0:.6g}" for v in values], index=series.index, dtype=object)
    return series.map(lambda v: "<NA>" if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)) else str(v))


def _sha(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def table_digest(df: pd.DataFrame) -> dict:
    """Columns, dtypes, rows and value hashes of one table (independent of row order)."""
    text = pd.DataFrame({str(c): _cell_text(df[c]) for c in df.columns}, index=range(len(df)))
    if len(text.columns):
        rows = text.agg("\x1f".join, axis=1).tolist() if len(text) else []
        order = np.argsort(np.array(rows, dtype=object), kind="stable") if rows else np.array([], dtype=int)
    else:
        rows, order = [], np.array([], dtype=int)
    return {
        "columns": [str(c) for c in df.columns],
        "dtypes": [str(t) for t in df.dtypes],
        "rows": int(len(df)),
        "hash": _sha([rows[i] for i in order]),
        "column_hashes": {c: _sha(text[c].iloc[order].tolist()) for c in text.columns},
    }


def bundle_digest(bundle) -> dict[str, dict]:
    return {name: table_digest(bundle.table(name)) for name in sorted(bundle.manifest["tables"])}


@pytest.fixture(scope="module")
def demo_bundle(tmp_path_factory):
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio = make_portfolio(**DEMO, groups=0)[0]  # the demo without global accounts: the reference's tables
    return analyze(portfolio, tmp_path_factory.mktemp("unchanged") / "b", progress=False)


def pinned_digest(out: Path, accounts_columns: list[str] | None = None) -> dict[str, dict]:
    """The demo bundle's digest, computed in a child process with :data:`PINNED` set; ``accounts_columns`` also
    digests the accounts table on those columns only (``accounts@reference``)."""
    import kamtools

    root = Path(kamtools.__file__).resolve().parents[1]
    env = {**os.environ, **PINNED, "PYTHONPATH": os.pathsep.join([str(root), str(Path(__file__).parent)])}
    code = "import sys, test_bundle_unchanged as t; t._child(sys.argv[1], sys.argv[2:])"
    args = [sys.executable, "-c", code, str(out), *(accounts_columns or [])]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, f"the child computing the digest failed:\n{done.stderr[-3000:]}"
    return json.loads((out / "digest.json").read_text())


def _child(out: str, accounts_columns: list[str]) -> None:
    """In the child process: analyse the demo, write its digest to ``out/digest.json``."""
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio

    portfolio = make_portfolio(**DEMO, groups=0)[0]
    bundle = analyze(portfolio, Path(out) / "b", progress=False)
    digest = bundle_digest(bundle)
    if accounts_columns:
        kept = [c for c in accounts_columns if c in bundle.accounts.columns]
        digest["accounts@reference"] = table_digest(bundle.accounts[kept])
    (Path(out) / "digest.json").write_text(json.dumps(digest))


def _differences(ref: dict, now: dict) -> list[str]:
    out = []
    if ref["columns"] != now["columns"]:
        gone = [c for c in ref["columns"] if c not in now["columns"]]
        new = [c for c in now["columns"] if c not in ref["columns"]]
        out.append(f"columns differ (gone: {gone}, new: {new}, order: {now['columns']})")
    elif ref["dtypes"] != now["dtypes"]:
        out.append(
            "dtypes differ: "
            + ", ".join(f"{c} {a}->{b}" for c, a, b in zip(ref["columns"], ref["dtypes"], now["dtypes"]) if a != b)
        )
    if ref["rows"] != now["rows"]:
        out.append(f"rows {ref['rows']} -> {now['rows']}")
    if ref["hash"] != now["hash"]:
        changed = [c for c, h in ref["column_hashes"].items() if now["column_hashes"].get(c) != h]
        out.append(f"values differ (columns whose values differ: {changed or 'row order only'})")
    return out


@pytest.mark.slow
def test_demo_bundle_matches_reference(tmp_path):
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip(
            f"the reference digest was written on x86-64 with its kernels pinned (PINNED); on {platform.machine()} "
            "the value model's ridge fits stop elsewhere in the sixth digit, so this digest cannot be compared"
        )
    ref = json.loads(REFERENCE.read_text())
    now = pinned_digest(tmp_path, ref["tables"]["accounts"]["columns"])
    on_reference_columns = now.pop("accounts@reference")
    if os.environ.get("KAMTOOLS_WRITE_DIGEST"):
        REFERENCE.parent.mkdir(exist_ok=True)
        REFERENCE.write_text(json.dumps({"demo": DEMO, "tables": now}, indent=1, sort_keys=True) + "\n")
        ref = json.loads(REFERENCE.read_text())
        on_reference_columns = now["accounts"]
    assert ref["demo"] == DEMO
    ref_tables = ref["tables"]
    missing = sorted(set(ref_tables) - set(now) - set(INTENDED))
    assert not missing, f"tables of the reference that the bundle no longer writes: {missing}"
    new = sorted(set(now) - set(ref_tables))
    if new:
        warnings.warn(f"tables not in the reference (new stages): {new}", stacklevel=1)
    # the summary table gains the SUMMARY_COLUMNS of new stages: compared on the reference's columns
    added = [c for c in now["accounts"]["columns"] if c not in ref_tables["accounts"]["columns"]]
    if added:
        warnings.warn(f"accounts columns not in the reference (new stages): {added}", stacklevel=1)
        now["accounts"] = on_reference_columns
    problems = {
        name: diff
        for name in sorted(set(ref_tables) & set(now))
        if name not in INTENDED and (diff := _differences(ref_tables[name], now[name]))
    }
    assert not problems, "the bundle changed:\n" + "\n".join(f"  {n}: {'; '.join(d)}" for n, d in problems.items())


def test_digest_is_independent_of_row_order_and_float_noise():
    df = pd.DataFrame({"account_id": ["b", "a"], "x": [0.1 + 0.2, -0.0], "n": [1, 2]})
    same = pd.DataFrame({"account_id": ["a", "b"], "x": [0.0, 0.3], "n": [2, 1]})
    assert table_digest(df) == table_digest(same)
    other = same.assign(x=[0.0, 0.31])
    assert table_digest(other)["hash"] != table_digest(same)["hash"]
    assert _differences(table_digest(same), table_digest(other)) == [
        "values differ (columns whose values differ: ['x'])"
    ]


@pytest.mark.slow
def test_every_table_of_the_demo_matches_its_declared_schema(demo_bundle):
    from kamtools import stages as S

    summary_cols = [c for s in S.STAGES for cols in s.summary_columns().values() for c in cols]
    problems = []
    for name, meta in sorted(demo_bundle.manifest["tables"].items()):
        df = demo_bundle.table(name)
        try:
            if name == "accounts":
                S.validate_table(S.Stage("summary", "", (), (S.SUMMARY_TABLE,)), name, df, extra=summary_cols)
            else:
                S.validate_table(S.stage(meta["stage"]), name, df)
        except S.StageContractError as exc:
            problems.append(str(exc))
    assert not problems, "\n".join(problems)

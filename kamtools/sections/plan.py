"""Report section: the account plan (objectives, risks with evidence, actions, talking points).

Reads the tables written by :func:`kamtools.plan.bundle_tables` (``plan_objectives``,
``plan_risks``, ``plan_actions``, ``plan_talking_points``, ``plan_unavailable``) and
draws them; the plan is not recomputed here.
"""

from __future__ import annotations

import pandas as pd

from kamtools import display, formatting
from kamtools.data.portfolio import NotAvailable

TITLE = "Account plan: objectives, risks and actions"


def _missing_parts(bundle) -> list[str]:
    una = bundle.table("plan_unavailable")
    if isinstance(una, NotAvailable) or una.empty:
        return []
    return [f"{p.capitalize()}: {r}" for p, r in zip(una["part"].astype(str), una["reason"].astype(str))]


def account_section(acct) -> None:
    """Objectives, risks with their evidence, the actions table and QBR talking points."""
    display.heading(TITLE)
    objectives = acct.table("plan_objectives")
    if isinstance(objectives, NotAvailable):
        display.not_available(objectives)
        return
    display.heading("Objectives for the next 12 months", level=3)
    if objectives.empty:
        display.paragraph(_no_objective_text(acct))
    else:
        display.table(objectives, columns={"text": "Objective", "basis": "Derived from"})

    display.heading("Risks and their evidence", level=3)
    risks = acct.table("plan_risks")
    if isinstance(risks, NotAvailable):
        display.not_available(risks)
    elif risks.empty:
        display.paragraph("No rule of the playbook flags a risk for this account.")
    else:
        display.table(risks, columns={"severity": "Severity", "risk": "Risk", "evidence": "Evidence (facts)"})

    display.heading("Actions", level=3)
    actions = acct.table("plan_actions")
    if isinstance(actions, NotAvailable):
        display.not_available(actions)
    elif actions.empty:
        display.paragraph("No action is due from the playbook for this account.")
    else:
        ranked = actions.sort_values("order", kind="stable") if "order" in actions.columns else actions
        display.table(
            _with_value(ranked, formatting.currency_of(acct.bundle)),
            columns={
                "priority": "Priority",
                "action": "Action",
                "value": "Value at stake",
                "owner": "Owner",
                "due_date": "Due",
                "evidence": "Because",
            },
            money=["value"],
            currency=formatting.currency_of(acct.bundle),
        )
        display.paragraph(
            "Actions are ranked by priority (high, medium, low), then by the money at stake (largest first), "
            "and capped per account by tier; each is due after the one ranked before it."
            + _capacity_note(ranked, getattr(acct.bundle, "as_of", None))
        )

    display.heading("Talking points for the business review", level=3)
    points = acct.table("plan_talking_points")
    if isinstance(points, NotAvailable):
        display.not_available(points)
    elif not points.empty:
        display.bullets(points.sort_values("order")["text"].tolist())

    missing = _missing_parts(acct.bundle)
    if missing:
        display.paragraph("Parts of the plan left out because their analysis is missing:")
        display.bullets(missing)


def _first_value(acct, table: str, column: str) -> float:
    """The account's first value of ``table.column`` as a float (NaN when the table or column is missing)."""
    t = acct.table(table)
    if isinstance(t, NotAvailable) or t.empty or column not in t.columns:
        return float("nan")
    return float(pd.to_numeric(t[column], errors="coerce").iloc[0])


def _no_objective_text(acct) -> str:
    """Why the plan sets no objective, from the tables the objectives were built from (KPIs and churn)."""
    from kamtools.plan.constants import RETENTION_CHURN_P
    from kamtools.plan.objectives import no_objective_reason

    revenue = _first_value(acct, "kpis", "revenue_ltm")
    churn = acct.table("churn")
    band = ""
    if isinstance(churn, pd.DataFrame) and not churn.empty and "risk_band" in churn.columns:
        band = str(churn["risk_band"].iloc[0]).lower()
    lapsed = band == "lapsed"
    at_risk = lapsed or _first_value(acct, "churn", "churn_probability") >= RETENTION_CHURN_P
    stake = revenue if lapsed else _first_value(acct, "churn", "revenue_at_risk")
    currency = formatting.currency_of(acct.bundle)
    return no_objective_reason(revenue, at_risk, stake, lambda v: formatting.money(v, currency))


CAPACITY_WEEKS = 13  # a due date further out than a quarter comes from the owner's workload, not the rule


def _capacity_note(actions: pd.DataFrame, as_of: pd.Timestamp | None) -> str:
    """One sentence when an action is due more than a quarter after the data date: its date was
    pushed back by its owner's weekly capacity across the whole portfolio, not set by urgency."""
    if as_of is None or "due_date" not in actions.columns or actions.empty:
        return ""
    due = pd.to_datetime(actions["due_date"], errors="coerce")
    late = due > as_of + pd.Timedelta(weeks=CAPACITY_WEEKS)
    if not late.any():
        return ""
    return (
        f" {int(late.sum())} of these {'is' if late.sum() == 1 else 'are'} due more than {CAPACITY_WEEKS} weeks "
        "out only because the owner already has the playbook's maximum of actions due in each week before "
        "(setting owner_actions_per_week) across the portfolio; bring it forward if it matters more than "
        "that workload."
    )


def owner_load(actions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per owner: actions and the date the last one is due, latest first (for the portfolio page)."""
    owner = actions["owner"].astype(str).str.replace(r" \+ .*$", "", regex=True)
    due = pd.to_datetime(actions["due_date"], errors="coerce")
    load = pd.DataFrame({"owner": owner, "due": due}).groupby("owner").agg(n=("due", "size"), last=("due", "max"))
    load["weeks"] = ((load["last"] - as_of).dt.days // 7).astype("Int64")
    return load.sort_values(["last", "n"], ascending=False).reset_index()


def _with_value(actions: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """Add a ``value`` text column: the value at stake in money (in ``currency``) with what it is,
    or the reason the action has no money figure."""
    from kamtools.plan.actions import stake_text

    if "value_at_stake" not in actions.columns:
        return actions
    v = pd.to_numeric(actions["value_at_stake"], errors="coerce")
    basis = actions["value_basis"] if "value_basis" in actions.columns else pd.Series("", index=v.index)
    return actions.assign(value=[stake_text(x, b, currency) for x, b in zip(v, basis, strict=True)])


def most_urgent(actions: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The portfolio's most urgent actions, ranked as each plan ranks its own: priority (high, medium,
    low), then value at stake (largest first, unknown last), then the due date."""
    from kamtools.plan.constants import PRIORITIES

    keys = ["_p"] if "priority" in actions.columns else []
    rank = actions.assign(_p=actions["priority"].map(PRIORITIES).fillna(len(PRIORITIES) + 1)) if keys else actions
    if "value_at_stake" in actions.columns:
        v = pd.to_numeric(actions["value_at_stake"], errors="coerce").fillna(-1.0)
        ranked = rank.assign(_v=-v).sort_values([*keys, "_v", "due_date", "account_id"], kind="stable")
        return ranked.drop(columns=["_v", *keys]).head(n).reset_index(drop=True)
    ranked = rank.sort_values([*keys, "due_date", "account_id", "order"], kind="stable")
    return ranked.drop(columns=keys).head(n).reset_index(drop=True)


def action_counts(actions: pd.DataFrame, by: str) -> pd.DataFrame:
    """Actions per ``by`` (type or owner) and priority, with a total; most actions first."""
    counts = actions.groupby([by, "priority"], observed=True).size().unstack(fill_value=0)
    for p in ("high", "medium", "low"):
        if p not in counts.columns:
            counts[p] = 0
    counts = counts[["high", "medium", "low"]]
    counts["total"] = counts.sum(axis=1)
    return counts.sort_values(["total", "high"], ascending=False).reset_index()


def plans_sentence(n_actions: int, n_plans: int, with_high: int) -> str:
    """The overview's count of actions and plans, each noun in its number (the grocery panel's random 40 read
    '1 actions across 39 account plans; 1 accounts have at least one high-priority action')."""
    return (
        f"{formatting.counted(n_actions, 'action')} across {formatting.counted(n_plans, 'account plan')}; "
        f"{formatting.counted(with_high, 'account')} {'has' if with_high == 1 else 'have'} at least one "
        "high-priority action."
    )


def portfolio_section(bundle) -> None:
    """Plan actions across the portfolio: counts by type and by owner, and the most urgent ones."""
    from kamtools.plotting.kpis import action_counts_chart

    display.heading("Account plans")
    actions = bundle.table("plan_actions")
    if isinstance(actions, NotAvailable):
        display.not_available(actions)
        return
    summary = bundle.table("plan_summary")
    n_acc = len(summary) if isinstance(summary, pd.DataFrame) else actions["account_id"].nunique()
    with_high = int((summary["n_high_priority"] > 0).sum()) if isinstance(summary, pd.DataFrame) else 0
    display.paragraph(plans_sentence(len(actions), n_acc, with_high))
    if actions.empty:
        return
    display.figure(action_counts_chart(actions, by="type"), alt="Plan actions by type and priority")
    display.heading("Actions by type", level=3)
    display.table(
        action_counts(actions, "type"),
        columns={"type": "Type", "high": "High", "medium": "Medium", "low": "Low", "total": "Total"},
    )
    display.heading("Actions by owner", level=3)
    owner = actions.assign(owner=actions["owner"].str.replace(r" \+ .*$", "", regex=True))
    display.table(
        action_counts(owner, "owner"),
        columns={"owner": "Owner", "high": "High", "medium": "Medium", "low": "Low", "total": "Total"},
        max_rows=40,
    )
    if "due_date" in actions.columns and getattr(bundle, "as_of", None) is not None:
        load = owner_load(actions, bundle.as_of)
        over = load[load["weeks"].fillna(0) > CAPACITY_WEEKS]
        if len(over):
            first = over.iloc[0]
            display.paragraph(
                f"{len(over):,} owner{'s have' if len(over) > 1 else ' has'} more actions than the playbook's weekly "
                f"capacity (owner_actions_per_week) clears in a quarter: {first['owner']}'s last of "
                f"{int(first['n']):,} actions is due {formatting.day(first['last'])}, {int(first['weeks'])} weeks out. "
                "Share these accounts among more owners, raise the setting, or narrow the playbook's rules."
            )
    display.heading("Most urgent actions: high priority first, then by value at stake", level=3)
    urgent = _with_value(most_urgent(actions), formatting.currency_of(bundle))
    accounts = bundle.accounts
    if "name" in accounts.columns:
        urgent = urgent.merge(accounts[["account_id", "name"]], on="account_id", how="left")
    display.table(
        urgent,
        columns={
            "account_id": "Account id",
            "name": "Account",
            "owner": "Owner",
            "value": "Value at stake",
            "due_date": "Due",
            "action": "Action",
            "evidence": "Because",
        },
        max_rows=20,
        money=["value"],
        currency=formatting.currency_of(bundle),
    )
    missing = _missing_parts(bundle)
    if missing:
        display.paragraph("Parts of the plans left out because their analysis is missing:")
        display.bullets(missing)

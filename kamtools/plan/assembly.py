"""Plans put together: :class:`AccountPlan`, :func:`plans` and :func:`account_plan`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.plan.actions import apply_playbook
from kamtools.plan.facts import _present, account_facts, material_floor
from kamtools.plan.objectives import objectives
from kamtools.plan.playbook import Playbook, load_playbook
from kamtools.plan.talking_points import talking_points
from kamtools.stages import stage as _stage


# ------------------------------------------------------------------------------------------
# the plan object
# ------------------------------------------------------------------------------------------
@dataclass
class AccountPlan:
    """One account's plan. ``to_frames()`` gives every part as a DataFrame.

    Attributes
    ----------
    account_id, name, owner : who the plan is for and who owns it.
    as_of : the data date the plan is built on.
    profile : dict of segment, tier, quadrant, tenure_years, expected_value_12m,
        revenue_ltm, health_score, health_band, industry, region (None when unknown).
    objectives, risks, actions, talking_points : DataFrames as from :func:`objectives`,
        :func:`apply_playbook` and :func:`talking_points` (this account's rows).
    facts : dict of every fact of :data:`FACTS` for this account.
    unavailable : plan part -> reason it is missing (shown as sentences in reports).
    playbook : where the rules came from.
    """

    account_id: str
    name: str
    owner: str
    as_of: pd.Timestamp
    profile: dict
    objectives: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame
    talking_points: pd.DataFrame
    facts: dict
    unavailable: dict[str, str] = field(default_factory=dict)
    playbook: str = "built-in"

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """{'profile', 'objectives', 'risks', 'actions', 'talking_points', 'unavailable'} DataFrames."""
        prof = pd.DataFrame(
            {
                "account_id": self.account_id,
                "field": list(self.profile),
                "value": [None if v is None else str(v) for v in self.profile.values()],
            }
        )
        una = pd.DataFrame(
            {"account_id": self.account_id, "part": list(self.unavailable), "reason": list(self.unavailable.values())}
        )
        return {
            "profile": prof,
            "objectives": self.objectives,
            "risks": self.risks,
            "actions": self.actions,
            "talking_points": self.talking_points,
            "unavailable": una,
        }

    @property
    def points(self) -> list[str]:
        """The talking points as a list of sentences."""
        return self.talking_points["text"].tolist()


_PROFILE = (
    "segment",
    "tier",
    "quadrant",
    "tenure_years",
    "expected_value_12m",
    "revenue_ltm",
    "health_score",
    "health_band",
    "industry",
    "region",
)


def _clean(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass
class _Plans:
    facts: pd.DataFrame
    objectives: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame
    talking_points: pd.DataFrame
    unavailable: dict[str, str]
    playbook: Playbook
    as_of: pd.Timestamp


def plans(
    tables: Mapping[str, pd.DataFrame | NotAvailable],
    as_of: pd.Timestamp | str,
    playbook: str | os.PathLike | Mapping | Playbook | None = None,
) -> _Plans:
    """Plans for every account in ``tables`` (vectorised; see :func:`account_facts`)."""
    pb = load_playbook(playbook)
    as_of = pd.Timestamp(as_of).normalize()
    facts, unavailable = account_facts(tables, as_of)
    obj = objectives(facts, min_value_at_stake=material_floor(pb.min_value_at_stake, facts))
    risks, actions = apply_playbook(facts, pb, as_of)
    tp = talking_points(facts, obj, risks, actions, as_of)
    return _Plans(facts, obj, risks, actions, tp, unavailable, pb, as_of)


def _to_plan(all_plans: _Plans, account_id: str, unavailable: dict[str, str]) -> AccountPlan:
    f = all_plans.facts
    row = f[f["account_id"] == account_id]
    if row.empty:
        raise KeyError(f"account_id {account_id!r} has no KPIs to plan from")
    facts = {k: _clean(v) for k, v in row.iloc[0].to_dict().items()}

    def rows(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["account_id"] == account_id].reset_index(drop=True)

    return AccountPlan(
        account_id=account_id,
        name=str(facts.get("name") or account_id),
        owner=str(facts.get("owner") or ""),
        as_of=all_plans.as_of,
        profile={k: facts.get(k) for k in _PROFILE},
        objectives=rows(all_plans.objectives),
        risks=rows(all_plans.risks),
        actions=rows(all_plans.actions),
        talking_points=rows(all_plans.talking_points),
        facts=facts,
        unavailable=unavailable,
        playbook=all_plans.playbook.source,
    )


def _source_tables() -> tuple[str, ...]:
    """The per-account tables the plan reads (kpis_portfolio, portfolio-level, is read apart)."""
    reads = _stage("plan").reads
    return ("kpis", "health", *(t for t in reads if t not in ("kpis", "kpis_portfolio", "health")))


def account_plan(
    source,
    account_id: str,
    playbook: str | os.PathLike | Mapping | Playbook | None = None,
    context: Mapping[str, pd.DataFrame | NotAvailable] | None = None,
) -> AccountPlan:
    """The plan of one account.

    ``source`` is a :class:`kamtools.bundle.Bundle` (only this account's slice is read),
    an :class:`~kamtools.bundle.AccountView`, or a :class:`Portfolio`: then the stages the
    plan reads from run in memory (:func:`kamtools.stages.run_stages`), unless ``context``
    holds their tables already (e.g. ``run_stages(portfolio, upto="kpis")``, kept for
    several accounts). ``playbook`` is a YAML path (or mapping / Playbook) replacing or
    extending the built-in rules. Raises KeyError for an unknown account.
    """
    account_id = str(account_id)
    if isinstance(source, Portfolio):
        if context is None:
            from kamtools.stages import dependencies, run_stages, stage, upstream

            needed = {name for dep in dependencies(stage("plan")) for name in upstream(dep)}
            context = run_stages(source, stages=needed)
        ctx = dict(context)
        if account_id not in set(source.accounts["account_id"]):
            raise KeyError(f"account_id {account_id!r} is not in the portfolio")
        tables = {name: _slice(ctx.get(name), account_id) for name in _source_tables()}
        tables["kpis_portfolio"] = ctx.get("kpis_portfolio")
        as_of = source.as_of
    else:
        acct = source.account(account_id) if hasattr(source, "account") else source
        tables = {name: _account_table(acct, name) for name in _source_tables()}
        tables["kpis_portfolio"] = acct.portfolio_table("kpis_portfolio")
        as_of = acct.as_of
    if not _present(tables.get("kpis")) or tables["kpis"].empty:
        reason = tables.get("kpis")
        raise ValueError(
            f"account_plan: no KPIs for account {account_id!r}"
            + (f" ({reason.reason})" if isinstance(reason, NotAvailable) else "")
        )
    built = plans(tables, as_of, playbook)
    return _to_plan(built, account_id, built.unavailable)


def _account_table(acct, name: str):
    """This account's rows of ``name``; a portfolio-level table (e.g. ``value_model``) whole."""
    bundle = getattr(acct, "bundle", None)
    if bundle is not None and bundle.has(name) and not bundle.manifest["tables"][name]["per_account"]:
        return acct.portfolio_table(name)
    return acct.table(name)


def _slice(table, account_id: str):
    if isinstance(table, pd.DataFrame) and "account_id" in table.columns:
        return table[table["account_id"] == account_id].reset_index(drop=True)
    return table

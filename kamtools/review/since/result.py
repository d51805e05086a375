"""The result of a comparison: :class:`Changes` for the portfolio, :class:`AccountChanges` for one account."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kamtools.formatting import money, pct
from kamtools.review.since.constants import ACTION_STATUS_TEXT, ACTION_STATUSES, MEASURES
from kamtools.review.since.digest import _digest
from kamtools.review.since.wording import _fmt, _fmt_change, _missing, _tier_text


@dataclass
class AccountChanges:
    """One account's changes since the last review, as sentences and small tables (for reports and decks).

    ``figures``: measure, label, previous, current, change, previous_text, current_text,
    change_text. ``highlights``: the notable changes (the account's lines of the digest:
    band or tier moved, new high risks, target slipping, a forecast revision of
    :data:`REVISION_SHARE` or more), as sentences. ``drivers``: status (new / no longer a driver / still a driver), label,
    previous, current (sentences). ``risks``: status (new / resolved), severity, risk,
    value_at_stake. ``actions``: the previous plan's actions with ``follow_up``
    (:data:`ACTION_STATUSES`) and ``follow_up_text``.
    """

    account_id: str
    name: str
    status: str
    previous_as_of: pd.Timestamp
    current_as_of: pd.Timestamp
    row: dict
    figures: pd.DataFrame
    drivers: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)
    currency: str | None = None  # the current bundle's (settings.currency): money is written with it

    @property
    def sentences(self) -> list[str]:
        """Plain sentences on what changed (what a KAM says in the review)."""
        out: list[str] = []
        prev, cur = self.previous_as_of.date(), self.current_as_of.date()
        if self.status == "new":
            return [f"This account is new since the review of {prev}: it was not in the previous analysis."]
        if self.status == "gone":
            return [f"This account was in the analysis of {prev} but is no longer in the one of {cur}."]
        r = self.row
        for key in ("revenue", "forecast"):
            col, label, kind = MEASURES[key]
            b, a = r.get(f"{col}_previous"), r.get(f"{col}_current")
            if _missing(b) or _missing(a):
                continue
            ch = float(a) - float(b)
            rel = f" ({pct(ch / float(b), signed=True, digits=0)})" if float(b) and abs(ch / float(b)) >= 0.005 else ""
            if round(ch) == 0:
                out.append(f"{label}: unchanged at {_fmt(a, kind, self.currency)}.")
            else:
                verb = "up" if ch > 0 else "down"
                out.append(
                    f"{label}: {verb} {money(abs(ch), self.currency)}{rel}, from {_fmt(b, kind, self.currency)} to {_fmt(a, kind, self.currency)}."
                )
        for key in ("attainment", "expected_attainment"):
            col, label, kind = MEASURES[key]
            b, a = r.get(f"{col}_previous"), r.get(f"{col}_current")
            if _missing(b) or _missing(a):
                continue
            if round(float(a) * 100) == round(float(b) * 100):
                out.append(f"{label}: unchanged at {_fmt(a, kind, self.currency)}.")
            else:
                out.append(
                    f"{label}: {_fmt(a, kind, self.currency)}, was {_fmt(b, kind, self.currency)} ({_fmt_change(float(a) - float(b), kind, b, a, self.currency)})."
                )
        b, a = r.get("risk_band_previous"), r.get("risk_band_current")
        pb, pa = r.get("churn_probability_previous"), r.get("churn_probability_current")
        if not _missing(a) and not _missing(b):
            probs = ""
            if not _missing(pb) and not _missing(pa):
                probs = f" (probability {_fmt(pb, 'pct')} then, {_fmt(pa, 'pct')} now)"
            if str(a) != str(b):
                word = (
                    "rose" if r.get("band_move") == "worse" else "fell" if r.get("band_move") == "better" else "moved"
                )
                out.append(f"Churn risk {word} from {b} to {a}{probs}.")
            else:
                out.append(f"Churn risk stays {a}{probs}.")
        b, a = r.get("tier_previous"), r.get("tier_current")
        if not _missing(a) and not _missing(b) and str(a) != str(b):
            out.append(f"Tier moved from {_tier_text(b)} to {_tier_text(a)}.")
        bq, aq = r.get("quadrant_previous"), r.get("quadrant_current")
        if not _missing(aq) and not _missing(bq) and str(aq) != str(bq):
            out.append(f"Portfolio quadrant moved from {bq} to {aq}.")
        return out

    @property
    def action_summary(self) -> str:
        """One sentence counting the previous plan's actions by follow-up status."""
        if self.actions.empty:
            return f"The plan of {self.previous_as_of.date()} had no actions for this account."
        counts = self.actions["follow_up"].value_counts()
        parts = [f"{int(counts[s])} {ACTION_STATUS_TEXT[s].split(':')[0]}" for s in ACTION_STATUSES if s in counts]
        n = len(self.actions)
        return (
            f"Of the {n} action{'s' if n != 1 else ''} planned on {self.previous_as_of.date()}: "
            + ", ".join(parts)
            + "."
        )


@dataclass
class Changes:
    """Everything that changed between two bundles (see the module docs).

    ``accounts``: one row per account in either bundle: account_id, name, owner, status
    (both/new/gone), for each column of :data:`MEASURES` ``<col>_previous``,
    ``<col>_current``, ``<col>_change``; ``risk_band_previous/_current``, ``band_move``
    (worse/better/''), ``tier_previous/_current``, ``tier_move`` (up/down/''),
    ``quadrant_previous/_current``, ``forecast_change_pct``, ``value_at_stake``, ``badge``
    (a short text for the report index).
    ``drivers``, ``risks``, ``actions``: see :class:`AccountChanges` (with account_id).
    ``digest``: rank, account_id, name, owner, kind, sentence, value_at_stake.
    """

    current_as_of: pd.Timestamp
    previous_as_of: pd.Timestamp
    previous_path: str
    accounts: pd.DataFrame
    drivers: pd.DataFrame
    risks: pd.DataFrame
    actions: pd.DataFrame
    digest: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    freshness: dict | None = None  # what reports rendered from these changes depend on (set by kamtools reports)
    currency: str | None = None  # the current bundle's (settings.currency): money is written with it

    def for_account(self, account_id: str) -> AccountChanges:
        """One account's changes; KeyError when the account is in neither bundle."""
        account_id = str(account_id)
        rows = self.accounts[self.accounts["account_id"] == account_id]
        if rows.empty:
            raise KeyError(f"account_id {account_id!r} is in neither bundle")
        row = rows.iloc[0].to_dict()

        def part(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["account_id"] == account_id].drop(columns="account_id").reset_index(drop=True)

        return AccountChanges(
            account_id=account_id,
            name=str(row.get("name") or account_id),
            status=str(row["status"]),
            previous_as_of=self.previous_as_of,
            current_as_of=self.current_as_of,
            row=row,
            figures=_figures(row, self.currency),
            drivers=part(self.drivers),
            risks=part(self.risks),
            actions=part(self.actions),
            notes=list(self.notes),
            highlights=list(
                _digest(
                    rows,
                    self.risks[self.risks["account_id"] == account_id],
                    self.previous_as_of.date(),
                    self.current_as_of.date(),
                    top=None,
                    currency=self.currency,
                    actions=self.actions[self.actions["account_id"] == account_id],
                )["sentence"]
            ),
            currency=self.currency,
        )


FIGURE_COLUMNS = ["measure", "label", "previous", "current", "change", "previous_text", "current_text", "change_text"]


def _figures(row: dict, currency: str | None) -> pd.DataFrame:
    """One account's figures then and now (the :data:`MEASURES`, churn band, tier and quadrant) as text."""
    figures = []
    for key, (col, label, kind) in MEASURES.items():
        if f"{col}_previous" not in row:
            continue
        b, a, ch = row[f"{col}_previous"], row[f"{col}_current"], row.get(f"{col}_change")
        if _missing(b) and _missing(a):
            continue
        figures.append(
            {
                "measure": key,
                "label": label,
                "previous": b,
                "current": a,
                "change": ch,
                "previous_text": _fmt(b, kind, currency),
                "current_text": _fmt(a, kind, currency),
                "change_text": _fmt_change(ch, kind, b, a, currency),
            }
        )
    for col, label, fmt in (
        ("risk_band", "Churn band", str),
        ("tier", "Tier", _tier_text),
        ("quadrant", "Portfolio quadrant", str),
    ):
        b, a = row.get(f"{col}_previous"), row.get(f"{col}_current")
        if _missing(b) and _missing(a):
            continue
        bt = "n/a" if _missing(b) else fmt(b)
        at = "n/a" if _missing(a) else fmt(a)
        figures.append(
            {
                "measure": col,
                "label": label,
                "previous": b,
                "current": a,
                "change": None,
                "previous_text": bt,
                "current_text": at,
                "change_text": "" if bt == at else "changed",
            }
        )
    return pd.DataFrame(figures, columns=FIGURE_COLUMNS)

"""The relationship-map chart: a tree from reports_to, a role x seniority grid without it, literal text,
the cap on people drawn, and no contacts."""

from __future__ import annotations

import io

import matplotlib
import pandas as pd
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text

from kamtools.plotting.relationships import MAX_PEOPLE, org_chart

matplotlib.use("Agg")


def _people(n: int, reports: bool = True, account: str = "A1") -> pd.DataFrame:
    rows = []
    for i in range(n):
        rows.append(
            {
                "contact_id": f"{account}-C{i}",
                "account_id": account,
                "group_id": "G1",
                "name": f"Person {i}",
                "title": "Head of Purchasing",
                "role": ["decision_maker", "influencer", "user", "gatekeeper"][i % 4],
                "seniority": ["executive", "senior", "manager", "staff"][min(3, i // 4)],
                "attitude": [None, "champion", "supporter", "neutral", "detractor"][i % 5],
                "reports_to": (None if i == 0 else f"{account}-C{(i - 1) // 3}") if reports else None,
                "left_date": pd.NaT,
                "is_decision_maker": i % 4 == 0,
                "has_left": False,
                "last_contact_date": pd.NaT,
                "days_since_contact": float(10 * i) if i % 7 else float("nan"),
                "n_interactions_12m": 1,
                "owner": "M. Berg" if i % 2 else None,
            }
        )
    return pd.DataFrame(rows)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_tree_from_reports_to_draws_every_person_and_the_lines():
    df = _people(7)
    df.loc[2, ["has_left", "left_date"]] = [True, pd.Timestamp("2026-02-15")]
    fig = org_chart(df, title="Feed France SA")
    texts = _texts(fig)
    assert sum(1 for p in fig.findobj(FancyBboxPatch) if p.get_zorder() == 2) == 7
    assert "Person 0" in texts and "decision maker · executive" in texts
    assert "met 10 days ago" in texts and "never met" in texts and "left 15 Feb 2026" in texts
    assert "ours: M. Berg" in texts and "ours: nobody named" in texts
    assert "champion" in texts and "attitude unknown" in texts  # attitude in words, not only colour
    legend = fig.legends[0]
    assert "Layout: reporting lines" in legend.get_title().get_text()
    assert {"champion", "supporter", "neutral", "detractor", "decision maker", "left the customer"} <= {
        t.get_text() for t in legend.get_texts()
    }
    # 6 reporting lines, drawn as lines (besides the strike-through of the person who left)
    lines = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) >= 4]
    assert len(lines) == 6
    assert _png(fig)[:4] == b"\x89PNG"


def test_grid_without_reports_to():
    df = _people(8, reports=False).drop(columns="reports_to")
    fig = org_chart(df)
    texts = _texts(fig)
    assert "Layout: role x seniority" in fig.legends[0].get_title().get_text()
    assert {"decision maker", "influencer", "user", "gatekeeper"} <= set(texts)  # column headings
    assert {"executive", "senior"} <= set(texts)  # row headings
    assert not [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) >= 4]
    _png(fig)


def test_strings_from_the_data_are_drawn_literally():
    df = _people(3)
    df.loc[0, "name"] = "Acme $\\frac{1}{$ Co"
    df.loc[1, "title"] = "<script>alert(1)</script>"
    df.loc[2, "owner"] = "$x^2$ \\alpha"
    fig = org_chart(df, title="A $1 account", account_names={"A1": "$y$"})
    png = _png(fig)  # math markup would fail to draw the unbalanced $
    assert png[:4] == b"\x89PNG"
    texts = _texts(fig)
    assert "Acme $\\frac{1}{$ Co" in texts and "<script>alert(1)</script>" in texts and "ours: $x^2$ \\alpha" in texts
    assert all(not t.get_parse_math() for t in fig.findobj(Text) if t.get_text())


def test_at_most_max_people_are_drawn_and_the_rest_counted():
    df = _people(MAX_PEOPLE + 6)
    fig = org_chart(df)
    assert sum(1 for p in fig.findobj(FancyBboxPatch) if p.get_zorder() == 2) == MAX_PEOPLE
    assert "And 6 more not shown" in fig.legends[0].get_title().get_text()
    w, h = fig.get_size_inches()
    assert w <= 20 and h <= 26
    # the decision makers are kept first
    assert "Person 44" in _texts(fig)  # a decision maker (44 % 4 == 0) beyond the first 40 rows


def test_a_group_draws_one_block_per_unit_under_its_name():
    df = pd.concat([_people(3, account="A1"), _people(2, account="A2")], ignore_index=True)
    fig = org_chart(df, account_names={"A1": "Feed France SA", "A2": "Feed Italia Srl"})
    texts = _texts(fig)
    assert "Feed France SA" in texts and "Feed Italia Srl" in texts
    assert sum(1 for p in fig.findobj(FancyBboxPatch) if p.get_zorder() == 2) == 5


def test_no_contacts_says_so():
    fig = org_chart(_people(0))
    assert "No contacts on file." in _texts(fig)

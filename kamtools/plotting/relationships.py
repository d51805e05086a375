"""The relationship map as a chart: who is who at the customer, whom we know, who is on our side.

:func:`org_chart` takes rows of the ``relationships`` stage's ``relationship_map`` table (one account,
or several: the units of a group, drawn side by side, each under its name) and draws each person as a
box: name, title (or role) and seniority, attitude (as colour and as a word), days since our last
contact, and our owner of the relationship. Decision makers have a thick dark border and say so; people
who left are greyed, their name struck through, with the date they left.

Where the contacts say who reports to whom (``reports_to``) the boxes form a top-down tree; where they
do not, a grid of role (columns) by seniority (rows). Every text is drawn literally (a ``$`` in a name
stays a ``$``). At most :data:`MAX_PEOPLE` people are drawn (current decision makers and the most
senior first); the chart says how many more there are.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch

from kamtools.plotting.style import Figure, fit_title, new_figure, short_label

__all__ = ["ATTITUDE_COLOURS", "MAX_PEOPLE", "org_chart"]

MAX_PEOPLE = 40
"""The most people one chart draws; the rest are counted in a line under the chart."""

# Okabe-Ito colours (colour-blind safe); the attitude is also written in each box
ATTITUDE_COLOURS = {
    "champion": "#009E73",
    "supporter": "#56B4E9",
    "neutral": "#F0E442",
    "detractor": "#D55E00",
    None: "#FFFFFF",
}
_LEFT_FACE = "#E6E6E6"
_LEFT_TEXT = "#8C8C8C"
_DM_EDGE = "#1A1A1A"
_EDGE = "#7F7F7F"

_ROLES = ("decision_maker", "influencer", "gatekeeper", "user")
_ROLE_WORDS = {
    "decision_maker": "decision maker",
    "influencer": "influencer",
    "gatekeeper": "gatekeeper",
    "user": "user",
}
_SENIORITIES = ("executive", "senior", "manager", "staff")

BOX_W, BOX_H = 1.3, 1.0  # a box, in layout units
STEP_X, STEP_Y = 1.45, 1.4  # from one box to the next
BLOCK_GAP = 0.5  # between two accounts' blocks
MAX_ROW_UNITS = 16.0  # a row of blocks wraps beyond this width
INCH_PER_UNIT = 1.1
TEXT_CHARS = 26  # longest line in a box before it is cut with an ellipsis


def _s(value: object) -> str | None:
    """A text cell, None when missing or blank."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    s = str(value).strip()
    return s if s and s not in ("nan", "None", "<NA>", "NaT") else None


def _priority(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` in the order people are kept under the cap: current decision makers, then seniority,
    then people met recently, then the rest; people who left last."""
    seniority = rows["seniority"].astype(object).map(lambda v: (_s(v) or "").lower())
    rank = seniority.map({s: i for i, s in enumerate(_SENIORITIES)}).fillna(len(_SENIORITIES))
    days = pd.to_numeric(rows["days_since_contact"], errors="coerce").fillna(1e9)
    key = pd.DataFrame(
        {
            "left": rows["has_left"].fillna(False).astype(bool).to_numpy(),
            "dm": ~rows["is_decision_maker"].fillna(False).astype(bool).to_numpy(),
            "rank": rank.to_numpy(),
            "days": days.to_numpy(),
            "pos": np.arange(len(rows)),
        },
        index=rows.index,
    )
    return rows.loc[key.sort_values(["left", "dm", "rank", "days", "pos"]).index]


# ------------------------------------------------------------------------------------------
# layout: positions of each block's boxes (x to the right, y downwards, in layout units)
# ------------------------------------------------------------------------------------------
def _tree_layout(
    block: pd.DataFrame, compact: bool = False
) -> tuple[dict[str, tuple[float, float]], list[tuple[str, str]], set[str]]:
    """A tidy top-down tree: leaves on consecutive slots, a manager centred over their reports.

    ``compact``: reports who have no reports of their own are stacked in a column under their
    manager instead of side by side (a wide tree stays readable). Returns the positions, the
    (manager, report) edges and the managers whose reports are stacked.
    """
    ids = block["contact_id"].astype(str).tolist()
    known = set(ids)
    boss = {
        c: b for c, b in zip(ids, block["reports_to"].map(_s)) if b is not None and b in known and b != c
    }  # edges only between people drawn
    kids: dict[str, list[str]] = {c: [] for c in ids}
    for c in ids:  # keep the block's order (seniority, name) among siblings
        if c in boss:
            kids[boss[c]].append(c)
    roots = [c for c in ids if c not in boss]
    pos: dict[str, tuple[float, float]] = {}
    stacked: set[str] = set()
    next_slot = [0.0]

    def place(node: str, depth: int, seen: frozenset) -> float:
        children = [k for k in kids[node] if k not in seen]
        if not children:
            x = next_slot[0]
            next_slot[0] += 1.0
        elif compact and all(not kids[k] for k in children):
            x = next_slot[0]
            next_slot[0] += 1.0
            stacked.add(node)
            for i, k in enumerate(children):
                pos[k] = ((x + 0.12) * STEP_X, (depth + 1 + i) * STEP_Y)
        else:
            xs = [place(k, depth + 1, seen | {node}) for k in children]
            x = (min(xs) + max(xs)) / 2
        pos[node] = (x * STEP_X, depth * STEP_Y)
        return x

    for r in roots:
        place(r, 0, frozenset())
    for c in ids:  # a reporting loop (the loader refuses them) would leave someone out: put them last
        if c not in pos:
            pos[c] = (next_slot[0] * STEP_X, 0.0)
            next_slot[0] += 1.0
    edges = [(b, c) for c, b in boss.items() if b in pos and c in pos]
    return pos, edges, stacked


CELL_ROWS = 3  # people stacked in one grid cell before the role's column widens


def _grid_layout(block: pd.DataFrame) -> tuple[dict[str, tuple[float, float]], list[tuple[str, float]], list]:
    """Role columns by seniority rows; several people in one cell are stacked (up to :data:`CELL_ROWS`
    deep, then side by side). Returns the positions, the column headings with their x and the row
    headings with their y."""
    role = block["role"].map(lambda v: (_s(v) or "").lower())
    sen = block["seniority"].map(lambda v: (_s(v) or "").lower())
    role = role.where(role.isin(_ROLES), "other")
    sen = sen.where(sen.isin(_SENIORITIES), "unknown")
    roles = [r for r in (*_ROLES, "other") if (role == r).any()]
    sens = [s for s in (*_SENIORITIES, "unknown") if (sen == s).any()]
    cells: dict[tuple[str, str], list[str]] = {}
    for cid, r, s in zip(block["contact_id"].astype(str), role, sen):
        cells.setdefault((r, s), []).append(cid)
    width = {r: min(4, max(1, -(-max(len(v) for (rr, _), v in cells.items() if rr == r) // CELL_ROWS))) for r in roles}
    height = {s: max(-(-len(v) // width[r]) for (r, ss), v in cells.items() if ss == s) for s in sens}
    col0 = dict(zip(roles, np.concatenate([[0], np.cumsum([width[r] for r in roles])[:-1]])))
    row0 = dict(zip(sens, np.concatenate([[0], np.cumsum([height[s] for s in sens])[:-1]])))
    pos = {}
    for (r, s), people in cells.items():
        for k, cid in enumerate(people):
            pos[cid] = ((col0[r] + k % width[r]) * STEP_X, (row0[s] + k // width[r]) * STEP_Y)
    headings = [(_ROLE_WORDS.get(r, r), (col0[r] + (width[r] - 1) / 2) * STEP_X) for r in roles]
    rows = [(s, float(row0[s]) * STEP_Y) for s in sens]
    return pos, headings, rows


# ------------------------------------------------------------------------------------------
# drawing
# ------------------------------------------------------------------------------------------
def _box_lines(p: dict) -> list[str]:
    """The six lines of a person's box: name, title, role and seniority, attitude, last contact, our owner."""
    name = _s(p.get("name")) or f"contact {p.get('contact_id')}"
    role = (_s(p.get("role")) or "").lower()
    title = _s(p.get("title")) or "(no title)"
    seniority = _s(p.get("seniority"))
    what = (
        "decision maker" if p.get("is_decision_maker") else _ROLE_WORDS.get(role, _s(p.get("role")) or "role unknown")
    )
    if p.get("has_left"):
        left = pd.Timestamp(p["left_date"]).strftime("%d %b %Y") if _s(p.get("left_date")) else "date unknown"
        met = f"left {left}"
    else:
        days = pd.to_numeric(pd.Series([p.get("days_since_contact")]), errors="coerce").iloc[0]
        met = "never met" if np.isnan(days) else f"met {days:,.0f} days ago"
    owner = _s(p.get("owner"))
    return [
        short_label(name, TEXT_CHARS),
        short_label(title, TEXT_CHARS),
        short_label(f"{what} · {seniority}" if seniority else what, TEXT_CHARS),
        _s(p.get("attitude")) or "attitude unknown",
        met,
        short_label(f"ours: {owner}" if owner else "ours: nobody named", TEXT_CHARS),
    ]


def _draw_box(ax, x: float, y: float, p: dict) -> None:
    left = bool(p.get("has_left"))
    dm = bool(p.get("is_decision_maker"))
    attitude = (_s(p.get("attitude")) or "").lower() or None
    face = _LEFT_FACE if left else ATTITUDE_COLOURS.get(attitude, "#FFFFFF")
    box = FancyBboxPatch(
        (x - BOX_W / 2, -y - BOX_H / 2),
        BOX_W,
        BOX_H,
        boxstyle="round,pad=0.0,rounding_size=0.06",
        facecolor=to_rgba(face, 1.0 if left or attitude is None else 0.45),
        edgecolor=_DM_EDGE if dm and not left else _EDGE,
        linewidth=2.6 if dm and not left else 0.8,
        linestyle="--" if left else "-",
        zorder=2,
    )
    ax.add_patch(box)
    lines = _box_lines(p)
    colour = _LEFT_TEXT if left else "#111111"
    n = len(lines)
    for i, line in enumerate(lines):
        ty = -y + BOX_H / 2 - (i + 0.75) * BOX_H / (n + 0.3)
        ax.text(
            x,
            ty,
            line,
            ha="center",
            va="center",
            fontsize=6.4,
            fontweight="bold" if i == 0 or (i == 2 and p.get("is_decision_maker")) else "normal",
            color=colour,
            zorder=3,
            parse_math=False,
            clip_on=False,
        )
    if left:  # the name struck through
        half = min(len(lines[0]), TEXT_CHARS) * 0.024
        ty = -y + BOX_H / 2 - 0.75 * BOX_H / (n + 0.3)
        ax.plot([x - half, x + half], [ty, ty], color=_LEFT_TEXT, linewidth=0.9, zorder=4)


def _draw_edge(ax, a: tuple[float, float], b: tuple[float, float], stacked: bool = False) -> None:
    """A line from a manager's box (a) to a report's box (b): an elbow down to a report beside the
    others, or, for reports stacked under their manager, a bracket down the left side."""
    (x1, y1), (x2, y2) = a, b
    if stacked:
        rail = x2 - BOX_W / 2 - 0.1
        ax.plot(
            [x1 - BOX_W / 2 + 0.15, x1 - BOX_W / 2 + 0.15, rail, rail, x2 - BOX_W / 2],
            [-y1 - BOX_H / 2, -y1 - BOX_H / 2 - 0.12, -y1 - BOX_H / 2 - 0.12, -y2, -y2],
            color=_EDGE,
            linewidth=0.8,
            zorder=1,
        )
        return
    mid = -(y1 + y2) / 2
    ax.plot(
        [x1, x1, x2, x2],
        [-y1 - BOX_H / 2, mid, mid, -y2 + BOX_H / 2],
        color=_EDGE,
        linewidth=0.8,
        zorder=1,
    )


def org_chart(
    rows: pd.DataFrame,
    *,
    title: str | None = None,
    account_names: Mapping[str, str] | None = None,
) -> Figure:
    """The relationship map of one account, or of several (a group's units side by side).

    ``rows``: rows of the ``relationship_map`` table. A tree from ``reports_to`` where at least one
    person drawn reports to another person drawn, else a role x seniority grid. ``account_names``
    (account_id -> name) heads each account's block when several are drawn. Every text is literal.
    """
    rows = rows.reset_index(drop=True)
    n_all = len(rows)
    if n_all == 0:
        fig, ax = new_figure(6.0, 1.4)
        ax.axis("off")
        ax.text(0.5, 0.5, "No contacts on file.", ha="center", va="center", parse_math=False)
        if title:
            ax.set_title(fit_title(ax, title))
        return fig
    kept = _priority(rows).head(MAX_PEOPLE)
    hidden = n_all - len(kept)
    names = dict(account_names or {})
    accounts = list(dict.fromkeys(rows["account_id"].astype(str)))  # in the rows' order (the caller's frame: str)
    several = len(accounts) > 1
    tree = bool(
        kept["reports_to"].map(_s).isin(set(kept["contact_id"].astype(str))).any()
        if "reports_to" in kept.columns
        else False
    )
    if "reports_to" not in kept.columns:
        kept = kept.assign(reports_to=None)

    blocks = _blocks(rows, kept, accounts, tree)
    head = 0.55 if several else 0.0
    col_head = 0.4 if not tree else 0.0
    placed, total_w, total_h = _place(blocks, head, col_head, 0.75 if not tree else 0.0)

    fig_w = float(np.clip(total_w * INCH_PER_UNIT + 0.6, 5.0, 20.0))
    fig_h = float(np.clip(total_h * INCH_PER_UNIT * 0.95 + 1.3, 2.8, 26.0))
    fig, ax = new_figure(fig_w, fig_h)
    ax.axis("off")
    ax.set_aspect("equal", adjustable="datalim")
    for b, bx, by in placed:
        _draw_block(ax, b, bx, by, names if several else None, col_head)
    ax.set_xlim(-0.2, total_w + 0.2)
    ax.set_ylim(-(total_h + 0.25), 0.35)

    _legend(fig, tree, hidden)
    if title:
        ax.set_title(fit_title(ax, title), pad=14)
    return fig


def _blocks(rows: pd.DataFrame, kept: pd.DataFrame, accounts: list[str], tree: bool) -> list[tuple]:
    """Each account's block of people laid out (tree or grid), positions relative to its own top-left corner:
    ``(account, rows, positions, edges, column headings, row headings, width, height, stacked managers)``."""
    blocks = []
    for acc in accounts:
        block = rows.loc[[i for i in kept.index if str(rows.at[i, "account_id"]) == acc]]
        block = block.loc[[i for i in rows.index if i in block.index]]  # the rows' own order
        if block.empty:
            continue
        stacked: set[str] = set()
        if tree:
            pos, edges, stacked = _tree_layout(block)
            if max(x for x, _ in pos.values()) + BOX_W > MAX_ROW_UNITS:
                pos, edges, stacked = _tree_layout(block, compact=True)
            headings, row_heads = [], []
        else:
            pos, headings, row_heads = _grid_layout(block)
            edges = []
        width = max(x for x, _ in pos.values()) + BOX_W
        height = max(y for _, y in pos.values()) + BOX_H
        blocks.append((acc, block, pos, edges, headings, row_heads, width, height, stacked))
    return blocks


def _place(blocks: list[tuple], head: float, col_head: float, row_head_w: float) -> tuple[list, float, float]:
    """The blocks placed left to right, wrapping into rows of blocks: ``([(block, x, y)], total width, total
    height)``; ``head`` and ``col_head`` are the heights of an account's name and of the grid's column headings,
    ``row_head_w`` the width of the grid's row headings."""
    placed, x0, y0, row_h, total_w = [], 0.0, 0.0, 0.0, 0.0
    for b in blocks:
        w = b[6] + row_head_w
        if x0 > 0 and x0 + w > MAX_ROW_UNITS:
            x0, y0, row_h = 0.0, y0 + row_h + BLOCK_GAP + head + col_head, 0.0
        placed.append((b, x0 + row_head_w, y0 + head + col_head))
        x0 += w + BLOCK_GAP
        row_h = max(row_h, b[7])
        total_w = max(total_w, x0 - BLOCK_GAP)
    total_h = y0 + row_h + head + col_head
    return placed, total_w, total_h


def _draw_block(ax, b: tuple, bx: float, by: float, names: Mapping[str, str] | None, col_head: float) -> None:
    """One account's block at (bx, by): reporting lines, people's boxes, the account's name (``names`` given
    when several accounts are drawn) and the grid's column and row headings."""
    acc, block, pos, edges, headings, row_heads, width, _height, stacked = b
    people = {str(r["contact_id"]): r for r in block.to_dict("records")}
    at = {c: (bx + x + BOX_W / 2, by + y + BOX_H / 2) for c, (x, y) in pos.items()}
    for a, c in edges:
        _draw_edge(ax, at[a], at[c], stacked=a in stacked)
    for c, (x, y) in at.items():
        _draw_box(ax, x, y, people[c])
    if names is not None:
        label = short_label(names.get(acc) or acc, int(max(width, 2.0) * 11))
        ax.text(
            bx,
            -(by - col_head - 0.25),
            label,
            ha="left",
            va="center",
            fontsize=8,
            fontweight="bold",
            parse_math=False,
        )
    for h, hx in headings:
        ax.text(
            bx + hx + BOX_W / 2,
            -(by - 0.2),
            h,
            ha="center",
            va="center",
            fontsize=7,
            color="#444444",
            parse_math=False,
        )
    for s, y in row_heads:
        ax.text(
            bx - 0.08,
            -(by + y + BOX_H / 2),
            s,
            ha="right",
            va="center",
            fontsize=6.5,
            color="#444444",
            parse_math=False,
        )


def _legend(fig: Figure, tree: bool, hidden: int) -> None:
    """The legend below the chart: attitudes, decision maker, left the customer, reporting lines; its title
    says the layout and how many people are not shown."""
    legend = [
        Patch(facecolor=to_rgba(ATTITUDE_COLOURS[a], 0.45), edgecolor=_EDGE, label=a) for a in ATTITUDE_COLOURS if a
    ]
    legend += [
        Patch(facecolor="#FFFFFF", edgecolor=_EDGE, label="attitude unknown"),
        Patch(facecolor="#FFFFFF", edgecolor=_DM_EDGE, linewidth=2.6, label="decision maker"),
        Patch(facecolor=_LEFT_FACE, edgecolor=_EDGE, linestyle="--", label="left the customer"),
    ]
    if tree:
        legend.append(Line2D([], [], color=_EDGE, linewidth=0.8, label="reports to"))
    layout = "reporting lines (line down: reports to)" if tree else "role x seniority (no reporting lines in the data)"
    note = f"Layout: {layout}. Attitude: colour and word in each box."
    if hidden:
        note += f" And {hidden} more not shown (current decision makers and the most senior first)."
    fig.legend(
        handles=legend,
        loc="outside lower center",
        ncol=min(len(legend), 4),
        fontsize=7,
        frameon=False,
        title=note,
        title_fontsize=7,
    )

"""The bundled demo portfolio as an analysis bundle: a subset of its accounts, analysed once.

Used by ``kamtools demo`` and by the scenario planner when it is opened without a bundle;
a library module, so neither imports the command line.
"""

from __future__ import annotations

__all__ = ["ensure_bundle", "subset"]


def subset(portfolio, n: int):
    """The portfolio restricted to about its first ``n`` accounts (every table filtered), whole
    groups at a time: a group is taken with all its units and parents when its units still fit
    into ``n``, else skipped; stand-alone accounts fill up to ``n`` units. Without groups: the
    first ``n`` accounts."""
    from kamtools.data.portfolio import Portfolio

    keep = _whole_groups(portfolio.accounts, n)
    tables = {}
    for name, df in portfolio.tables.items():
        if "account_id" in df.columns:
            df = df[df["account_id"].isin(keep) | df["account_id"].isna()].reset_index(drop=True)
        tables[name] = df
    return Portfolio(tables, portfolio.as_of, warnings=list(portfolio.warnings), facts=dict(portfolio.facts))


def _whole_groups(accounts, n: int) -> set[str]:
    """Ids of whole groups (and stand-alone accounts), in the accounts' order, with at most ``n`` units."""
    from kamtools.groups.tree import hierarchy

    hier = hierarchy(accounts).set_index("account_id")
    units = (~hier["is_group"]).groupby(hier["group_id"]).sum()
    members = hier.index.to_series().groupby(hier["group_id"]).agg(set)
    keep: set[str] = set()
    taken = 0
    for group in dict.fromkeys(hier.loc[accounts["account_id"], "group_id"]):
        if taken + units[group] <= n:
            keep |= members[group]
            taken += int(units[group])
        if taken >= n:
            break
    return keep


def ensure_bundle(portfolio, bundle_dir, force: bool = False, progress: bool = True, playbook=None):
    """Analyse ``portfolio`` into ``bundle_dir`` unless an up-to-date bundle is there.

    Up to date = same data fingerprint, same kamtools source, analyses included, and same
    playbook (``playbook``: a YAML file, default the built-in one), recorded in
    ``<bundle_dir>.kamtools-demo.json`` beside the bundle. Returns (bundle, reused).
    """
    import json
    from pathlib import Path

    from kamtools.bundle import Bundle, BundleError, analyze
    from kamtools.datasets import DEMO_CURRENCY
    from kamtools.plan import checked_playbook
    from kamtools.reports.render import atomic_write
    from kamtools.reports.state import package_hash

    bundle_dir = Path(bundle_dir)
    stamp = bundle_dir.with_name(bundle_dir.name + ".kamtools-demo.json")
    _, playbook_record = checked_playbook(playbook)
    want = {"fingerprint": portfolio.fingerprint(), "code_sha256": package_hash(), "playbook": playbook_record}
    if not force and stamp.is_file():
        try:
            if json.loads(stamp.read_text()) == want:
                return Bundle.open(bundle_dir), True
        except (ValueError, BundleError):
            pass
    bundle = analyze(portfolio, bundle_dir, progress=progress, playbook=playbook, currency=DEMO_CURRENCY)
    try:
        atomic_write(stamp, json.dumps(want))
    except OSError as exc:
        from kamtools.outputs import OutputError, write_failure

        raise OutputError(write_failure(stamp, exc)) from exc
    return bundle, False

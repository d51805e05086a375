"""`kamtools analyze`: fit every analysis once and write the bundle."""

from __future__ import annotations

import argparse
import sys

NAME = "analyze"
HELP = "Load and validate the data, fit every analysis once, and write the analysis bundle."
EXAMPLE = "kamtools analyze demo_data --out reports/demo/bundle --as-of 2026-10-31 --playbook our_playbook.yml"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="folder of CSV/Parquet/Excel tables, or a SQLAlchemy database URL")
    p.add_argument(
        "--out",
        required=True,
        help="bundle folder to write (created, or replaced atomically when it is a kamtools bundle)",
    )
    p.add_argument("--mapping", help="YAML file mapping your column names and values to kamtools' names")
    p.add_argument("--as-of", dest="as_of", help="analysis date YYYY-MM-DD (default: last order date)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a Dask distributed scheduler (tcp://host:8786): run the parallel parts "
        "(per-series forecasting, ...) on that cluster instead of local processes",
    )
    p.add_argument(
        "--playbook",
        metavar="FILE",
        help="YAML file of the account-plan rules (default: the built-in kamtools/playbook.yml); "
        "checked before any work, recorded with its SHA-256 in the bundle's manifest",
    )
    from kamtools.cli.validate import add_negative_lines

    add_negative_lines(p)
    add_churn_definition(p)
    p.add_argument(
        "--currency",
        metavar="CODE",
        help="ISO code of the revenue currency, e.g. EUR or USD: reports, decks and the planner show money "
        "with it (default: no symbol); recorded in the bundle's manifest",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_churn_definition(p: argparse.ArgumentParser) -> None:
    """The churn-definition options (``kamtools analyze`` and ``kamtools demo``)."""
    from kamtools.churn.labels import SPEC_HELP

    g = p.add_argument_group(
        "churn definition",
        "what counts as churn (default: no orders for 6 months, or revenue down more than 50% over 12 months); "
        "recorded in the bundle's manifest",
    )
    g.add_argument("--churn-definition", metavar="SPEC", help=SPEC_HELP.replace("%", "%%"))
    g.add_argument(
        "--churn-inactive-months", type=int, metavar="N", help="months without orders that make a full churn (6)"
    )
    g.add_argument(
        "--churn-drop",
        type=float,
        metavar="PCT",
        help="revenue drop in percent that makes a partial churn (50); 0 counts full churn only",
    )
    g.add_argument(
        "--churn-window", type=int, metavar="MONTHS", help="window compared before and after for partial churn (12)"
    )


def churn_definition(args: argparse.Namespace):
    """The churn definition the options ask for (None: the default); ValueError with a sentence when invalid."""
    from kamtools.churn.labels import definition_from

    spec = getattr(args, "churn_definition", None)
    overrides = {
        "inactive": getattr(args, "churn_inactive_months", None),
        "drop": getattr(args, "churn_drop", None),
        "window": getattr(args, "churn_window", None),
    }
    if spec is None and all(v is None for v in overrides.values()):
        return None
    if overrides["drop"] is not None:
        overrides["drop"] = f"{overrides['drop']}%"  # the flag is always in percent
    return definition_from(spec, **overrides)


def playbook_message(exc: Exception, written: str = "bundle") -> str:
    """What the user reads when the playbook cannot be used (nothing has been done yet)."""
    return (
        f"error: the playbook cannot be used: {exc}\n"
        f"No {written} was written. Fix the playbook (the built-in kamtools/playbook.yml explains "
        "every field) or leave out --playbook to use the built-in rules."
    )


def run(args: argparse.Namespace) -> int:
    from kamtools.bundle import analyze, checked_currency
    from kamtools.data.validation import DataValidationError
    from kamtools.outputs import OutputError
    from kamtools.plan import PlaybookError
    from kamtools.stages import StageContractError, UndeclaredInputError

    try:
        churn = churn_definition(args)
        currency = checked_currency(args.currency)
    except ValueError as exc:
        print(f"error: {exc}\nNo bundle was written.", file=sys.stderr)
        return 2
    try:
        bundle = analyze(
            args.source,
            args.out,
            mapping=args.mapping,
            as_of=args.as_of,
            progress=not args.quiet,
            scheduler=args.scheduler,
            playbook=args.playbook,
            churn_definition=churn,
            negative_lines=args.negative_lines,
            currency=currency,
        )
    except PlaybookError as exc:
        print(playbook_message(exc), file=sys.stderr)
        return 1
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DataValidationError as exc:
        print(str(exc), file=sys.stderr)
        print(
            "\nNo bundle was written. Fix the problems above (see `kamtools validate`) and run again.", file=sys.stderr
        )
        return 1
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (StageContractError, UndeclaredInputError) as exc:
        print(
            f"error: an internal check of kamtools failed: {exc}\nThis is a fault in kamtools, not in your data; "
            "please report it with the command you ran. No bundle was written.",
            file=sys.stderr,
        )
        return 3
    except OSError as exc:
        if args.scheduler and "connect" in str(exc).lower():
            print(f"error: cannot reach the Dask scheduler at {args.scheduler}: {exc}", file=sys.stderr)
            print("Start one with `dask scheduler` (and `dask worker ADDRESS`), or drop --scheduler.", file=sys.stderr)
            return 2
        raise
    m = bundle.manifest
    print(f"bundle written to {bundle.path} (as of {m['as_of']}, {m['n_accounts']} accounts)")
    print(f"tables: {', '.join(sorted(m['tables']))}")
    record = m.get("churn_definition") or {}
    if record.get("source") == "user":
        print(f"churn definition: {record['describe']}")
    for warning in m.get("warnings", []):
        print(f"data warning: {warning}")
    for name, reason in sorted(m["skipped"].items()):
        print(f"skipped {name}: {reason}")
    for name, sentence in sorted(m.get("notes", {}).items()):
        print(f"note on {name}: {sentence}")
    print(f"total time: {m['timings_seconds']['total']:.1f} s")
    return 0

"""The ``kamtools`` command line.

Each command lives in its own module under ``kamtools/cli/`` and defines ``NAME``,
``HELP`` (one line), ``EXAMPLE``, ``add_arguments(parser)`` and ``run(args) -> int``.
Heavy imports happen inside ``run`` so that ``kamtools --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from kamtools import __version__

COMMAND_MODULES = [
    "make_demo_data",
    "validate",
    "analyze",
    "reports",
    "demo",
    "plan",
    "export_actions",
    "export_scores",
    "deliver",
]
# commands that need an optional part of kamtools (see kamtools.extras), checked before they start
COMMAND_EXTRAS = {"reports": "reports", "demo": "reports", "plan": "planner"}


def _commands():
    return [importlib.import_module(f"kamtools.cli.{name}") for name in COMMAND_MODULES]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kamtools",
        description="kamtools: analyses, strategy reports and scenario planning for key account managers.",
    )
    parser.add_argument("--version", action="version", version=f"kamtools {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for mod in _commands():
        p = sub.add_parser(
            mod.NAME,
            help=mod.HELP,
            description=mod.HELP,
            epilog=f"example:\n  {mod.EXAMPLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kamtools`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    from kamtools.extras import MissingExtra, require

    try:
        if args.command in COMMAND_EXTRAS:
            require(COMMAND_EXTRAS[args.command], f"`kamtools {args.command}`")
        return int(args._run(args) or 0)
    except MissingExtra as exc:  # an optional part is not installed: one sentence, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

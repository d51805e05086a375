"""``python -m kamtools.stages --markdown``: print docs/architecture.md from the stage declarations."""

from __future__ import annotations

import argparse
import sys

from kamtools.stages.docs import markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kamtools.stages", description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="print docs/architecture.md (the stage diagram)")
    args = parser.parse_args(argv)
    if not args.markdown:
        parser.print_help()
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

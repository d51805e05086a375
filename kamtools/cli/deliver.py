"""``kamtools deliver OUT --owners owners.csv``: each KAM's pack of reports and digest, optionally e-mailed."""

from __future__ import annotations

import argparse
import os
import sys

NAME = "deliver"
HELP = "Make a pack per key account manager from a reports folder (their reports, decks and a digest) and e-mail it."
EXAMPLE = (
    "kamtools deliver reports/2026-11 --owners owners.csv --smtp smtp.example.com:587 --from kam-reports@example.com"
)

DESCRIPTION = """\
OUT is a folder written by `kamtools reports --out OUT`. The account owners come from the
bundle the reports were made from (accounts.owner): kamtools finds it inside OUT (as
`kamtools demo` leaves it), or give it with --bundle.

owners.csv has the columns owner (the name exactly as in accounts.owner) and email:
  owner,email
  M. Berg,m.berg@example.com

For each KAM, OUT/delivery/<kam>/ (or --to DIR) gets their accounts' reports (HTML, PDF and
PowerPoint decks, as rendered) and digest.html (their accounts with tier, health, churn risk
and revenue, the largest risks and the most valuable actions; when OUT was rendered with
`kamtools reports --since PREVIOUS_BUNDLE`, also what changed on their own accounts since that
review: churn band and tier moves, new high risks, targets slipping, the largest forecast
revisions and the last review's actions followed up), zipped as <kam>.zip. The
delivery folder is written complete under a temporary name and then replaces the previous one;
a folder kamtools did not make is never replaced. delivery.json records who got what.

With --smtp, each KAM gets one e-mail: the digest in the body and the zip attached when it is
at most --max-attach-mb, else the folder's path (or its address under --link-base). A failed
send is tried again (--tries, waiting --retry-wait seconds, then twice as long, ...); a 5xx
answer (unknown address, refused login) is not retried, and when the server cannot be reached
at all the KAMs after that are tried once each. Owners in owners.csv without accounts
and accounts whose owner is not in owners.csv are reported.

SMTP login: --smtp-user USER takes the password from the environment variable
KAMTOOLS_SMTP_PASSWORD (never from the command line), and only over an encrypted connection
(STARTTLS or --tls ssl).

--dry-run lists what would be written and sent, and writes and sends nothing.
Exit codes: 0 done, 1 a KAM was not sent their e-mail (listed) or the folder cannot be written,
2 a bad reports folder, bundle, owners file or option."""


DEFAULT_MAX_ATTACH_MB = 10.0  # as kamtools.review.deliver.DEFAULT_MAX_ATTACH_MB (not imported: --help stays fast)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = f"{HELP}\n\n{DESCRIPTION}"
    p.add_argument("out", metavar="OUT", help="reports folder written by `kamtools reports --out`")
    p.add_argument("--owners", required=True, metavar="CSV", help="owner,email per key account manager")
    p.add_argument(
        "--bundle", metavar="BUNDLE_DIR", help="the bundle the reports were made from (default: found in OUT)"
    )
    p.add_argument("--to", metavar="DIR", help="delivery folder (default OUT/delivery): new, empty or an earlier one")
    p.add_argument("--smtp", metavar="HOST:PORT", help="send one e-mail per KAM through this SMTP server")
    p.add_argument("--from", dest="sender", metavar="ADDRESS", help="sender address of the e-mails (with --smtp)")
    p.add_argument(
        "--smtp-user",
        metavar="USER",
        help="log in as USER; the password is read from the environment variable KAMTOOLS_SMTP_PASSWORD",
    )
    p.add_argument(
        "--tls",
        choices=("auto", "starttls", "ssl", "none"),
        default="auto",
        help="auto: STARTTLS when the server offers it (default); starttls: required; ssl: SMTPS; none: plain",
    )
    p.add_argument(
        "--max-attach-mb",
        type=float,
        default=DEFAULT_MAX_ATTACH_MB,
        metavar="MB",
        help=f"attach the zip up to this size (default {DEFAULT_MAX_ATTACH_MB:g}); larger packs are linked",
    )
    p.add_argument("--link-base", metavar="URL", help="address under which the delivery folder is shared (for links)")
    p.add_argument("--tries", type=int, default=3, metavar="N", help="attempts per e-mail (default 3)")
    p.add_argument(
        "--retry-wait",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds before the first retry, doubling (default 2)",
    )
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="SMTP connection timeout (default 30)")
    p.add_argument("--dry-run", action="store_true", help="list what would be written and sent; do nothing")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{max(n, 1) / 1e3:.0f} kB"


def run(args: argparse.Namespace) -> int:
    from kamtools.outputs import OutputError
    from kamtools.review.deliver import DeliveryError, build_packs, plan_delivery, send_packs, write_record

    try:
        settings = _smtp_settings(args)
        plan = plan_delivery(args.out, args.owners, bundle=args.bundle, link_base=args.link_base)
    except DeliveryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_notes(plan)
    if not plan.packs:
        print("error: no KAM in the owners file owns an account of the bundle; nothing to deliver", file=sys.stderr)
        return 2
    if args.dry_run:
        return _dry_run(plan, args.to or os.path.join(args.out, "delivery"), settings)
    try:
        folder = build_packs(plan, args.to)
    except (OutputError, DeliveryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"deliver: {len(plan.packs)} pack(s) in {folder}")
    results = None
    if settings is not None:
        results = send_packs(plan, folder, settings, say=lambda m: print(m, file=sys.stderr))
    try:
        write_record(folder, plan, results)
    except OSError as exc:
        print(f"error: could not write {folder / 'delivery.json'}: {exc.strerror or exc}", file=sys.stderr)
    for pack in plan.packs:
        zip_path = folder / f"{pack.folder}.zip"
        print(
            f"  {pack.owner} <{pack.email}>: {len(pack.accounts)} account(s), {zip_path.name} {_mb(zip_path.stat().st_size)}"
        )
    return 0 if results is None else _sent_report(results, settings)


def _smtp_settings(args: argparse.Namespace):
    """The SMTP settings of ``--smtp`` (the password from the environment, never the command line),
    or None without ``--smtp``; :class:`DeliveryError` for --from or --smtp-user without it."""
    from kamtools.review.deliver import PASSWORD_ENV, DeliveryError, SmtpSettings

    if args.smtp:
        return SmtpSettings.parse(
            args.smtp,
            args.sender or "",
            user=args.smtp_user,
            password=os.environ.get(PASSWORD_ENV) if args.smtp_user else None,
            tls=args.tls,
            timeout=args.timeout,
            tries=args.tries,
            wait=max(0.0, args.retry_wait),
            max_attach=int(args.max_attach_mb * 1024 * 1024),
            link_base=args.link_base,
        )
    if args.sender or args.smtp_user:
        raise DeliveryError("--from and --smtp-user go with --smtp HOST:PORT")
    return None


def _print_notes(plan) -> None:
    """The plan's notes and every KAM's accounts without a report file, on stderr."""
    for note in plan.notes():
        print(f"note: {note}", file=sys.stderr)
    for pack in plan.packs:
        if pack.missing_reports:
            print(
                f"note: {pack.owner}: no report file for {len(pack.missing_reports)} account(s) "
                f"({', '.join(pack.missing_reports[:10])}); run `kamtools reports` for them",
                file=sys.stderr,
            )


def _dry_run(plan, dest: str, settings) -> int:
    """Say what would be written into ``dest`` and sent; nothing is written or sent."""
    print(f"deliver (dry run): would write {len(plan.packs)} pack(s) into {dest}; nothing is written or sent")
    for pack in plan.packs:
        size = pack.size
        line = f"  {pack.owner} <{pack.email}>: {len(pack.accounts)} account(s), {len(pack.files)} file(s), {_mb(size)}"
        if settings is not None:
            how = "zip attached" if size <= settings.max_attach else "too large to attach: a link to the folder"
            line += f"; would e-mail via {settings.host}:{settings.port} ({how})"
        print(line)
        print(f"    {pack.folder}/digest.html")
        for _, inner in pack.files:
            print(f"    {pack.folder}/{inner}")
    return 0


def _sent_report(results: list, settings) -> int:
    """How many e-mails were sent; every KAM who did not get one, with the reason (exit code 1)."""
    failed = [r for r in results if not r.sent]
    sent = len(results) - len(failed)
    print(f"deliver: {sent} of {len(results)} e-mail(s) sent through {settings.host}:{settings.port}")
    if failed:
        print(f"error: {len(failed)} KAM(s) did not get their e-mail:", file=sys.stderr)
        for r in failed:
            print(
                f"  {r.owner} <{r.email}>: {r.error} (after {r.attempts} {'try' if r.attempts == 1 else 'tries'})",
                file=sys.stderr,
            )
        return 1
    return 0

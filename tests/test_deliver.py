"""`kamtools deliver`: a pack per KAM, e-mailed through a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import io
import json
import socket
import zipfile
from pathlib import Path

import pytest

from kamtools.cli import main

HOSTILE = "<b>Acme & Co</b><script>alert(1)</script>"
SENDER = "kam-reports@example.com"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Store:
    """aiosmtpd handler keeping every message; refuses the addresses in ``refuse`` with 451."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self.unknown: set[str] = set()
        self.rcpt_tries: dict[str, int] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_tries[address] = self.rcpt_tries.get(address, 0) + 1
        if address in self.unknown:
            return "550 5.1.1 no such mailbox"
        if address in self.refuse:
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    """(store, port) of an SMTP server on 127.0.0.1, stopped after the test."""
    from aiosmtpd.controller import Controller

    store = Store()
    port = _free_port()
    controller = Controller(store, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield store, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A reports folder holding its bundle (as `kamtools demo` leaves it) and small fake report
    files; returns (OUT, bundle, {owner: [account ids]}, owners.csv path)."""
    from kamtools.bundle import analyze
    from kamtools.datasets import make_portfolio
    from kamtools.outputs import claim_output_dir
    from kamtools.reports.state import account_paths

    portfolio, _ = make_portfolio(n_accounts=30, years=3, seed=11)
    portfolio.accounts.loc[portfolio.accounts.index[0], "name"] = HOSTILE
    root = tmp_path_factory.mktemp("deliver")
    out = claim_output_dir(root / "reports", "reports")
    bundle = analyze(portfolio, out / "bundle", stages=["segment", "kpis", "plan"], progress=False)
    acc = bundle.accounts
    by_owner = {o: sorted(g["account_id"].astype(str)) for o, g in acc.groupby("owner")}
    assert len(by_owner) >= 3
    (out / "accounts").mkdir()
    owners = sorted(by_owner)
    no_report = by_owner[owners[0]][-1]
    for i, account_id in enumerate(acc["account_id"].astype(str)):
        if account_id == no_report:
            continue  # an account whose report is missing
        paths = account_paths(out, account_id)
        paths.html.write_text(f"<html><body>report {account_id}</body></html>", encoding="utf-8")
        if i % 2 == 0:
            paths.pdf.write_bytes(b"%PDF-1.4 fake " + account_id.encode())
        if account_id == by_owner[owners[0]][0]:
            paths.html.with_name(paths.html.stem + "-internal.pptx").write_bytes(b"PK fake deck")  # as decks are named
    owners_csv = root / "owners.csv"
    owners_csv.write_text(
        f"owner,email\n{owners[0]},kam0@example.com\n{owners[1]},kam1@example.com\nNobody Atall,nobody@example.com\n",
        encoding="utf-8",
    )
    return out, bundle, by_owner, owners_csv


def _run(reports, dest, *extra) -> int:
    out, _, _, owners_csv = reports
    return main(["deliver", str(out), "--owners", str(owners_csv), "--to", str(dest), *extra])


def test_each_kam_gets_one_email_with_digest_and_pack(reports, smtp, tmp_path, capsys):
    store, port = smtp
    out, bundle, by_owner, _ = reports
    owners = sorted(by_owner)
    dest = tmp_path / "delivery"
    code = _run(reports, dest, "--smtp", f"127.0.0.1:{port}", "--from", SENDER)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "2 of 2 e-mail(s) sent" in captured.out
    # owners without accounts and accounts without a KAM in the owners file are reported
    assert "have no account in the bundle (nothing to send): Nobody Atall" in captured.err
    for other in owners[2:]:
        assert f"account(s) of {other!r} are not delivered: that owner is not in the owners file" in captured.err
    assert len(store.messages) == 2
    names = bundle.accounts.set_index("account_id")["name"]
    for k, (mail_from, rcpts, msg) in enumerate(sorted(store.messages, key=lambda m: m[1])):
        owner = owners[k]
        ids = by_owner[owner]
        assert mail_from == SENDER and rcpts == [f"kam{k}@example.com"] and msg["To"] == f"kam{k}@example.com"
        assert msg["Subject"] == f"Account pack for {owner}: {len(ids)} accounts, data as of {bundle.as_of.date()}"
        html = msg.get_body(("html",)).get_content()
        assert "Largest risks" in html and "Most valuable actions" in html
        for account_id in ids:
            assert f"({account_id})" in html
        assert "<script>" not in html
        attachments = list(msg.iter_attachments())
        assert len(attachments) == 1 and attachments[0].get_filename().endswith(".zip")
        with zipfile.ZipFile(io.BytesIO(attachments[0].get_content())) as zf:
            inside = zf.namelist()
        folder = attachments[0].get_filename()[:-4]
        assert f"{folder}/digest.html" in inside
        from kamtools.reports.state import report_stem

        wanted = {report_stem(a) for a in ids}
        stems = {Path(n).name.split(".")[0].removesuffix("-internal") for n in inside if "/accounts/" in n}
        assert stems and stems <= wanted  # only this KAM's accounts
        assert (dest / folder / "digest.html").is_file() and (dest / f"{folder}.zip").is_file()
        text = msg.get_body(("plain",)).get_content()
        assert f"Hello {owner}," in text and "attached" in text
        if HOSTILE in set(names[ids]):
            assert "&lt;b&gt;Acme &amp; Co&lt;/b&gt;&lt;script&gt;" in html
    record = json.loads((dest / "delivery.json").read_text(encoding="utf-8"))
    assert [k["sent"] for k in record["kams"]] == [True, True]
    assert record["owners_without_accounts"] == ["Nobody Atall"]


def test_a_refused_kam_is_retried_reported_and_others_still_get_theirs(reports, smtp, tmp_path, capsys):
    store, port = smtp
    store.refuse.add("kam1@example.com")
    _, _, by_owner, _ = reports
    owners = sorted(by_owner)
    code = _run(
        reports, tmp_path / "d", "--smtp", f"127.0.0.1:{port}", "--from", SENDER, "--retry-wait", "0.01", "--tries", "3"
    )
    captured = capsys.readouterr()
    assert code == 1
    assert store.rcpt_tries["kam1@example.com"] == 3  # tried three times
    assert [m[1] for m in store.messages] == [["kam0@example.com"]]  # the other KAM got theirs
    assert "try 1 of 3 failed: kam1@example.com refused: 451" in captured.err
    assert "try 3 of 3 failed" in captured.err
    assert "error: 1 KAM(s) did not get their e-mail:" in captured.err
    assert f"{owners[1]} <kam1@example.com>: kam1@example.com refused: 451" in captured.err
    assert "1 of 2 e-mail(s) sent" in captured.out
    record = json.loads((tmp_path / "d" / "delivery.json").read_text(encoding="utf-8"))
    assert [(k["email"], k["sent"], k["attempts"]) for k in record["kams"]] == [
        ("kam0@example.com", True, 1),
        ("kam1@example.com", False, 3),
    ]


def test_server_down_every_kam_reported_non_zero(reports, tmp_path, capsys):
    port = _free_port()  # nothing listens there
    code = _run(reports, tmp_path / "d", "--smtp", f"127.0.0.1:{port}", "--from", SENDER, "--retry-wait", "0")
    err = capsys.readouterr().err
    assert code == 1
    assert "error: 2 KAM(s) did not get their e-mail:" in err
    assert err.count("connection refused") >= 2 and "(after 3 tries)" in err
    # the second KAM is tried once: the server did not answer any try for the first
    assert "(the server was unreachable for the KAM before: tried once)" in err and "(after 1 try)" in err
    assert (tmp_path / "d" / "delivery.json").is_file()  # the packs are there to hand over another way


def test_dry_run_lists_and_sends_nothing(reports, smtp, tmp_path, capsys):
    store, port = smtp
    dest = tmp_path / "d"
    code = _run(reports, dest, "--smtp", f"127.0.0.1:{port}", "--from", SENDER, "--dry-run")
    out = capsys.readouterr().out
    assert code == 0
    assert "would write 2 pack(s)" in out and "nothing is written or sent" in out
    assert "<kam0@example.com>" in out and "<kam1@example.com>" in out and "would e-mail via 127.0.0.1" in out
    assert store.messages == [] and store.rcpt_tries == {}
    assert not dest.exists()


def test_a_large_pack_is_linked_not_attached(reports, smtp, tmp_path, capsys):
    store, port = smtp
    base = "https://share.example.com/packs"
    args = ["--smtp", f"127.0.0.1:{port}", "--from", SENDER, "--max-attach-mb", "0.0001", "--link-base", base]
    assert _run(reports, tmp_path / "d", *args) == 0
    assert len(store.messages) == 2
    for _, _, msg in store.messages:
        assert list(msg.iter_attachments()) == []
        text = msg.get_body(("plain",)).get_content()
        assert "is larger than the attachment limit" in text and f"it is at {base}/" in text
        assert f'href="{base}/' in msg.get_body(("html",)).get_content()


def test_folders_only_without_smtp_and_rerun_replaces_its_own(reports, tmp_path, capsys):
    out, _, by_owner, _ = reports
    dest = tmp_path / "d"
    assert _run(reports, dest) == 0
    assert _run(reports, dest) == 0  # an earlier delivery folder is replaced
    packs = sorted(p.name for p in dest.iterdir() if p.suffix == ".zip")
    assert len(packs) == 2
    err = capsys.readouterr().err
    owner = sorted(by_owner)[0]
    missing = by_owner[owner][-1]
    assert f"note: {owner}: no report file for 1 account(s) ({missing}); run `kamtools reports` for them" in err
    from kamtools.reports.state import report_stem

    digest = (dest / report_stem(owner) / "digest.html").read_text(encoding="utf-8")
    assert 'href="accounts/' in digest and "no report rendered" in digest
    no_since = "The reports were rendered without --since, so this digest has no changes since the last review."
    assert no_since in digest and f"note: {no_since}" in err
    assert not (dest / report_stem(owner) / "accounts" / f"{report_stem(missing)}.html").exists()
    files = {p.name for p in (dest / report_stem(owner) / "accounts").iterdir()}
    assert {f"{report_stem(a)}.html" for a in by_owner[owner] if a != missing} <= files
    assert f"{report_stem(by_owner[owner][0])}-internal.pptx" in files  # the deck travels with the reports
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep", encoding="utf-8")
    assert _run(reports, other) == 1
    assert "already holds files that kamtools did not write" in capsys.readouterr().err
    assert (other / "notes.txt").read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,mail\nX,x@example.com\n", "no column 'owner' or 'email'"),
        ("owner,email\nA,a@example.com\n,b@example.com\n", "column 'owner': empty on line 3"),
        (
            'owner,email\nA,"a@example.com\nBcc: all@example.com"\n',
            "column 'email': not one plain e-mail address on line 2",
        ),
        ("owner,email\nA,a@example.com\nA,b@example.com\n", "'A' has two different addresses (lines 2, 3)"),
    ],
)
def test_bad_owners_file_is_named(reports, tmp_path, capsys, text, expected):
    out = reports[0]
    owners = tmp_path / "owners.csv"
    owners.write_text(text, encoding="utf-8")
    assert main(["deliver", str(out), "--owners", str(owners), "--to", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert str(owners) in err and expected in err and "Traceback" not in err


def test_bad_folder_bundle_and_options(reports, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KAMTOOLS_SMTP_PASSWORD", raising=False)
    out, bundle, _, owners = reports
    assert main(["deliver", str(tmp_path), "--owners", str(owners)]) == 2
    assert "is not a kamtools reports folder" in capsys.readouterr().err
    from kamtools.outputs import claim_output_dir

    bare = claim_output_dir(tmp_path / "r", "reports")
    assert main(["deliver", str(bare), "--owners", str(owners)]) == 2
    assert "give it with --bundle BUNDLE_DIR" in capsys.readouterr().err
    assert main(["deliver", str(bare), "--owners", str(owners), "--bundle", str(bundle.path), "--dry-run"]) == 0
    capsys.readouterr()
    assert main(["deliver", str(out), "--owners", str(owners), "--smtp", "127.0.0.1:25"]) == 2
    assert "--from '': give the sender's e-mail address" in capsys.readouterr().err
    assert main(["deliver", str(out), "--owners", str(owners), "--smtp", "nohost:x", "--from", SENDER]) == 2
    assert "give HOST:PORT" in capsys.readouterr().err
    args = ["deliver", str(out), "--owners", str(owners), "--smtp", "127.0.0.1:25", "--from", SENDER]
    assert main([*args, "--smtp-user", "me"]) == 2
    assert "KAMTOOLS_SMTP_PASSWORD" in capsys.readouterr().err


def test_cli_default_attachment_limit_matches_the_library():
    from kamtools.cli import deliver as cli
    from kamtools.review import deliver as lib

    assert cli.DEFAULT_MAX_ATTACH_MB == lib.DEFAULT_MAX_ATTACH_MB


def test_reports_from_other_data_are_said(reports, tmp_path, capsys):
    out, bundle, _, owners = reports
    import json as _json

    from kamtools.outputs import claim_output_dir

    other = claim_output_dir(tmp_path / "r", "reports")
    (other / ".kamtools-state").mkdir()
    (other / ".kamtools-state" / "x.json").write_text(
        _json.dumps({"freshness": {"bundle_fingerprint": "not-this-one"}}), encoding="utf-8"
    )
    args = ["deliver", str(other), "--owners", str(owners), "--bundle", str(bundle.path), "--dry-run"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"the reports in {other} were rendered from other data than the bundle {bundle.path}" in err
    assert main(["deliver", str(other), "--owners", str(owners), "--dry-run"]) == 2  # no bundle inside
    assert "give it with --bundle BUNDLE_DIR" in capsys.readouterr().err


def test_a_permanent_refusal_is_not_retried(reports, smtp, tmp_path, capsys):
    store, port = smtp
    store.unknown.add("kam0@example.com")
    code = _run(reports, tmp_path / "d", "--smtp", f"127.0.0.1:{port}", "--from", SENDER, "--retry-wait", "0")
    err = capsys.readouterr().err
    assert code == 1
    assert store.rcpt_tries["kam0@example.com"] == 1
    assert "kam0@example.com refused: 550 5.1.1 no such mailbox (after 1 try)" in err
    assert [m[1] for m in store.messages] == [["kam1@example.com"]]


# ---- the changes since the last review, per KAM ------------------------------------------------------------


@pytest.fixture(scope="module")
def since_reports(reports, tmp_path_factory):
    """A reports folder as `kamtools reports BUNDLE --since PREVIOUS` leaves it (the change digest and
    its record; report files are not needed here), the same data analysed two months earlier as the
    previous bundle; returns (OUT, bundle, changes, owners.csv of two KAMs who both have changes)."""
    import shutil

    import pandas as pd

    from kamtools.bundle import Bundle, analyze
    from kamtools.datasets import make_portfolio
    from kamtools.outputs import claim_output_dir
    from kamtools.review.since_pages import prepare_since, write_digest

    root = tmp_path_factory.mktemp("deliver-since")
    out = claim_output_dir(root / "reports", "reports")
    shutil.copytree(reports[1].path, out / "bundle")
    bundle = Bundle.open(out / "bundle")
    portfolio, _ = make_portfolio(n_accounts=30, years=3, seed=11)
    previous_as_of = str((bundle.as_of - pd.DateOffset(months=2)).date())
    prev = analyze(
        portfolio, root / "previous", stages=["segment", "kpis", "plan"], as_of=previous_as_of, progress=False
    )
    changes, _, _ = prepare_since(bundle, prev.path)
    write_digest(changes, bundle, out)
    by_owner = changes.digest.groupby("owner")["account_id"].nunique().sort_values(ascending=False)
    kams = sorted(by_owner.index[:2])  # the two KAMs with the most accounts that changed
    assert len(kams) == 2 and (by_owner[kams] >= 2).all()
    owners_csv = root / "owners.csv"
    owners_csv.write_text(f"owner,email\n{kams[0]},kam0@example.com\n{kams[1]},kam1@example.com\n", encoding="utf-8")
    return out, bundle, changes, owners_csv


def _since_section(page: str) -> str:
    """The text of a digest from its "Since the last review" heading on, tags removed, unescaped."""
    import html as _html
    import re

    part = page[page.index("<h2>Since the last review</h2>") :]
    return _html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def test_each_kam_digest_shows_the_changes_of_their_own_accounts_only(since_reports, smtp, tmp_path, capsys):
    from kamtools.reports.state import report_stem

    store, port = smtp
    out, bundle, changes, owners_csv = since_reports
    kams = [line.split(",")[0] for line in owners_csv.read_text(encoding="utf-8").splitlines()[1:]]
    dest = tmp_path / "d"
    args = ["deliver", str(out), "--owners", str(owners_csv), "--to", str(dest)]
    assert main([*args, "--smtp", f"127.0.0.1:{port}", "--from", SENDER]) == 0
    err = capsys.readouterr().err
    previous = str(changes.previous_as_of.date())
    assert f"each digest lists the changes on the KAM's own accounts since the review of {previous}" in err
    owner_of = bundle.accounts.set_index("account_id")["owner"]
    mails = {m[1][0]: m[2] for m in store.messages}
    for k, kam in enumerate(kams):
        mine = changes.digest[changes.digest["account_id"].map(owner_of) == kam]
        theirs = changes.digest[changes.digest["account_id"].map(owner_of) != kam]
        assert len(mine) and len(theirs)
        page = (dest / report_stem(kam) / "digest.html").read_text(encoding="utf-8")
        mail = mails[f"kam{k}@example.com"]
        for html in (page, mail.get_body(("html",)).get_content()):
            text = _since_section(html)
            assert f"{previous} → {bundle.as_of.date()}" in text
            for d in mine.itertuples():  # every change of this KAM's accounts, with the account's name and id
                assert f"({d.account_id})" in text and d.sentence.split(": ", 1)[-1] in text
            for d in theirs.itertuples():  # none of another KAM's accounts
                assert f"({d.account_id})" not in html and str(d.name) not in text
            acts = changes.actions[changes.actions["account_id"].map(owner_of) == kam]
            assert f"of the {len(acts)} action(s) planned then" in text
            for x in acts.itertuples():
                assert x.action_id in text
            for x in changes.actions[changes.actions["account_id"].map(owner_of) != kam].itertuples():
                assert x.action_id not in html
        plain = mail.get_body(("plain",)).get_content()
        assert (
            f"Since the review of {previous}: {len(mine)} notable change(s) on {mine['account_id'].nunique()}" in plain
        )
    # the change digest of the whole portfolio never travels in a pack
    assert not list(dest.rglob("since.html"))


def test_a_folder_rendered_again_without_since_says_so(since_reports, tmp_path, capsys):
    import os
    import shutil

    from kamtools.reports.state import report_stem

    out, bundle, changes, owners_csv = since_reports
    copy = tmp_path / "r"
    shutil.copytree(out, copy)
    record = copy / ".kamtools-state" / "since.json"
    sidecar = copy / ".kamtools-state" / "x.json"  # a report rendered after the --since run, without --since
    sidecar.write_text(json.dumps({"freshness": {"bundle_fingerprint": bundle.fingerprint}}), encoding="utf-8")
    os.utime(sidecar, (record.stat().st_mtime + 5, record.stat().st_mtime + 5))
    kam = owners_csv.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    assert main(["deliver", str(copy), "--owners", str(owners_csv), "--to", str(tmp_path / "d")]) == 0
    sentence = (
        f"The reports were rendered again without the --since of the change digest of "
        f"{changes.previous_as_of.date()}, so this digest has no changes since the last review."
    )
    assert f"note: {sentence}" in capsys.readouterr().err
    text = _since_section((tmp_path / "d" / report_stem(kam) / "digest.html").read_text(encoding="utf-8"))
    assert sentence in text and "Actions of the last review" not in text


@pytest.mark.slow
def test_deliver_finds_the_bundle_reports_recorded_and_dry_run_lists_the_files(reports, tmp_path, capsys):
    """`kamtools reports B --out r` records B; `kamtools deliver r --owners owners.csv --dry-run` then needs no
    --bundle, lists every KAM's file names, and says clearly when B is gone or holds other data."""
    import shutil

    from kamtools.reports.state import report_stem

    _, bundle, by_owner, owners_csv = reports
    b = tmp_path / "b"
    shutil.copytree(bundle.path, b)
    one = by_owner[sorted(by_owner)[0]][0]
    r = tmp_path / "r"
    code = main(["reports", str(b), "--out", str(r), "--format", "pptx", "--accounts", one, "--no-overview", "--quiet"])
    assert code == 0
    record = json.loads((r / ".kamtools-state" / "source-bundle.json").read_text(encoding="utf-8"))
    assert record["bundle"] == str(b.resolve()) and record["fingerprint"] == bundle.fingerprint
    capsys.readouterr()
    assert main(["deliver", str(r), "--owners", str(owners_csv), "--dry-run"]) == 0
    out = capsys.readouterr().out
    kam = report_stem(sorted(by_owner)[0])
    decks = sorted((r / "accounts").glob("*.pptx"))
    assert decks
    assert f"    {kam}/digest.html" in out
    for deck in decks:
        assert f"    {kam}/accounts/{deck.name}" in out
    assert not (r / "delivery").exists()

    shutil.rmtree(b)  # the recorded bundle is gone: the clear message, exit 2
    assert main(["deliver", str(r), "--owners", str(owners_csv), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"`kamtools reports` rendered them from {b.resolve()}, which is no longer a readable bundle" in err
    assert "give it with --bundle BUNDLE_DIR" in err and "Traceback" not in err


def test_digest_tier_reads_like_the_report(reports, tmp_path):
    from kamtools.review.deliver import plan_delivery

    out, bundle, _, owners_csv = reports
    plan = plan_delivery(out, owners_csv)
    page = plan.packs[0].digest_html
    tiers = {str(int(float(t))) for t in bundle.accounts["tier"].dropna()}
    assert any(f"<td>Tier {t}</td>" in page for t in tiers)
    assert "<td>1.0</td>" not in page and "<td>2.0</td>" not in page and "<td>3.0</td>" not in page


def test_an_action_done_in_the_crm_whose_condition_holds_is_not_shown_as_reopened(since_reports, tmp_path):
    """The digest's follow-up says "done in the CRM, but the condition still holds", and its most valuable
    actions show that action under its new task's id with a note, never the closed task's id as open."""
    import shutil

    from kamtools.reports.state import report_stem
    from kamtools.review.actions import actions_frame, occurrence_id
    from kamtools.review.since_pages import prepare_since, write_digest

    out, bundle, changes, _ = since_reports
    now = actions_frame(bundle)
    owner_of = bundle.accounts.set_index("account_id")["owner"]
    top = now.assign(owner=now["account_id"].map(owner_of))
    top = top.sort_values("value_at_stake", ascending=False, kind="stable").groupby("owner").head(10)
    held = changes.actions[changes.actions["condition_holds"].astype(bool)]
    pick = held[held["action_id"].isin(top["action_id"])].iloc[0]
    copy = tmp_path / "r"
    shutil.copytree(out, copy)
    tasks = tmp_path / "tasks.csv"
    pd_rows = f"action_id,status\n{pick['action_id']},Completed\n"
    tasks.write_text(pd_rows, encoding="utf-8")
    again, _, _ = prepare_since(bundle, changes.previous_path, tasks)
    write_digest(again, bundle, copy)
    kam = owner_of[pick["account_id"]]
    owners = tmp_path / "owners.csv"
    owners.write_text(f"owner,email\n{kam},kam@example.com\n", encoding="utf-8")
    assert main(["deliver", str(copy), "--owners", str(owners), "--to", str(tmp_path / "d")]) == 0
    page = (tmp_path / "d" / report_stem(kam) / "digest.html").read_text(encoding="utf-8")
    text = _since_section(page)
    assert "but the condition still holds:" in text and pick["action_id"] in text
    valuable = page[page.index("<h2>Most valuable actions</h2>") : page.index("<h2>Since the last review</h2>")]
    new_id = occurrence_id(pick["account_id"], pick["rule_id"], 2)
    assert new_id in valuable and pick["action_id"] not in valuable.replace(
        f"Task {pick['action_id']} was marked done", ""
    )
    assert f"Task {pick['action_id']} was marked done in the CRM, but the condition still holds" in valuable

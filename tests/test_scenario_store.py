"""Saved scenarios: distinct, short, safe file names; nothing replaced without asking.

:class:`kamtools.scenario.ScenarioStore` (one JSON file per scenario, found again by the
name stored inside), :meth:`Scenario.save` / :func:`kamtools.scenario.save` on explicit
files, and the planner's Save button (asks before replacing, never raises in the page).
"""

from __future__ import annotations

import json
import os

import pytest
from test_scenario import build_bundle

from kamtools import scenario as sc
from kamtools.scenario import Scenario, ScenarioError, ScenarioExists, ScenarioStore

LONG = ("Joint business plan 2027 with a very long name; " * 7)[:300]  # 300 characters


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------------------
# file names
# ---------------------------------------------------------------------------------------
def test_names_that_slug_alike_get_distinct_files():
    plus, minus = sc.file_name("Price +5%"), sc.file_name("Price -5%")
    assert plus != minus
    assert plus.startswith("price-5-") and minus.startswith("price-5-")
    assert plus.endswith(".json") and minus.endswith(".json")
    assert sc.file_name("Price up") != sc.file_name("price up")  # the exact name counts
    assert sc.file_name("Price +5%") == plus  # stable


@pytest.mark.parametrize(
    "name",
    [
        LONG,
        "../../etc/passwd",
        "..",
        'a/b\\c:d*e?f"g<h>i|j',
        "CON",
        "NUL.txt",
        "Größe ↑ 5 %",
        "价格上涨",
        "🙂",
        "tab\tand\nnewline\x00nul",
        " leading and trailing ",
    ],
)
def test_any_name_gives_a_short_portable_file_inside_the_folder(tmp_path, name):
    folder = tmp_path / "scenarios"
    fname = sc.file_name(name)
    assert len(fname) <= 60 + 1 + sc.HASH_CHARS + 5
    assert all(ch.isascii() and (ch.isalnum() or ch in "-.") for ch in fname)
    assert not fname.startswith(".") and fname.count(".") == 1
    store = ScenarioStore(folder)
    s = Scenario(name=name, scope="account:A0001", price_change=2.0)
    path = store.save(s)
    assert path.parent == folder and path.name == fname
    assert files(tmp_path) == ["scenarios"] and files(folder) == [fname]  # nothing written elsewhere
    assert json.loads(path.read_text(encoding="utf-8"))["name"] == name  # the exact name is inside
    saved, problems = store.load_all()
    assert saved == {name: s} and problems == []
    assert store.load(name) == s


def test_300_character_name_saves_and_reads_back(tmp_path):
    assert len(LONG) == 300
    s = Scenario(name=LONG, scope="portfolio", volume_change=4.0)
    path = s.save(tmp_path)  # a folder: the store's rules
    assert len(path.name) < 80
    assert Scenario.load(path).name == LONG


# ---------------------------------------------------------------------------------------
# never replace silently
# ---------------------------------------------------------------------------------------
def test_price_plus_and_minus_are_both_kept(tmp_path):
    store = ScenarioStore(tmp_path)
    store.save(Scenario("Price +5%", scope="account:A0001", price_change=5.0))
    store.save(Scenario("Price -5%", scope="account:A0001", price_change=-5.0))
    saved, _ = store.load_all()
    assert {n: s.price_change for n, s in saved.items()} == {"Price +5%": 5.0, "Price -5%": -5.0}
    assert len(files(tmp_path)) == 2


def test_saving_an_existing_name_asks_and_overwrite_replaces(tmp_path):
    store = ScenarioStore(tmp_path)
    first = store.save(Scenario("Q3 plan", price_change=1.0))
    before = first.read_text()
    with pytest.raises(ScenarioExists, match=r"'Q3 plan' is already saved .*overwrite=True"):
        store.save(Scenario("Q3 plan", price_change=9.0))
    assert first.read_text() == before
    again = store.save(Scenario("Q3 plan", price_change=9.0), overwrite=True)
    assert again == first and store.load("Q3 plan").price_change == 9.0
    assert files(tmp_path) == [first.name]  # no temporary file left behind


def test_a_file_that_is_not_a_scenario_is_never_replaced(tmp_path):
    store = ScenarioStore(tmp_path)
    target = store.path_for("Budget")
    target.write_text('{"my": "own notes"}')
    for overwrite in (False, True):
        with pytest.raises(ScenarioError, match="is not a kamtools scenario file; it was left as it is"):
            store.save(Scenario("Budget"), overwrite=overwrite)
        assert target.read_text() == '{"my": "own notes"}'
    target.unlink()
    target.mkdir()
    with pytest.raises(ScenarioError, match="not a kamtools scenario"):
        store.save(Scenario("Budget"), overwrite=True)
    assert target.is_dir()


def test_a_symlink_at_the_scenario_path_is_not_followed(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(Scenario("Budget").to_json())
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / sc.file_name("Budget")).symlink_to(outside)
    with pytest.raises(ScenarioError, match="not a kamtools scenario"):
        ScenarioStore(folder).save(Scenario("Budget", price_change=3.0), overwrite=True)
    assert Scenario.load(outside).price_change == 0.0


def test_another_scenario_in_the_file_is_not_replaced(tmp_path):
    store = ScenarioStore(tmp_path)
    path = store.path_for("Mine")
    path.write_text(Scenario("Theirs", price_change=1.0).to_json())  # e.g. a file copied over by hand
    with pytest.raises(ScenarioError, match="holds another scenario \\('Theirs'\\)"):
        store.save(Scenario("Mine"), overwrite=True)
    assert Scenario.load(path).name == "Theirs"


def test_explicit_file_paths_follow_the_same_rules(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("call Anna on Monday")
    with pytest.raises(ScenarioError, match="not a kamtools scenario file"):
        Scenario("A").save(notes, overwrite=True)
    with pytest.raises(ScenarioError, match="not a kamtools scenario file"):
        sc.save([Scenario("A")], notes, overwrite=True)
    assert notes.read_text() == "call Anna on Monday"
    path = Scenario("A", price_change=1.0).save(tmp_path / "a.json")
    with pytest.raises(ScenarioExists):
        Scenario("B").save(path)
    Scenario("B").save(path, overwrite=True)
    assert Scenario.load(path).name == "B"


def test_empty_name_and_unwritable_folder_are_clear_errors(tmp_path):
    with pytest.raises(ScenarioError, match="give the scenario a name"):
        ScenarioStore(tmp_path).save(Scenario("   "))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ScenarioError, match="is a file, not a folder"):
        ScenarioStore(blocker).save(Scenario("A"))
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(ScenarioError, match="could not save to"):
                ScenarioStore(ro).save(Scenario("A"))
        finally:
            ro.chmod(0o700)


# ---------------------------------------------------------------------------------------
# reading back by the stored name
# ---------------------------------------------------------------------------------------
def test_files_are_found_by_the_name_inside(tmp_path):
    store = ScenarioStore(tmp_path)
    store.save(Scenario("Renamed file", volume_change=3.0)).rename(tmp_path / "whatever.json")
    (tmp_path / "price-up.json").write_text(Scenario("Price up", price_change=2.0).to_json())  # older naming
    sc.save([Scenario("In a list A"), Scenario("In a list B")], tmp_path / "several.json")
    saved, problems = store.load_all()
    assert sorted(saved) == ["In a list A", "In a list B", "Price up", "Renamed file"]
    assert problems == []
    assert store.load("Renamed file").volume_change == 3.0


def test_replacing_a_scenario_saved_under_an_older_file_name(tmp_path):
    store = ScenarioStore(tmp_path)
    (tmp_path / "price-up.json").write_text(Scenario("Price up", price_change=2.0).to_json())
    with pytest.raises(ScenarioExists, match="price-up.json"):
        store.save(Scenario("Price up", price_change=4.0))
    path = store.save(Scenario("Price up", price_change=4.0), overwrite=True)
    assert files(tmp_path) == [path.name]  # the confirmed replacement lives in its own file
    assert store.load("Price up").price_change == 4.0


def test_unreadable_files_are_named_and_skipped(tmp_path):
    store = ScenarioStore(tmp_path)
    store.save(Scenario("Good"))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "latin1.json").write_bytes('{"name": "Größe"}'.encode("latin-1"))
    (tmp_path / "other.json").write_text(json.dumps({"format": "someone-else/2", "name": "x"}))
    (tmp_path / "dup.json").write_text(Scenario("Good", price_change=7.0).to_json())
    saved, problems = store.load_all()
    assert list(saved) == ["Good"] and saved["Good"].price_change == 0.0  # its own file wins
    text = "\n".join(problems)
    assert "skipped broken.json" in text and "not valid JSON" in text
    assert "skipped latin1.json" in text and "not UTF-8" in text
    assert "skipped other.json" in text and "unknown scenario format 'someone-else/2'" in text
    assert f"'Good' is saved in both dup.json and {sc.file_name('Good')}; using {sc.file_name('Good')}" in text


# ---------------------------------------------------------------------------------------
# the planner's Save button
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from kamtools.datasets import make_portfolio

    portfolio, _ = make_portfolio(n_accounts=10, years=3, seed=4)
    return build_bundle(portfolio, tmp_path_factory.mktemp("store") / "bundle")


@pytest.fixture
def planner_in(bundle):
    from kamtools.widgets import ScenarioPlanner

    def make(folder):
        return ScenarioPlanner(bundle, debounce=0, scenarios_dir=folder, chart=False)

    return make


def test_planner_keeps_price_plus_and_minus_apart(planner_in, tmp_path):
    p = planner_in(tmp_path)
    p.name.value = "Price +5%"
    p.levers["price_change"].value = 5.0
    p.save_button.click()
    p.name.value = "Price -5%"
    p.levers["price_change"].value = -5.0
    p.save_button.click()
    assert "saved “Price -5%”" in p.status.value
    assert len(files(tmp_path)) == 2
    q = planner_in(tmp_path)  # a new session reads both back by their names
    assert {n: s.price_change for n, s in q.saved.items()} == {"Price +5%": 5.0, "Price -5%": -5.0}
    assert list(q.saved_picker.options) == ["Price +5%", "Price -5%"]


def test_save_button_asks_before_replacing_and_replaces_on_second_click(planner_in, tmp_path):
    p = planner_in(tmp_path)
    p.name.value = "Plan A"
    p.levers["volume_change"].value = 2.0
    p.save_button.click()
    path = tmp_path / sc.file_name("Plan A")
    p.levers["volume_change"].value = 6.0
    p.save_button.click()  # asks
    assert "“Plan A” is already saved: click Save again to replace it" in p.status.value
    assert Scenario.load(path).volume_change == 2.0
    p.name.value = "Plan B"  # changing the name cancels the question
    p.name.value = "Plan A"
    p.save_button.click()
    assert "already saved" in p.status.value and Scenario.load(path).volume_change == 2.0
    p.save_button.click()  # confirmed
    assert "replaced “Plan A”" in p.status.value
    assert Scenario.load(path).volume_change == 6.0 and p.saved["Plan A"].volume_change == 6.0


def test_save_scenario_api_needs_overwrite(planner_in, tmp_path):
    p = planner_in(tmp_path)
    p.save_scenario("Plan A")
    with pytest.raises(ScenarioExists):
        p.save_scenario("Plan A")
    p.levers["churn_reduction"].value = 20.0
    assert p.save_scenario("Plan A", overwrite=True).churn_reduction == 20.0
    # a scenario saved meanwhile by another session (another browser tab) is not replaced either
    ScenarioStore(tmp_path).save(Scenario("From the other tab", price_change=1.0))
    with pytest.raises(ScenarioExists):
        p.save_scenario("From the other tab")
    assert ScenarioStore(tmp_path).load("From the other tab").price_change == 1.0


def test_save_button_never_raises_and_leaves_foreign_files_alone(planner_in, tmp_path):
    p = planner_in(tmp_path)
    target = tmp_path / sc.file_name("Budget")
    target.write_text("not json at all")
    p.name.value = "Budget"
    p.save_button.click()
    p.save_button.click()
    assert "not saved:" in p.status.value and "not a kamtools scenario file" in p.status.value
    assert target.read_text() == "not json at all"
    p.name.value = "   "
    p.save_button.click()
    assert "give the scenario a name" in p.status.value
    p.name.value = LONG
    p.save_button.click()
    assert "saved “" in p.status.value and LONG in p.saved


def test_planner_names_files_it_skipped(planner_in, tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "<b>x<i>.json").write_text('{"format": "<script>"}')
    p = planner_in(tmp_path)
    assert any("skipped broken.json" in m for m in p.load_problems)
    assert "skipped broken.json" in p.compare_table.value
    shown = p.compare_table.value
    assert "<b>x" not in shown and "<script>" not in shown and "skipped &lt;b&gt;x&lt;i&gt;.json" in shown

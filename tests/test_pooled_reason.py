"""The reason an account gives when its class had too few accounts and all accounts were compared instead."""

from kamtools.forecast.selection import ClassChoice, _class_reason


def _pooled(factor: float) -> ClassChoice:
    return ClassChoice(
        method="btyd",
        factor={"btyd": factor, "model": 1.0},
        mae={"btyd": 1200.0, "model": 1500.0},
        n_rows=40,
        pooled=True,
        bought_back=0.5,
    )


def test_pooled_reason_reads_as_one_sentence_with_its_figures_in_one_bracket():
    text = _class_reason("btyd", 3, _pooled(1.0), 1.0)
    assert text.startswith(
        "Based on how often and how much it has bought, with the chance that it has stopped (the buying-rhythm "
        "model). In a test on past data among all accounts, this forecast missed their totals by 1.2k on average"
    )
    assert ") (" not in text
    assert text.endswith(
        "All accounts were compared because too few accounts like this one had been seen for a test of their own."
    )


def test_pooled_reason_keeps_its_scaling_before_the_note_on_pooling():
    text = _class_reason("btyd", 3, _pooled(0.6), 0.6)
    assert "; such accounts bought 60% of what it forecast. All accounts were compared" in text
    assert text.count("(") == text.count(")") == 2  # the forecast's basis named, and its figures in one bracket

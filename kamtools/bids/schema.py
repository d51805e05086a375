"""The columns of the bid desk's bundle tables, with their kinds (for the stage declaration).

Each spec is ``"column:kind ..."`` in the form of :func:`kamtools.stages.contract.table`;
:func:`typed` casts a result table to it so the kinds hold on every input (a missing
optional column comes out as an empty column of the declared kind).
"""

from __future__ import annotations

import pandas as pd

PORTFOLIO_TABLES = ("accounts", "products", "orders", "opportunities", "competitor_prices")

TABLE_SPECS: dict[str, str] = {
    "bid_recommendations": (
        "opportunity_id:str account_id:str category:str competitor:str amount:float our_price:float "
        "competitor_price:float price_basis:str recommended_price:float price_low:float price_high:float "
        "floor_price:float p_win_current:float p_win_recommended:float expected_margin_current:float "
        "expected_margin_recommended:float expected_margin_gain:float expected_margin_gain_low:float "
        "expected_margin_gain_high:float reason:str competitor_price_used:float price_index_used:float "
        "ceiling_price:float cost_ratio:float cost_price:float close_date:datetime stage:str"
    ),
    "bid_curves": "opportunity_id:str account_id:str price:float p_win:float p_win_low:float p_win_high:float "
    "expected_margin:float",
    "bid_pipeline": "n_open_bids:int amount:float expected_margin_current:float expected_margin_recommended:float "
    "expected_margin_gain:float expected_margin_gain_low:float expected_margin_gain_high:float "
    "min_margin_pct:float max_discount_pct:float max_increase_pct:float near_best_pct:float",
    "bid_postmortem": (
        "opportunity_id:str account_id:str created_date:datetime close_date:datetime category:str competitor:str "
        "status:str amount:float our_price:float competitor_price:float price_gap_pct:float loss_reason:str "
        "loss_type:str p_win_at_time:float recommended_price_at_time:float p_history_at_time:float "
        "p_competitor_at_time:float n_bids_before:int at_time_note:str"
    ),
    "bid_loss_summary": "competitor:str category:str n:int won:int lost:int lost_on_price:int lost_other:int "
    "win_rate:float mean_price_gap_pct:float where_we_lose:str",
    "bid_calibration": "method:str n:int brier:float log_loss:float auc:float calibration_in_the_large:float "
    "n_cutoffs:int scored_from:datetime scored_to:datetime",
    "bid_reliability": "method:str bin_low:float bin_high:float n:int mean_predicted:float observed_rate:float",
    "tender_calendar": "account_id:str category:str expected_month:datetime expected_value:float "
    "last_tender_date:datetime n_past_tenders:int interval_months:float basis:str confidence:str",
    "bid_account_summary": "account_id:str n_open_bids:int bid_margin_gain:float next_tender_month:datetime",
}

_CAST = {"str": "str", "float": "float64", "int": "int64", "datetime": "datetime64[ns]"}


def columns(name: str) -> list[tuple[str, str]]:
    """``[(column, kind), ...]`` of a table."""
    return [tuple(item.split(":")) for item in TABLE_SPECS[name].split()]


def typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the declared columns of ``name``, in order, each cast to its kind."""
    out = pd.DataFrame(index=frame.index)
    for col, kind in columns(name):
        values = frame[col] if col in frame.columns else pd.Series(None, index=frame.index, dtype="object")
        if kind == "datetime":
            out[col] = pd.to_datetime(values).astype(_CAST[kind])
        elif kind == "str":
            out[col] = values.astype("object").where(values.notna(), None).astype("str")
        else:
            out[col] = values.astype(_CAST[kind])
    return out

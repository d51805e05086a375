"""Every analysis stage's contract: the Portfolio tables it reads, the earlier tables and columns it
reads, the settings it receives and the tables it writes (with their columns' kinds).

Ordered as they run when nothing else decides (see :func:`kamtools.stages.ordered`).
"""

from __future__ import annotations

from kamtools.stages.contract import ALL, CHURN_DEFINITION, PLAYBOOK, Stage, table

SUMMARY_TABLE = table(
    "accounts",
    "account_id:str name:str industry:str region:str country:str channel:str owner:str customer_since:datetime "
    "potential_revenue:float parent_account_id:str revenue_ltm:float margin_ltm:float first_order_date:datetime "
    "last_order_date:datetime margin_pct_ltm:float first_credit_date:datetime",
)

STAGES: tuple[Stage, ...] = (
    Stage(
        "value",
        "kamtools.value",
        portfolio=("orders",),
        writes=(
            table(
                "value",
                "account_id:str frequency:int recency:float T:float monetary:float first_purchase:datetime "
                "last_purchase:datetime p_alive:float expected_purchases_12m:float expected_avg_value:float "
                "expected_value_12m:float margin_pct:float expected_margin_12m:float value_share:float p_alive_model:float",
            ),
            table(
                "value_model",
                "model:str parameter:str estimate:float std_error:float note:str time_unit:str chosen:bool",
            ),
        ),
    ),
    Stage(
        "segment",
        "kamtools.segment",
        portfolio=("accounts", "products", "orders", "opportunities", "contacts", "interactions"),
        reads={
            "value": ("account_id", "expected_value_12m", "p_alive"),
            "value_model": ("model", "parameter", "estimate", "note"),  # P(alive): a probability or a score
        },
        settings=(CHURN_DEFINITION,),  # a lapsed account (as the churn section calls it) is never tiered "strong"
        writes=(
            table(
                "segment_concentration",
                "measure:str rank:int value:float cum_share_accounts:float cum_share_value:float abc_class:str",
            ),
            table(
                "segment_profiles",
                "cluster:int cluster_name:str n_accounts:int share_accounts:float mean_revenue_level:float "
                "mean_revenue_trend:float mean_order_frequency:float mean_category_breadth:float "
                "mean_margin_pct:float mean_growth:float mean_account_age:float mean_expected_value:float "
                "mean_p_alive:float revenue_share:float median_revenue_ltm:float median_orders_per_month:float "
                "median_categories:float median_margin_pct:float median_growth:float silhouette:float",
            ),
            table(
                "segments",
                "account_id:str recency_days:float frequency:float monetary:float r_score:int f_score:int m_score:int "
                "rfm_score:str rfm_segment:str revenue_ltm:float margin_ltm:float abc_revenue:str abc_margin:str "
                "cluster:int cluster_name:str attractiveness:float strength:float quadrant:str tier:int "
                "tier_reason:str lapsed_months:float usual_growth:float one_off_ltm:float score_revenue_ltm:float score_growth:float score_margin_pct:float "
                "score_expected_value_12m:float score_potential_revenue:float score_share_of_wallet:float "
                "score_relationship_coverage:float? score_win_rate:float? score_tenure_years:float",
            ),
        ),
    ),
    Stage(
        "forecast",
        "kamtools.forecast",
        portfolio=("orders", "products", "targets"),
        reads={"value_model": ("model", "parameter", "estimate")},  # the BTYD family the value stage chose
        background=True,
        writes=(
            table(
                "forecast",
                "account_id:str unique_id:str ds:datetime forecast:float lo_80:float hi_80:float lo_95:float "
                "hi_95:float sd:float model:str method:str method_reason:str",
            ),
            table(
                "forecast_accuracy",
                "method:str description:str mase:float smape:float bias_pct:float coverage_80:float coverage_95:float "
                "n_series:int coverage_total_80:float zero_months:float horizon:int n_windows:int "
                "n_windows_planned:int",
            ),
            table(
                "forecast_backtest",
                "account_id:str n_windows:int mase:float smape:float bias_pct:float coverage_80:float "
                "coverage_95:float mase_naive:float smape_naive:float bias_pct_naive:float coverage_80_naive:float "
                "coverage_95_naive:float mase_ratio:float baseline:str n_windows_seasonal:int beats_naive:bool "
                "horizon:int method:str n_windows_chosen:int mase_chosen:float smape_chosen:float "
                "bias_pct_chosen:float coverage_80_chosen:float coverage_95_chosen:float coverage_total_80_chosen:float",
            ),
            table(
                "forecast_category",
                "account_id:str category:str unique_id:str ds:datetime forecast:float lo_80:float hi_80:float "
                "lo_95:float hi_95:float model:str scale:float",
            ),
            table(
                "forecast_history",
                "account_id:str ds:datetime y:float",
            ),
            table(
                "forecast_methods",
                "method:str description:str cases:int mae:float bias_pct:float factor:float mae_calibrated:float "
                "accounts_using:int",
            ),
            table(
                "forecast_portfolio",
                "ds:datetime kind:str y:float forecast:float lo_80:float hi_80:float lo_95:float hi_95:float",
            ),
            table("forecast_portfolio_range", "rho:float n_origins:int n_months:int"),
            table(
                "forecast_portfolio_target",
                "period:int revenue_target:float booked_ytd:float expected_total:float expected_attainment:float "
                "p_reach_target:float total_lo_80:float total_hi_80:float months_remaining:int n_accounts:int",
            ),
            table(
                "forecast_summary",
                "account_id:str revenue_last_12m:float forecast_next_12m:float forecast_next_12m_lo_80:float "
                "forecast_next_12m_hi_80:float forecast_model:str forecast_method:str forecast_method_reason:str "
                "forecast_growth_pct:float forecast_mase:float forecast_mase_naive:float target_period:number? "
                "revenue_target:float? target_probability:float? target_expected_attainment:float? range_low_months:float? "
                "range_low_cases:float? range_low_below:float? range_low_stopped:float?",
            ),
            table(
                "forecast_targets",
                "account_id:str period:int revenue_target:float booked_ytd:float expected_total:float "
                "expected_attainment:float p_reach_target:float total_lo_80:float total_hi_80:float "
                "months_remaining:int",
            ),
        ),
    ),
    Stage(
        "churn",
        "kamtools.churn",
        portfolio=(
            "accounts",
            "products",
            "orders",
            "opportunities",
            "complaints",
            "invoices",
            "contacts",
            "interactions",
            "competitor_prices",
        ),
        reads={
            "value": ("account_id", "p_alive", "expected_value_12m", "frequency", "recency", "T"),
            "value_model": ALL,
            "forecast_summary": ("account_id", "forecast_next_12m"),  # revenue at risk = probability x forecast
        },
        settings=(CHURN_DEFINITION,),
        writes=(
            table(
                "churn",
                "account_id:str risk_rank:int churn_probability:float risk_band:str revenue_at_risk:float "
                "expected_value_12m:float risk_base_12m:float risk_base:str p_alive:float method:str driver_1:str "
                "driver_2:str driver_3:str "
                "in_our_favour:str",
            ),
            table(
                "churn_drivers",
                "account_id:str rank:int feature:str label:str contribution:float direction:str value:float "
                "value_text:str sentence:str",
            ),
            table(
                "churn_features",
                "account_id:str days_since_last_order:float usual_order_gap_days:float recency_ratio:float "
                "tenure_days:float revenue_12m:float order_days_12m:float revenue_change_3m:float "
                "revenue_change_6m:float revenue_change_12m:float order_days_change_3m:float "
                "order_days_change_6m:float order_days_change_12m:float categories_12m:float categories_dropped:float "
                "categories_dropped_share:float margin_pct_12m:float margin_change_6m:float industry:str region:str "
                "channel:str share_of_wallet:float? complaints_12m:float? complaints_severe_12m:float? "
                "complaints_open:float? complaint_resolution_days:float? days_late_avg_12m:float? "
                "days_late_change_6m:float? overdue_share:float? decision_makers:float? "
                "decision_maker_coverage_12m:float? days_since_decision_maker_contact:float? interactions_90d:float? "
                "interactions_change_6m:float? bids_lost_12m:float? win_rate_12m:float? lost_to_competitor:str? "
                "bid_price_gap_pct:float? competitor_price_gap_pct:float? competitor_sightings_12m:float? p_alive:float? "
                "expected_value_12m:float? champion_left:float?",
            ),
            table(
                "churn_importance",
                "feature:str label:str importance:float share:float direction:int effect:str",
            ),
            table(
                "churn_model_selection",
                "model:str log_loss:float brier:float roc_auc:float n_train:int n_valid:int scheme:str chosen:bool",
            ),
            table(
                "churn_calibration",
                "model:str bin:int mean_predicted:float observed_rate:float n:int",
            ),
            table(
                "churn_evaluation",
                "metric:str label:str model:float baseline:float test_as_of:datetime train_snapshots:int "
                "chosen_model:str definition:str high_band_from:float medium_band_from:float shown:str",
            ),
        ),
    ),
    Stage(
        "competitors",
        "kamtools.competitors",
        portfolio=("accounts", "products", "orders", "opportunities", "competitor_prices"),
        writes=(
            table(
                "competitor_account_bids",
                "account_id:str competitor:str n_bids:int wins:int losses:int win_rate:float ci_low:float "
                "ci_high:float small_sample:bool avg_price_gap_won:float avg_price_gap_lost:float won_amount:float "
                "lost_amount:float open_bids:int open_amount:float last_bid_date:datetime",
            ),
            table(
                "competitor_loss_reasons",
                "competitor:str loss_reason:str n:int share:float lost_amount:float",
            ),
            table(
                "competitor_price_index",
                "competitor:str category:str period_start:datetime period:str price_index:float "
                "price_index_median:float n_obs:int price_gap:float",
            ),
            table(
                "competitor_price_response",
                "kind:str term:str value:float std_err:float ci_low:float ci_high:float p_value:float premium:float",
            ),
            table(
                "competitor_threat",
                "account_id:str threat_score:float threat_band:str main_competitor:str n_bids_recent:int "
                "n_lost_recent:int lost_amount_recent:float lost_to_main:int price_gap:float price_gap_source:str "
                "revenue_ltm:float revenue_prior_12m:float revenue_change_pct:float share_of_wallet:float "
                "share_of_wallet_prior:float threat_losses:float threat_price:float threat_wallet:float reasons:str",
            ),
            table(
                "competitor_winloss",
                "competitor:str n:int wins:int losses:int win_rate:float ci_low:float ci_high:float small_sample:bool "
                "avg_price_gap:float avg_price_gap_won:float avg_price_gap_lost:float n_priced:int won_amount:float "
                "lost_amount:float",
            ),
            table(
                "share_of_wallet",
                "account_id:str potential_revenue:float revenue_ltm:float revenue_prior_12m:float "
                "share_of_wallet:float share_of_wallet_prior:float share_of_wallet_change:float headroom:float "
                "wallet_known:bool",
            ),
        ),
    ),
    Stage(
        "bids",
        "kamtools.bids",
        portfolio=("accounts", "products", "orders", "opportunities", "competitor_prices"),
        settings=(PLAYBOOK,),
        writes=(
            table(
                "bid_account_summary",
                "account_id:str n_open_bids:int bid_margin_gain:float next_tender_month:datetime",
            ),
            table(
                "bid_calibration",
                "method:str n:int brier:float log_loss:float auc:float calibration_in_the_large:float n_cutoffs:int "
                "scored_from:datetime scored_to:datetime",
            ),
            table(
                "bid_curves",
                "opportunity_id:str account_id:str price:float p_win:float p_win_low:float p_win_high:float "
                "expected_margin:float",
            ),
            table(
                "bid_loss_summary",
                "competitor:str category:str n:int won:int lost:int lost_on_price:int lost_other:int win_rate:float "
                "mean_price_gap_pct:float where_we_lose:str",
            ),
            table(
                "bid_pipeline",
                "n_open_bids:int amount:float expected_margin_current:float expected_margin_recommended:float "
                "expected_margin_gain:float expected_margin_gain_low:float expected_margin_gain_high:float "
                "min_margin_pct:float max_discount_pct:float max_increase_pct:float near_best_pct:float",
            ),
            table(
                "bid_postmortem",
                "opportunity_id:str account_id:str created_date:datetime close_date:datetime category:str "
                "competitor:str status:str amount:float our_price:float competitor_price:float price_gap_pct:float "
                "loss_reason:str loss_type:str p_win_at_time:float recommended_price_at_time:float "
                "p_history_at_time:float p_competitor_at_time:float n_bids_before:int at_time_note:str",
            ),
            table(
                "bid_recommendations",
                "opportunity_id:str account_id:str category:str competitor:str amount:float our_price:float "
                "competitor_price:float price_basis:str recommended_price:float price_low:float price_high:float "
                "floor_price:float p_win_current:float p_win_recommended:float expected_margin_current:float "
                "expected_margin_recommended:float expected_margin_gain:float expected_margin_gain_low:float "
                "expected_margin_gain_high:float reason:str competitor_price_used:float price_index_used:float "
                "ceiling_price:float cost_ratio:float cost_price:float close_date:datetime stage:str",
            ),
            table(
                "bid_reliability",
                "method:str bin_low:float bin_high:float n:int mean_predicted:float observed_rate:float",
            ),
            table(
                "tender_calendar",
                "account_id:str category:str expected_month:datetime expected_value:float last_tender_date:datetime "
                "n_past_tenders:int interval_months:float basis:str confidence:str source:str contract_end:datetime",
            ),
        ),
    ),
    Stage(
        "whitespace",
        "kamtools.whitespace",
        portfolio=("accounts", "products", "orders"),
        reads={"segments": ("account_id", "tier")},
        writes=(
            table(
                "tradelanes",
                "account_id:str category:str status:str revenue_ltm:float revenue_prior:float margin_ltm:float "
                "margin_prior:float revenue_change:float revenue_change_pct:float margin_change:float "
                "margin_pct_ltm:float margin_pct_prior:float loss_making:bool",
            ),
            table(
                "tradelanes_summary",
                "status:str n_lanes:int n_accounts:int revenue_ltm:float revenue_prior:float revenue_change:float "
                "margin_ltm:float margin_prior:float margin_change:float n_loss_making:int margin_loss_making:float",
            ),
            table(
                "whitespace_accounts",
                "account_id:str n_categories_bought:int n_lapsed:int n_never:int whitespace_value:float "
                "n_recommendations:int top_whitespace_category:str top_whitespace_value:float lines_new:int "
                "lines_up_trading:int lines_stable:int lines_down_trading:int lines_lost:int loss_making_lines:int",
            ),
            table(
                "whitespace_affinity",
                "category_a:str category_b:str n_a:int n_b:int n_both:int confidence:float lift:float cosine:float",
            ),
            table(
                "whitespace_backtest",
                "scorer:str ranking:str n:int cutoff:datetime horizon_months:int calibration:str precision_at_n:float "
                "precision_ceiling:float hit_rate:float account_hit_rate:float recall_at_n:float auc:float "
                "n_accounts:int n_adopting_accounts:int n_adoptions:int n_candidates:int base_rate:float "
                "lift_over_popularity:float selected:bool",
            ),
            table(
                "whitespace_calibration",
                "status:str bin:int score_low:float score_high:float score_mean:float n_cells:int n_adopted:int "
                "adoption_rate:float scorer:str",
            ),
            table(
                "whitespace_grid",
                "account_id:str category:str status:str revenue_ltm:float revenue_before:float "
                "last_order_date:datetime peer_group:str score:float p_adopt:float spend_if_adopted:float "
                "expected_value:float",
            ),
            table(
                "whitespace_recommendations",
                "account_id:str rank:int category:str status:str score:float p_adopt:float spend_if_adopted:float "
                "expected_value:float peer_group:str peer_evidence_group:str peer_share:float n_peers:int "
                "peer_median_spend:float related_category:str related_share:float last_order_date:datetime scorer:str "
                "rationale:str recommended:bool",
            ),
            table(
                "whitespace_value_backtest",
                "method:str cutoff:datetime n_adoptions:int median_abs_log_error:float "
                "median_actual_to_predicted:float selected:bool",
            ),
        ),
    ),
    Stage(
        "kpis",
        "kamtools.kpis",
        portfolio=(
            "accounts",
            "products",
            "orders",
            "opportunities",
            "complaints",
            "invoices",
            "contacts",
            "interactions",
            "targets",
        ),
        reads={
            "churn": ("account_id", "churn_probability"),
            "churn_features": ALL,
            "churn_importance": ("feature", "label", "importance", "direction"),
        },
        writes=(
            table(
                "complaints_summary",
                "account_id:str complaints_open:int open_low:int open_medium:int open_high:int open_critical:int "
                "open_severe:int oldest_open_severe_days:float complaints_12m:int severe_12m:int "
                "complaints_prior_12m:number complaints_trend:number resolved_12m:int mean_days_to_resolve:float",
            ),
            table(
                "health",
                "account_id:str health_score:float health_band:str top_weakness:str health_basis:str",
            ),
            table(
                "health_components",
                "account_id:str component:str label:str value:float percentile:float weight:float max_points:float "
                "contribution:float sentence:str",
            ),
            table(
                "kpis",
                "account_id:str name:str owner:str industry:str region:str revenue_ytd:float revenue_ytd_prior:float "
                "growth_ytd_pct:float revenue_ltm:float revenue_prior_ltm:float growth_pct:float margin_ytd:float "
                "margin_ltm:float margin_pct:float orders_ltm:int avg_order_value:float revenue_gross_ltm:float "
                "returns_ltm:float returns_rate:float revenue_90d:float last_order_date:datetime "
                "days_since_last_order:float tenure_years:float target:float? target_attainment:float? "
                "year_elapsed:float? target_pace:float? target_gap:float? next_target:float? open_bids:int? "
                "open_value:float? weighted_value:float? bids_closing_90d:int? value_closing_90d:float? overdue_bids:int? "
                "bids_decided_12m:int? bids_won_12m:int? bids_lost_12m:int? win_rate:float? lost_value_12m:float? "
                "avg_cycle_days:float? top_loss_competitor:str? lost_to_top_competitor:int? loss_price_gap_pct:float? "
                "top_loss_category:str? top_loss_reason:str? open_ar:float? overdue_ar:float? ar_not_due:float? "
                "ar_0_30:float? ar_31_60:number? ar_61_90:number? ar_90_plus:float? overdue_60_plus:float? "
                "overdue_invoices:int? oldest_overdue_days:float? invoiced_90d:float? dso_days:float? "
                "invoices_due_12m:int? late_invoices_12m:int? late_share_12m:float? late_share_prior_12m:float? "
                "late_share_trend:float? avg_days_late_12m:float? complaints_open:int? open_low:int? open_medium:int? "
                "open_high:int? open_critical:int? open_severe:int? oldest_open_severe_days:float? complaints_12m:int? "
                "severe_12m:int? complaints_prior_12m:number? complaints_trend:number? resolved_12m:int? "
                "mean_days_to_resolve:float? contacts:int? decision_makers:int? influencers:int? users:int? "
                "gatekeepers:int? senior_contacts:int? interactions_90d:int? interactions_prior_90d:int? "
                "engaged_contacts_90d:int? dm_engaged_90d:int? senior_engaged_90d:int? days_since_last_contact:float? "
                "days_since_dm_contact:float? dm_contact_never:bool? days_since_senior_contact:float? "
                "engaged_contacts_180d:int? single_threaded:bool? health_score:float? health_band:str? top_weakness:str?",
            ),
            table(
                "kpis_portfolio",
                "accounts:int active_accounts:int revenue_ytd:float revenue_ytd_prior:float revenue_ltm:float "
                "revenue_prior_ltm:float margin_ltm:float orders_ltm:float revenue_gross_ltm:float returns_ltm:float "
                "returns_rate:float growth_ytd_pct:float growth_pct:float margin_pct:float median_margin_pct:float "
                "avg_order_value:float target_total:float? target_attainment:float? accounts_behind_target_pace:int? "
                "open_bids:float? open_value:float? weighted_value:float? bids_closing_90d:float? value_closing_90d:float? "
                "bids_won_12m:float? bids_decided_12m:float? win_rate:float? avg_cycle_days:float? open_ar:float? "
                "overdue_ar:float? ar_not_due:float? ar_0_30:float? ar_31_60:float? ar_61_90:float? ar_90_plus:float? "
                "overdue_60_plus:float? dso_days:float? late_share_12m:float? accounts_overdue_60_plus:int? "
                "complaints_open:float? open_severe:float? complaints_12m:float? complaints_prior_12m:float? "
                "mean_days_to_resolve:float? accounts_single_threaded:int? accounts_no_dm_contact_90d:int? "
                "contacts:float? health_red:int? health_amber:int? health_green:int? health_mean:float?",
            ),
            table(
                "pipeline",
                "account_id:str opportunity_id:str stage:str category:str competitor:str amount:float "
                "probability:float weighted_value:float created_date:datetime close_date:datetime days_open:float "
                "days_to_close:float closes_within_horizon:bool",
            ),
            table(
                "pipeline_losses",
                "account_id:str competitor:str bids_decided:int bids_lost:int lost_value:float price_gap_pct:float "
                "top_reason:str top_category:str",
            ),
            table(
                "receivables",
                "account_id:str bucket:str bucket_label:str bucket_order:int amount:float invoices:int",
            ),
            table(
                "relationships",
                "account_id:str contacts:int decision_makers:int influencers:int users:int gatekeepers:int "
                "senior_contacts:int interactions_90d:int interactions_prior_90d:int engaged_contacts_90d:int "
                "dm_engaged_90d:int senior_engaged_90d:int days_since_last_contact:float days_since_dm_contact:float "
                "dm_contact_never:bool days_since_senior_contact:float engaged_contacts_180d:int single_threaded:bool",
            ),
        ),
    ),
    Stage(
        "relationships",
        "kamtools.relationships",
        portfolio=("accounts", "orders", "contacts", "interactions"),
        group_parents=True,  # contacts at a group's head office that does not trade
        reads={"kpis": ("account_id", "revenue_ltm")},
        writes=(
            table(
                "relationship_map",
                "contact_id:str account_id:str group_id:str name:str title:str role:str seniority:str attitude:str "
                "reports_to:str left_date:datetime is_decision_maker:bool has_left:bool last_contact_date:datetime "
                "days_since_contact:float n_interactions_12m:int owner:str",
            ),
            table(
                "coverage_findings",
                "account_id:str group_id:str kind:str severity:str contact_id:str days:float evidence:str",
            ),
            table(
                "relationship_accounts",
                "account_id:str group_id:str n_contacts:int n_contacts_active:int n_decision_makers_active:int "
                "interactions_12m:int top_contact_id:str thread_share:float single_threaded:bool champion_left:bool "
                "champion_left_date:datetime champion_left_contact_id:str successor_role:str n_findings:int",
            ),
        ),
    ),
    Stage(
        "groups",
        "kamtools.groups.stage",
        portfolio=("accounts", "products", "orders", "opportunities", "complaints", "invoices", "contacts"),
        reads={
            "kpis": (
                "account_id",
                "revenue_ltm",
                "revenue_prior_ltm",
                "margin_ltm",
                "open_value",
                "open_ar",
                "overdue_ar",
                "complaints_open",
            ),
            "churn": ("account_id", "revenue_at_risk"),
            "share_of_wallet": ("account_id", "potential_revenue", "revenue_ltm", "wallet_known"),
            "forecast": ("account_id", "ds", "forecast", "hi_80", "sd"),
            "forecast_summary": (
                "account_id",
                "forecast_next_12m",
                "forecast_next_12m_lo_80",
                "forecast_next_12m_hi_80",
            ),
            "forecast_targets": (
                "account_id",
                "period",
                "revenue_target",
                "booked_ytd",
                "expected_total",
                "total_lo_80",
                "total_hi_80",
            ),
            "forecast_history": ("account_id", "ds", "y"),
        },
        group_parents=True,
        writes=(
            table(
                "group_hierarchy",
                "account_id:str parent_account_id:str group_id:str depth:int path:str n_children:int "
                "n_descendants:int is_group:bool trades:bool",
            ),
            table(
                "group_rollup",
                "account_id:str group_id:str depth:int n_units:int n_children:int revenue_12m:float "
                "revenue_prior_12m:float growth:float margin_12m:float margin_pct:float forecast_12m:float "
                "forecast_low:float forecast_high:float target:float p_reach_target:float revenue_at_risk:float "
                "pipeline_open:float receivables_open:float receivables_overdue:float complaints_open:float "
                "share_of_wallet:float n_units_no_contact:number reconciliation:str",
            ),
            table(
                "group_forecast",
                "unique_id:str ds:datetime y_hat:float y_low:float y_high:float level:int",
            ),
            table(
                "opportunity_map",
                "group_id:str account_id:str category:str buys:bool unit_revenue_12m:float n_sisters:int "
                "n_sisters_buying:int sister_share:float p_adopt:float expected_value:float reason:str",
            ),
            table(
                "cross_unit_backtest",
                "method:str as_of:datetime precision_at_5:float n_units:int n_adoptions:int precision_ceiling:float "
                "auc:float",
            ),
        ),
    ),
    Stage(
        "plan",
        "kamtools.plan",
        portfolio=(),
        reads={
            "kpis": ALL,
            "kpis_portfolio": ("median_margin_pct", "revenue_ltm", "active_accounts"),  # + the materiality floor
            "health": (),
            "churn": ("account_id", "churn_probability", "risk_band", "revenue_at_risk", "method"),  # method: a score?
            "churn_drivers": ("account_id", "rank", "direction", "sentence"),
            "churn_features": ("account_id", "usual_order_gap_days"),  # the silence a churn score stands on
            "competitor_threat": (
                "account_id",
                "threat_score",
                "threat_band",
                "main_competitor",
                "reasons",
                "share_of_wallet",
            ),
            "value": ("account_id", "expected_value_12m", "p_alive", "frequency"),
            "value_model": ("model", "parameter", "estimate", "note"),  # P(alive): a probability or a score
            "segments": ("account_id", "cluster_name", "tier", "quadrant", "one_off_ltm"),
            "forecast": ("account_id", "unique_id", "ds", "forecast"),
            "forecast_summary": ("account_id", "revenue_last_12m", "forecast_growth_pct"),  # change shown or not
            "forecast_targets": ("account_id", "period", "p_reach_target"),
            "whitespace_recommendations": (
                "account_id",
                "rank",
                "category",
                "p_adopt",
                "spend_if_adopted",
                "recommended",
            ),
            "tradelanes": ("account_id", "category", "revenue_ltm", "revenue_prior"),
            "competitor_account_bids": ("account_id", "competitor", "lost_amount", "losses", "avg_price_gap_lost"),
            "pipeline_losses": ("account_id", "competitor", "lost_value", "bids_lost", "price_gap_pct"),
            "relationship_accounts": (
                "account_id",
                "thread_share",
                "single_threaded",
                "champion_left",
                "champion_left_date",
                "successor_role",
            ),
        },
        settings=(PLAYBOOK,),
        writes=(
            table(
                "plan_actions",
                "account_id:str order:int rule_id:str type:str priority:str owner:str due_date:datetime "
                "due_in_days:int action:str value_at_stake:float value_basis:str evidence:str facts:str",
            ),
            table(
                "plan_objectives",
                "account_id:str order:int objective:str metric:str baseline:float target_value:float unit:str "
                "text:str basis:str",
            ),
            table(
                "plan_risks",
                "account_id:str order:int rule_id:str type:str severity:str risk:str value_at_stake:float "
                "value_basis:str evidence:str",
            ),
            table(
                "plan_summary",
                "account_id:str revenue_objective:float margin_pct_objective:float n_risks:int n_actions:int "
                "n_high_priority:int value_at_stake:float top_action:str top_risk:str",
            ),
            table(
                "plan_talking_points",
                "account_id:str order:int topic:str text:str",
            ),
            table(
                "plan_unavailable",
                "part:str reason:str",
            ),
        ),
    ),
    Stage(
        "scenario",
        "kamtools.scenario",
        portfolio=("accounts", "products", "orders", "invoices"),
        reads={"segments": ("account_id", "tier")},
        writes=(
            table(
                "scenario_elasticity",
                "account_id:str category:str estimate:float std_err:float ci_low:float ci_high:float n_obs:int "
                "price_variation:float usable:bool reason:str elasticity:float elasticity_source:str",
            ),
            table(
                "scenario_elasticity_pooled",
                "scope:str category:str estimate:float std_err:float ci_low:float ci_high:float n_obs:int "
                "n_accounts:int price_variation:float usable:bool reason:str",
            ),
            table(
                "scenario_price_volume",
                "account_id:str category:str ds:datetime quantity:float net_revenue:float cost:float volume:float "
                "price_index:float",
            ),
            table(
                "scenario_terms",
                "account_id:str payment_terms_days:float days_late_avg:float",
            ),
        ),
    ),
)

"""Which forecast each account gets: the method its out-of-time evidence favours.

A fitted model is not automatically better than what a careful analyst would do by hand.
For every account this module compares, on out-of-time evidence (the backtest windows of
the forecast stage), the kamtools model with the simple alternatives:

* ``model`` - the kamtools forecast (:class:`~kamtools.forecast.core.Forecaster`);
* ``recent_mean`` - the mean of the last 6 months;
* ``level_12m`` - the mean of the last 12 months;
* ``seasonal_naive`` - each month as the same month a year earlier (accounts with two years);
* ``btyd`` - the buy-till-you-die expected value: BG/NBD expected purchases in each coming
  month (which carries P(alive)) times the Gamma-Gamma expected purchase value;
* ``zero`` - nothing, for an account that has clearly stopped buying.

**Classes of similar accounts.** At each backtest origin an account falls into a class by
how often it ordered (ordering months in its last 12: 0, 1, 2-3, 4-6, 7+) and how long it
has been silent (months since the last order: 0-2, 3-5, 6-11). Per class and method the evidence gives a **calibration factor** (what the
accounts of the class really bought / what the method forecast; this is where survival
enters: a class of accounts long silent, most of which never come back, gets a small
factor) and the **MAE** of the calibrated horizon totals. Each class
uses the method with the lowest MAE, except that a method which needed a large correction
(factor outside :data:`WELL_CALIBRATED`) must beat the best method that did not by
:data:`CORRECTION_MARGIN` (a correction learnt at earlier origins may not hold today: on
the CDNOW log the buying of a young cohort slows as it ages); an account with enough evidence of its own (at least
:data:`MIN_OWN_ORIGINS` origins, :data:`MIN_OWN_MONTHS` months, orders in half of them) switches to another method when that one's
own MAE is at least :data:`OWN_MARGIN` lower. A class with too few rows
(:data:`MIN_CLASS_ROWS`) uses the evidence of the whole portfolio. An account silent for
at least :data:`LAPSED_MONTHS` months and four times its rhythm is forecast zero unless its
class (with at least :data:`MIN_CLASS_ROWS` cases) bought back :data:`LAPSED_SHARE` or more
of its former level; so is
a whole class when zero had the lower out-of-time MAE there, taking the classes that bought
back least first, as long as the zeroed classes together bought no more than
:data:`ZERO_BIAS_BUDGET` of the evidence's revenue (a bound on the bias this adds). A class's
share is counted against the revenue of the backtest origins where such accounts were seen:
counted against every origin's, a class that exists at one origin of two looked half its size
(a 2,000-account sample of the CDNOW log at 1998-01: 2.3-3.7% instead of 7.1%, so about 850
accounts that bought 12% of the next months were zeroed; pooled bias over 16 draws -14.0% ->
-4.2%, mean MAE 16.44 -> 17.81; the whole log, the top 500 and the demo unchanged).

**One backtest origin.** The whole portfolio's factor (used by the classes with too few rows) never scales up
when the evidence comes from a single origin (a history of about a year, or a portfolio of more than 2,000
accounts), unless the portfolio was chosen by revenue (below): over every account at one date, buying above a
method's forecast is mostly that period's growth of the whole portfolio, which need not repeat (as a spike is
not carried on); scaling down stays, since accounts that stopped buying (a young cohort of one-time buyers,
factor 0.08 in a test) are a property of the accounts. On the demo generator with 40 accounts and 12 months of
history (seeds 1-8, as of 2025-10-31, next 6 months) one origin's factor of 1.24-1.33 carried a half-year's
growth and one large account forward: kamtools' mean MAE 40,195 (biases +32% and +36% on two seeds) against
35,392 for the mean of the last 6 months and 35,109 for the BTYD; with the rule 36,320 (+10% at most). On
CDNOW (``select`` rerun on the inputs recorded for ``bench_forecast_variants.py``) ten 2,000 samples: lowest
MAE in 24 -> 28 of 40 draw-dates and both aims in 10 -> 14, mean MAE 27.01 -> 26.81 at 1997-06 and 21.45 ->
20.91 at 1997-12, the other dates equal; the whole log 1997-06 unchanged, 1997-09 -14.5% / 24.53 -> -15.8% /
24.51 (just outside 15%), 1997-12 +2.3% / 21.07 -> -5.4% / 20.63, 1998-01 -8.7% / 17.35 -> -9.0% / 17.33 (equal
to zero if lapsed); the demo 300 (three origins) and the top 500 (chosen by revenue) unchanged. Tried: no
whole-portfolio factor at all at one origin (40-account demo 35,505, but the young cohort above forecast 12
times what it bought, and the top 500 -4.3% -> +40.6% at 1997-06 before the exception for a chosen list).

**One backtest origin: a mix rather than a pick** (:func:`_mixed_choice`). Picking the single best method on one
date of a few dozen accounts is noisy: the accounts that take the whole portfolio's choice (classes with too few
rows, and classes the origin did not see) get the equal mix of the kamtools model, the BTYD expected value and the
mean of the last 6 months (:data:`COMBINED`, each account's mean of the members that apply), never scaled up.
The pick stands where its MAE at the origin is lower than the mix's by more than :data:`MIX_SE` standard errors of
the paired difference, where one of the three could not be checked at the origin, and where the mix itself needed
a correction outside :data:`WELL_CALIBRATED` (a pool of one-time buyers is not the accounts it would be applied
to; on the CDNOW 2,000 samples at 1997-09 that mix under-forecast the repeat buyers of the classes the origin did
not see, 24.58 -> 25.40 on one). Demo generator, 40 accounts, 12 months, as of 2025-10-31, next 6 months:
seeds 1-8 mean MAE 36,320 -> 34,695 (mean of the last 6 months 35,392, BTYD 35,109); seeds 9-16 33,900 ->
31,538 (32,515, 31,189); over seeds 1-16 the 12-month total's 80% range held 72.6% -> 80.5% of the accounts and
the 12-month MAE 70,755 -> 67,000. CDNOW (whole log and ten 2,000 samples at 4 dates), the demo 300 and the top
500 unchanged. Tried: the mix for every pooled choice (CDNOW 1997-06: the model is not checked at its one origin,
and the BTYD and 6-month mean mixed worse than the pick, whole log 27.27 -> 28.01, a sample 25.59 -> 28.76).

**A portfolio chosen by revenue.** A key-account list is often the accounts with the most revenue, and
part of what put an account there is luck that does not repeat, so the list buys less than its history
says. The backtest alone cannot see it: at its origins the accounts that rose into the list only later
were under-forecast, which offsets. Where the portfolio looks chosen by revenue
(:func:`kamtools.churn.lapsed.revenue_floor`), each origin's evidence counts only the accounts the same cut
would have taken then (:func:`build_evidence`'s ``eligible``, from :func:`kamtools.churn.lapsed.chosen_at`:
revenue from the start of the data to the origin at the list's smallest in proportion to the time) whose
place on the list did not hang on the months the origin checks (their revenue before the origin and after
those months reaches the list's smallest, :func:`kamtools.forecast.accounts.place_held`: one that needed
those months is in the portfolio only where it bought in them, so counting it says the list keeps buying),
and the methods note says how many account-origins were counted. CDNOW's top 500 by revenue up to the
as-of date, bias / MAE of the next 5-6 months, every account -> the cut in proportion to the time -> and
place held: +13.0% / 228.6 -> -4.3% / 220.1 -> -10.3% / 226.9 at 1997-06, +23.0% / 220.5 -> +20.0% /
224.7 -> +12.2% / 219.2 at 1997-09, +29.6% / 213.0 -> +11.4% / 196.9 -> -1.3% / 190.4 at
1997-12, +10.0% / 168.8 -> +3.2% / 158.4 -> -13.3% / 158.1 at 1998-01; the top 300 and 1,000 and the demo's top
150 in ``benchmarks/bench_real_data.py``. A natural portfolio (the whole log, a sample, the demo) is not taken
for a chosen one and does not change. Within a class, the factor of such a list is shared out by each account's
share of months with an order (:func:`share_tilt`, the class's total kept): a lumpy account that made the list
with a few large orders regresses more than a steady one that made it on its level. CDNOW's 12 lists: MAE lower
on all 12 (sum 2,349.9 -> 2,236.3), biases within a point.

**Silent against its own history.** An account with no order for :data:`SILENT_MONTHS` months or more (the
churn rule), at least four times its own rhythm (months per ordering month from its first month to its last
order: the silence itself does not stretch it, as it does the rhythm of the last 12 months) and longer than any
earlier pause between its orders is forecast at most the mean of its last 12 months times survival: the share
of their former level that accounts as silent bought back in the backtest (with :data:`MIN_CLASS_ROWS` such
rows), else the BTYD chance that it orders within the horizon, else zero (:func:`silent_against_history`). A
forecast already below that is kept, and none of these reads growth. Demo (72 accounts, as of 2026-10-31):
A0048, ordering monthly for years and silent for 9 months (P(alive) about 0%), 7.6k (+8% on its last 12
months) -> 0. ``bench_real_data.py``: per-account MAE lower or equal at all 8 CDNOW cases (the 2,000 sample
at 1997-12-31 22.74 -> 22.51, bias +26.4% -> +24.7%), the demo of 300 unchanged.

**Lapsed accounts the backtest cannot judge.** Where the rules above would zero an account only
because the backtest had too few accounts as silent to measure (a lapsed account's class under
:data:`MIN_CLASS_ROWS`, or a long-silent one without a survival share or a checked P(alive)), the
rest of the history is asked instead (:func:`history_returns`): at every month with 3 or more after
it, the accounts silent :data:`SILENT_MONTHS` months or more, long against their own history (or
after one ordering month), and what they bought next as a share of their former monthly level
(:meth:`ReturnHistory.like`: silent at least as long as this account, one-month or repeat buyers
as it is, at least :data:`MIN_CLASS_ROWS` accounts; at the account's own silence each silence counts once, at
the month it reached that length: counted at every month it lasted, as before, an account that never came back
weighed once per month of its silence, and on the case of 30 accounts that came back after 12 months and 10 that
never did, 20% of such silences "ended in an order" instead of 75%, and the point was zero). Its range runs from
zero to what those that came back bought (method ``returning``, :func:`returning_range`), and the reason gives the figures. The point
forecast is its former level times the median of what such a silence led to (:func:`return_median`): no
order with the share of silences that did not end in one, else one of the returns. That is the point with the
lowest absolute error: zero where at most half of such silences ended in an order (:data:`RETURN_LIKELY`), else
the ``(p - 0.5) / p`` quantile of the returns (``p`` the share that ordered), never above the former level, and
zero too where the share bought back is under 1%. The median is read only from accounts of its own kind
(one-month or repeat buyers); where too few of its kind were silent and the evidence pools both, the point is
zero and the reason says why: on the demo of 300 at 2025-10-31 the pooled rows said 85% of such silences ended
in an order, because every one-month buyer silent 7 months or more came back (a yearly buyer's first year
looks like a one-month buyer's silence), while repeat buyers came back at 70%. The 8 repeat buyers forecast
from that evidence, silent 12 to 22 months, then bought 43k in 6 months, all of it one account's (2 of the 8
ordered within 12 months). ``bench_real_data.py``, 6-month MAE of the demo 300: 35,160 -> 34,970 at
2025-10-31 (bias +0.2% -> -0.0%; 34,978 before lapsed accounts had this rule), 28,147 unchanged at 2026-04-30
(its 16 such accounts had a share under a half: zero either way); CDNOW, 1,000 customers and the whole set,
unchanged (every such account had a share under a half). Measured and not kept: the median alone, on the pooled evidence
(demo 2025-10-31: 35,128); the former level times the share bought back (the mean, not the median) for every
such account: CDNOW, 1,000 customers (``bench_real_data.py --sample 1000 --heavy 0``), 6-month bias / MAE at
1997-12-31 +1.4% / 18.47 -> +6.3% / 18.95, at 1998-01-31 -21.4% / 15.89 -> -15.0% / 16.81 (12-21% of
such accounts bought anything, so zero is nearer for most); demo 300: 34,978 -> 35,160 and 28,204 -> 28,683.
The median under-forecasts a total where the returns are skewed (it lies below their mean), a bias that
only the accounts with more than half of such silences ending in an order can carry. The pages no longer
show such an account at 0 (range 0 to 0) with "no similar accounts coming back" beside a churn section
saying 15-77% of them did.

**Silent one-time buyers.** An account that ordered in one month of its history only and in
none of the last :data:`SILENT_ONE_TIME_MONTHS` months, in a class the backtest did not see
with :data:`MIN_CLASS_ROWS` rows (on a history of a year or so no backtest origin has such
accounts yet), gets the modified BG/NBD expected value as fitted (``one_time_btyd`` of
:func:`select`: a customer may stop after the first order, where BG/NBD keeps every one-time
buyer alive), not a correction learnt from other classes; the zero rules still apply. On the
CDNOW log this lowered the per-account MAE at 8 of the 9 cases it changed (by up to 4.5%),
see ``benchmarks/bench_real_data.py``.

**Spikes.** A month above :data:`SPIKE_FACTOR` times the account's median ordering month
(with at least 3 ordering months) is capped there, or counts as a usual ordering month (that
median) where the account ordered in under 3 of its last 6 months, before any level is taken
(:func:`cap_spikes`), so a one-off order is not extrapolated, and the account's
reason names it (:func:`spike_notes`). Demo with a 31.5k order (A0040): 23.6k -> 12.1k; the demo
300's 6-month MAE fell 0.1-0.2% with this alone (35,614 -> 35,580, 29,083 -> 29,031).

**New accounts.** The means spread an account's orders over at least :data:`YOUNG_MIN_MONTHS`
months of the data (its months before its first order counting as nothing), and an account with
fewer than :data:`YOUNG_MONTHS` months since its first order (inside the data) is not forecast by the
kamtools model fitted to those few months (its class's next method instead, with the reason): a
first order is not a monthly level. Demo with returns (40 accounts, 12 months of history, as of
2025-10-31): an account one month old with one order of 21k was forecast 129.0k for 12 months and
bought 53.8k; now 86.5k. Counting all of the window's months before the first order as nothing
(44.1k there) lost 0.5% to 0.6% of MAE on the 300-account demo of ``bench_real_data.py``, whose new
accounts grow after their first order, so the floor is three months: CDNOW cases unchanged, the demo
300 within 0.05%, ``bench_short_history.py``'s demo 35,577 -> 35,077 (6-month MAE).

**A new account's range** of its 12-month total (:func:`total_range`) is not taken from its class: a
new account falls in the class of one ordering month, made of settled accounts, whose multiples gave a
one-order account about +-7% around its point. It is its mean so far times what accounts as new bought
next, as a multiple of theirs (:func:`young_evidence`: every month of the history as an origin, the
accounts first seen after :data:`YOUNG_MONTHS` months of the data where enough, the rows of the
account's own age where :data:`MIN_TOTAL_ROWS`), mixed with its BTYD chance of no order; where the
history has too few such accounts, the BTYD count distribution; without a BTYD fit, its own ordering
months as a count model (:func:`_own_counts`). Ranges holding the next 12 months' total, new accounts
(before -> after; the other accounts' ranges did not move): demo 300 accounts (4 years, seed 7) scored
12, 15, 18, 21 and 24 months before its end, 32 new accounts in all, 9 (28%) -> 23 (72%); every miss
lay above the range (the demo's new accounts grow after their first orders). CDNOW 1,000 customers at
6 months of history (660 new): 81.7% -> 82.1% (the others 76.8%); at 3 months unchanged (84.5%: no
month of the history has 3 months after it, so the BTYD count distribution as before).

**Without an out-of-time check** (under 4 months of history: no backtest and no comparison of
the simple methods) no account gets a projection of its own few months: in an acquisition
cohort an account's first month is its acquisition order, and the kamtools model (or a mean
since the first order) carries it on for 12 months. Each account gets the BTYD expected
value as fitted (:data:`NO_CHECK_BTYD`: the buying rhythm and spend of all accounts, with the
chance that this one has stopped), or where no BTYD model can be fitted its mean over all
months of the data, months before its first order counting as nothing
(:data:`NO_CHECK_WINDOW`, method ``window_mean``); the zero rules still apply. A BTYD fit
whose purchase rates do not vary between accounts (:func:`btyd_unusable`) is not used: it gave
every one-week buyer of a one-month demo the same 146k (true 43k-79k). Where the value stage's
chosen family has such a fit and the other's rates vary, it names the other for the forecasts
(``forecast_family`` of :func:`kamtools.value.choose_btyd`; on a 3-month cohort scipy 1.13 had
put an MBG/NBD with r = 272k first), and the forecast takes the family it is given. Where no account has
ordered in two different weeks (one order day), an account's one order is taken once in the next
12 months, not every month (:data:`NO_CHECK_ONCE`), with a range from zero to that order every
month; the window mean's other ranges come from the account's own order weeks
(:func:`short_range`). 12-month totals against what was bought (``/tmp`` measurement of
2026-12-05): CDNOW's 246 customers of 1997-01-15 as of 01-31 96.4k -> 8.0k against 16.4k (MAE
348.6 -> 72.1, ranges holding the total 3% -> 94%, every range from zero); the demo of
``make-demo-data --accounts 60 --years 2 --seed 1`` with only October 2025 (45 accounts) 6.79M ->
8.38M against 7.24M (MAE 127.6k -> 101.0k, ranges 20% -> 67%, 33 -> 45 different forecasts);
CDNOW 1,000 at 1 month (BTYD with varying rates) unchanged.

**Intervals** are conformal: per class and method, quantiles of the evidence's monthly
ratios actual / calibrated forecast give the 80% and 95% bounds as multiples of the
forecast (0 where enough similar accounts bought nothing in a month); sums over months use
the errors' correlation measured on the same evidence. Where the BTYD model gives the
account's own chance of no order in the first k months of at least a bound's tail, month k's
range starts at zero (its chance of no order that month is at least that).

**The range of the 12-month total** (:func:`total_range`) mixes the account's own BTYD chance
of no order in the 12 months with what similar accounts that bought reached out of time (a
portfolio's ratios may not fit an account long silent: on the CDNOW top 500 at 12 months, 362
accounts fell back to the whole portfolio's ratios, where most customers did buy, and every
lapsed account's range lay above zero); it starts at zero where that chance is 10% or more.
Ratios measured on a backtest shorter than 12 months are widened to 12 (their log spread by
``(12 / h) ** g``, ``g`` the growth measured from ``h / 2`` to ``h`` months, at least a random
walk's 0.5). Without a backtest, the BTYD model's own count distribution gives the range.

**The account's own steadiness** scales those multiples (:func:`own_spreads`, :func:`total_scores`): an
account's own errors are how far its next ``h`` months' totals strayed from its mean of the 6 months before, at
every month of its history that has both (:func:`own_errors`); its spread is their root mean square shrunk
towards the median of the accounts of its class (weighing as ``h`` origins), over that median
(:func:`relative_spread`: the class's multiples already carry how lumpy such accounts are; 1 for an account
without such months, and for all where fewer than 5 accounts have ``h`` of them). Similar accounts' log
multiples are divided by each one's spread at its origin (1 where the history before the origin is too short
to measure it, so far in every case below) and multiplied by this account's. Out of time
(``benchmarks/bench_total_ranges.py --groups``; 12-month totals inside the 80% range, before -> after, median
width (hi - lo) / forecast): demo 300 (4 years, seed 7; cut 12, 15, 18, 21 and 24 months before its end)
steady 80.9% -> 79.5% (width 0.76 -> 0.75), erratic 66.9% -> 70.6% (0.78 -> 1.07), all 70.4% -> 72.9%; its
first 60 accounts (the quick demo) steady 75.8% -> 74.7% (0.70 -> 0.70), erratic 54.1% -> 61.6% (0.79 ->
0.90), all 63.5% -> 67.6%; CDNOW 1,000 at 1997-06-30 (6 months of history: no account has months of its own
to measure) unchanged at 80.3%. Measured against the whole portfolio instead of the class, a lumpy account in a
class of lumpy accounts got a range up to 400 times its forecast (steady 78.8%, erratic 70.4%). A steady
account's range does not get much narrower, because the evidence does not allow it: of the demo's steady
accounts (orders in 10 of 12 months, monthly variation under 50%) one in ten bought under 0.58 of its forecast
in the next 12 months (0.38 in the quick demo), sudden declines that its own past did not show; even the
quarter with the smallest own errors (under 16% a year) strayed from the forecast by more than 46% up or 32%
down one time in five. Tried and dropped: the account's own backtest errors (3 origins of the 12-month
backtest, 3 months apart) in place of its own history's, steady 70.2% at width 0.55 on the demo and 59.6% on
the quick demo; similar accounts split into thirds by their monthly variation, steady 76.0% (0.64) and 63.6%
(0.48); own errors over 3 months ahead (measurable at the backtest's origins too; portfolio's median), steady
70.9% and 66.7%;
errors against a 12-month level instead of the 6-month mean, no change; the same scaling of the monthly
ranges (portfolio's median), steady account-months 86.2% -> 66.4% while erratic 74.0% -> 77.1% (monthly
ranges as they were).

**Later totals strayed further** (:func:`later_origin_widening`): the class's rows of all backtest origins
hold 8 in 10 of their own totals by construction (80-85% of the class's rows fell inside the erratic accounts'
ranges), yet the next 12 months held far fewer (59-78% of the demo's erratic accounts): a 12-month backtest's
origins lie 3 months apart and share most of their months, while the year ahead lies 13 months beyond the
latest. The range built on the class's earliest origin is therefore asked to hold 8 in 10 of its latest
origin's totals (6 months later), and the least widening (about the median, in units of own spread) with which it
does widens the account's range too; never narrowed. On the demo most of the gap is its churn, planted only in
its last two years: accounts that churn in or just before the year ahead held 27-49% of their totals, the
other erratic accounts 78-86% (66% at the earliest cut, whose backtest saw no churn at all). Out of time
(``bench_total_ranges.py --groups``, before -> after, median width / forecast): demo 300 erratic
70.5% -> 75.1% (1.07 -> 1.12), steady 79.7% -> 82.8% (0.75 -> 0.86), lapsed 72.4% -> 73.6%, all 73.4% -> 77.2%;
quick demo erratic 61.6% -> 67.9% (0.89 -> 1.04), steady 74.7% -> 76.8% (0.70 -> 0.86), all 67.6% -> 71.7%;
new accounts and CDNOW 1,000 at 1997-06-30 unchanged (80.3%: its 3-month backtest has one origin).
Tried and dropped: the widening that makes the class's range of all origins hold 8 in 10 of the latest origin's
totals (erratic 72.5% and 62.9%, all 75.0% and 68.6%; steady 80.9% at width 0.79); own spreads with as few as
1, 3 or 6 origins of their own (so that they are measured at the early cuts too), erratic 70.6-71.3% and
64.2-65.4%; the evidence rows divided by their accounts' spreads of today (the scaling of the account, so the
class's rows hold 80% in the same units), erratic 66.1% and 57.2%; a monthly coefficient of variation relative
to the class's as the own spread, measured at the origins and today (its effect measured on the evidence, or
whole), steady down to 70.6% with erratic at most 73.1%.

**A lumpy account takes its lumpier half's range too** (:func:`lumpier_half`): a class (ordering months in the
last 12, months since the last order) holds steady and lumpy accounts alike, and the 10% and 90% quantiles of its
multiples lie between the two. On the demo's class of accounts ordering most months (the recent mean's rows), the
worst tenth of the accounts erratic at their origin reached 0.25-0.48 of their forecast, of the steady ones
0.62-0.71, of the class as a whole 0.55-0.66; the own spread above (1.0-1.2 for most erratic accounts) hardly
moved that. So where both halves of a
class have :data:`MIN_CLASS_ROWS` rows, an account whose coefficient of variation of its last 12 months is above
the class rows' median takes the wider of its class's range and the range built the same way on the lumpier half
alone; a steadier account keeps its class's range (its half's is narrower, but the quick demo's steady accounts
already fall below theirs 18% of the time). Out of time (``bench_total_ranges.py --groups``, before -> after,
median width / forecast): demo 300 erratic 75.1% -> 78.4% (1.12 -> 1.37), all 77.2% -> 79.3% (0.97 -> 1.16);
quick demo erratic 67.9% -> 68.6% (1.04 -> 1.10), all 71.7% -> 72.1%; steady, new and lapsed accounts unchanged
(82.8% and 76.8% at 0.86); CDNOW 1,000 at 1997-06-30 erratic 76.6% -> 77.7%, all 80.3% -> 80.7%. The points do
not move. What is still missing on the demo is mostly its churn, planted only in its last two years: of the
erratic accounts that fell below their range, more than half bought under a quarter of their forecast. Tried and
dropped: each bound the lower / higher of the two ranges' (quick demo erratic 69.2%, but a 12-month range
measured on 6-month totals could then grow less than the random walk's square root); each half's own range for
both halves (steady 78.6% and 59.6% on the quick demo, width 0.71); the
accounts' own spreads measured against their half's (erratic 77.5%, no better); a fixed steadiness threshold (a
coefficient of variation of 0.5: erratic 78.1% and 72.3%, but 0.4 or 0.7 gave 76.2% / 67.9% and 78.6% / 67.9%);
the earliest origin's widening carried on to the year ahead (12 months past the latest origin, twice the
backtest's span: erratic 78.7% and 73.6% but steady 85.8%, width 0.86 -> 0.95; taken per side, erratic 77.4%
and 70.4%); the own spread with
fewer origins or a lighter prior (erratic 74.4-76.1% while widths grew to 1.34).

**An account of a class too small for its own rows takes the rows as lumpy as it is too**
(:func:`_like_in_variation`, :func:`variations`). A class with under :data:`MIN_CLASS_ROWS` evidence rows takes
the whole portfolio's multiples, which are mostly those of the large classes' accounts ordering in most months:
on the quick demo (60 accounts) 37 of its 159 erratic account-cuts are in such classes (ordering in 2-6 of 12
months; 5% on the demo of 300) and held 54.1% of their 12-month totals, against 73.0% for the other erratic ones.
Such an account now takes the wider of the portfolio's range and the range built the same way on the
:data:`MIN_CLASS_ROWS` evidence rows nearest its own coefficient of variation of its last 12 months (at their
origins), their multiples as they were (in units of own spread, as the class's are read, the rows chosen for
their lumpiness counted it twice: upper ends of 20 to 6,000 times the forecast). Out of time
(``bench_total_ranges.py --groups``, before -> after, median width / forecast): quick demo erratic 68.6% ->
69.8% (1.10 -> 1.17; those in small classes 54.1% -> 59.5%), demo 300 erratic 78.4% -> 78.9% (1.37), lapsed
73.6% -> 83.9% (2.04 -> 3.35), all 79.3% -> 80.1%; steady and new unchanged; CDNOW 1,000 at 1997-06-30 erratic
77.7% -> 78.3%, all 80.7% -> 80.9%; the target-probability bench (seed 7) identical; points do not move. What
remains on the quick demo is which accounts it holds: its erratic account-cuts, in the demo of 300 with its
evidence, hold 73.0% (small-class ones 62.2%), against 78.4% for the demo's erratic accounts as a whole.
Tried and dropped: the whole portfolio's lumpier half (split at the median of all rows, as a class is) for
such accounts, in units of own spread (quick demo erratic 71.7%, but the upper ends above) or as they were
(70.4%, demo 300 erratic 78.7%, lapsed unchanged at 73.6%).

**An account forecast nothing although no rule called it lapsed** (its mean of the last 6 months after half
a year of silence) gets a range from zero to the upper end of what accounts whose method saw nothing ahead
bought out of time, as a multiple of their usual month (:func:`_silent_range`, :func:`silent_ratios`): demo
300 at 12 months before its end, 8 of 16 such accounts bought in the next 12 months, 7 of them inside (a
range of nothing before); lapsed accounts (no order in 6 months) inside 55.2% -> 65.5% over the five cuts.

**A new account's monthly ranges** are its mean so far times what accounts as new bought in a month ahead as a
multiple of theirs (:attr:`YoungEvidence.monthly`), as its 12-month range is, not its class's multiples:
account-months inside the monthly 80% range, new accounts, demo 300 52.3% -> 69.5%, quick demo 27.8% ->
71.1%, CDNOW 1997-06-30 94.5% -> 93.7%; the other accounts' monthly ranges did not move.

Out of time (``benchmarks/bench_short_history.py``; before -> after this change of
2026-12-05). CDNOW, 1,000 customers, 1 month of history: the next 6 months' bias +613% ->
+19%, MAE 192.5 -> 43.1 (the mean of the last 6 months 192.5, BTYD 43.1); the 12-month total
145.8k -> 24.4k against 18.4k bought; 80% ranges holding the 12-month total 2% -> 82%. 3 months:
+470% / 119.9 -> +10% / 31.6 (mean of last 6 months 119.9, of the data's last 6 months 71.7);
274k -> 48.8k against 44.1k; ranges 70% -> 83%. 6 and 12 months: forecasts unchanged (-1% /
25.2, -18% / 20.2, the lowest MAE), ranges 78% -> 80% at 6 months. Top 500 at 12 months:
of the accounts that bought nothing in the next 6 months, ranges from zero 2% -> 61%; of those
silent 6 months (35), 0% -> 100%. Demo (40 accounts, 2 years, 12 months of history, backtest of
6 months): ranges holding the 12-month total 52% -> 75% (its forecasts did not move: 6-month
MAE 35.3k, bias +6%, beside 35.4k for the mean of the last 6 months and 32.3k for BTYD; 12-month
MAE 66.4k against 61.2k for repeating the last 12 months, still to improve). With 12 months of
history the one backtest origin has 6 months of training, where the means of the last 6 and 12
months are the same, so the evidence cannot choose between them; taking the longer on such a tie
brought the demo's 12-month MAE to 61.7k (6-month 32.5k) but moved the whole CDNOW log at
1997-12 from +7.8% / 21.64 to +8.9% / 21.71 (1,598 accounts of a shrinking cohort), so it is
not done. Over 12 months at
1 and 3 months of history, the BTYD forecast's MAE (76.3, 55.6) is above that of each
customer's revenue so far taken as its next 12 months (58.2, 52.6: a median-like forecast
that MAE favours; its total is -60% and +32% off), and its total +33% and +11%. The CDNOW cases of
``benchmarks/bench_real_data.py`` (sample 2000 and top 500 at 1997-06 and 1997-12) are unchanged
(+2.4% / 27.52, +13.0% / 228.59, -6.2% / 20.36, +30.2% / 214.01; monthly cov80 the same):
with 6 months or more the choice has evidence, and only the ranges moved.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from kamtools.display import money
from kamtools.value.choice import COMMON_RATE_SHAPE  # one threshold for the value stage's choice and this check

SPIKE_FACTOR = 3.0  # a month above this multiple of the account's median ordering month is capped
MIN_CLASS_ROWS = 30  # evidence rows (account x origin) a class needs for its own factor and choice
MIN_COMPARE_ROWS = 15  # rows a method needs (and methods need in common) to be compared
MIN_OWN_ORIGINS = 2  # backtest origins an account needs before its own evidence can override its class
MIN_OWN_MONTHS = 12  # ... evidence months (and orders in at least half of them)
OWN_MARGIN = 0.8  # ... and the other method's MAE must be below this share of the class choice's
LAPSED_MONTHS = 12  # silent at least this long (and 4x the account's rhythm) ...
LAPSED_SHARE = 0.05  # ... in a class that bought back less than this share of its former level: zero
SILENT_MONTHS = 6  # the churn rule's silence: with 4x the account's own rhythm and its longest gap, survival-scaled
FACTOR_BOUNDS = (0.0, 2.0)
ZERO_BIAS_BUDGET = 0.05  # classes forecast zero may together hold at most this share of what was bought
WELL_CALIBRATED = (2 / 3, 1.5)  # factors in this range: the method was about right without correction
CORRECTION_MARGIN = 0.1  # a method that needed a larger correction must beat those by this share of MAE
TOTAL_QUANTILES = (0.1, 0.9)  # actual / forecast horizon totals of similar accounts: the total's 80% range
ZERO_START_UPPER = 0.8  # ... its upper quantile where more than 10% bought nothing (the range starts at zero)
MIN_TOTAL_ROWS = 20  # evidence rows with a forecast total a class needs for its total's range
SILENT_ONE_TIME_MONTHS = 6  # one ordering month and none in this many: a silent one-time buyer
MIN_YOUNG_HORIZON = 3  # new accounts' totals over fewer months ahead are not widened to 12 (a guess, not evidence)
OWN_BASE_MONTHS = 6  # an account's own errors: its next months' total against the mean of this many months before
OWN_FLOOR = 0.05  # ... as log multiples, a total under this multiple (nothing bought) counting as this multiple
LATER_ORIGIN_COVERAGE = 0.8  # the earliest origin's range widens until it holds this share of the latest's

METHOD_WORDS = {
    "model": "kamtools model",
    "recent_mean": "mean of last 6 months",
    "level_12m": "mean of last 12 months",
    "seasonal_naive": "seasonal naive",
    "btyd": "BTYD expected value",
    "zero": "lapsed: zero",
    "window_mean": "mean of all months in the data",
    "returning": "lapsed: what such accounts bought back",
    "combined": "equal mix of the kamtools model, BTYD expected value and mean of last 6 months",
}
COMBINED = ("model", "btyd", "recent_mean")  # the mix's members, equal weights over those that apply to an account
CANDIDATES = ("model", "recent_mean", "level_12m", "seasonal_naive", "btyd")

_ACTIVE_EDGES = (1, 2, 4, 7)  # ordering months in the last 12: 0, 1, 2-3, 4-6, 7+
_ACTIVE_WORDS = (
    "no orders in the last 12 months",
    "one ordering month in the last 12",
    "2 to 3 ordering months in the last 12",
    "4 to 6 ordering months in the last 12",
    "7 or more ordering months in the last 12",
)
_GAP_EDGES = (3, 6, 12)  # months since the last order: 0-2, 3-5, 6-11, 12+
_GAP_WORDS = ("last order 0 to 2 months ago", "last order 3 to 5 months ago", "last order 6 to 11 months ago", "")


# ---------------------------------------------------------------------------------------
# monthly matrix helpers
# ---------------------------------------------------------------------------------------
def wide_history(hist: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """``unique_id, ds, y`` -> (accounts x months matrix with NaN before an account's first
    month, sorted ids, month starts)."""
    wide = hist.pivot_table(index="unique_id", columns="ds", values="y", aggfunc="sum", sort=True)
    return wide.to_numpy(dtype=float), wide.index.astype(str).to_numpy(), pd.DatetimeIndex(wide.columns)


def cap_spikes(y: np.ndarray, factor: float = SPIKE_FACTOR) -> tuple[np.ndarray, np.ndarray]:
    """Cap each row's months above ``factor`` x the median of its ordering (positive) months (over its whole
    history) there; where the row ordered in fewer than 3 of its last 6 months, such a month counts as a usual
    ordering month (that median) instead: for an account ordering in a month or two per half-year, a capped
    spike was still most of its 6-month mean (demo A0040: one order of 31.5k, capped at 9.2k, was 73% of it
    and made a forecast of 23.6k against 3.4k bought in its other months of the year). Counting every spike
    as a median month raised the demo's 6-month MAE (``bench_real_data.py``) by 2-4%, so accounts ordering
    in most months keep the cap.

    Rows with fewer than 3 ordering months are left alone (their orders are the rhythm, not
    spikes). Returns (capped copy, boolean mask of the capped cells).
    """
    y = np.asarray(y, dtype=float)
    pos = np.where(y > 0, y, np.nan)
    n_pos = np.sum(y > 0, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(pos, axis=1)
    cap = np.where(n_pos >= 3, factor * med, np.inf)[:, None]
    mask = np.isfinite(y) & (y > cap)
    sparse = np.sum(y[:, -6:] > 0, axis=1) < 3  # a month or two per half-year: a capped spike is still most of it
    return np.where(mask, np.where(sparse, med, factor * med)[:, None], y), mask


_SPIKE_WINDOWS = {"recent_mean": 6, "level_12m": 12, "window_mean": 0}  # months each mean reads (0: all)


def spike_notes(y: np.ndarray, method: np.ndarray) -> np.ndarray:
    """Per account, a sentence naming the months :func:`cap_spikes` counted as usual ones inside the window its
    chosen mean reads (empty elsewhere), so a page shows what was set aside."""
    y = np.asarray(y, dtype=float)
    capped, mask = cap_spikes(y)
    out = np.full(len(y), "", dtype=object)
    for i in np.flatnonzero(mask.any(axis=1)):
        k = _SPIKE_WINDOWS.get(str(method[i]))
        if k is None:
            continue
        cells = np.flatnonzero(mask[i, -k:] if k else mask[i])
        if not len(cells):
            continue
        row, usual = (y[i, -k:] if k else y[i]), (capped[i, -k:] if k else capped[i])
        big = float(np.max(row[cells]))
        what = "Its largest month" if len(cells) == 1 else f"{len(cells)} months, the largest"
        out[i] = (
            f" {what} ({money(big)}) was over {SPIKE_FACTOR:g} times its usual ordering month and counts as "
            f"{money(float(usual[cells[0]]))} in the mean, so a one-off order is not carried forward."
        )
    return out


def silent_one_time(y: np.ndarray) -> np.ndarray:
    """Rows that ordered in one month of their history only and in none of the last :data:`SILENT_ONE_TIME_MONTHS`."""
    ordering = np.nan_to_num(np.asarray(y, dtype=float)) > 0
    if ordering.shape[1] <= SILENT_ONE_TIME_MONTHS:
        return np.zeros(len(ordering), dtype=bool)
    return (ordering.sum(axis=1) == 1) & ~ordering[:, -SILENT_ONE_TIME_MONTHS:].any(axis=1)


YOUNG_MIN_MONTHS = 3  # a mean is taken over at least this many months of the data (its months before a first order: 0)
YOUNG_MONTHS = 6  # an account with fewer months since its first order (inside the data) is not forecast by the model


def _last_mean(y: np.ndarray, k: int) -> np.ndarray:
    """Mean of each row over its months among the last ``k`` (NaN before its first month), over at least
    :data:`YOUNG_MIN_MONTHS` months of the data where the data has them, its months before its first order
    counting as nothing: a new account's first order is spread over three months, not taken as its monthly
    level (a demo account one month old with one order of 21k was forecast 129k for 12 months and bought
    54k; now 86k). 0 for a row without months."""
    block = y[:, -k:]
    n = np.sum(np.isfinite(block), axis=1)
    months = np.maximum(n, min(YOUNG_MIN_MONTHS, block.shape[1]))
    return np.where(n > 0, np.nansum(block, axis=1) / np.maximum(months, 1), 0.0)


@dataclass
class State:
    """What is known about each account at one origin (rows = accounts)."""

    recent: np.ndarray  # mean of last 6 months (spikes capped)
    level: np.ndarray  # mean of last 12 months (spikes capped)
    scale: np.ndarray  # positive unit for interval residuals
    seasonal: np.ndarray  # (n, h) last year's months repeated, NaN without two years
    gap: np.ndarray  # months since the last order
    rhythm: np.ndarray  # months per ordering month (last 12)
    klass: np.ndarray  # class index
    started: np.ndarray  # has at least one month
    silent_one_time: np.ndarray  # ordered in one month only, none in the last SILENT_ONE_TIME_MONTHS
    window: np.ndarray | None = None  # mean over every month of the data (0 before the account's first month)
    window_months: int = 0  # the months of the data
    young: np.ndarray | None = None  # months since the first order where under YOUNG_MONTHS, inside the data; else 0
    silent_long: np.ndarray | None = None  # silent SILENT_MONTHS+, 4x its own rhythm and past its longest earlier gap
    own_rhythm: np.ndarray | None = None  # months per ordering month from its first month to its last order
    ordering: np.ndarray | None = None  # ordering months in the whole block (1: a one-month buyer, no gap to read)
    former: np.ndarray | None = None  # mean month from the first month to the last order (spikes counted as usual)


def silent_against_history(y: np.ndarray, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(silent long, own rhythm) per account: no order for :data:`SILENT_MONTHS` or more (the churn rule),
    at least four times its own rhythm (months per ordering month from its first month to its last order,
    so the silence itself does not stretch the rhythm) and longer than any earlier gap between its orders
    (an account whose history has such pauses is not read as stopped)."""
    n, t = y.shape
    pos = np.nan_to_num(y) > 0
    silent = np.zeros(n, dtype=bool)
    rhythm = np.full(n, np.inf)
    first = np.argmax(np.isfinite(y), axis=1)
    for i in np.flatnonzero(pos.any(axis=1) & (gap >= SILENT_MONTHS)):
        months = np.flatnonzero(pos[i])
        span = months[-1] - first[i] + 1
        rhythm[i] = span / len(months)
        earlier = np.diff(months) - 1 if len(months) > 1 else np.array([0])
        silent[i] = len(months) > 1 and gap[i] >= 4 * rhythm[i] and gap[i] > earlier.max()
    return silent, rhythm


def account_state(y: np.ndarray, horizon: int) -> State:
    """Features and simple forecasts from a training block ``y`` (accounts x months)."""
    n, t = y.shape
    capped, _ = cap_spikes(y)
    started = np.any(np.isfinite(y), axis=1)
    recent = _last_mean(capped, 6)
    level = _last_mean(capped, 12)
    overall = np.where(started, np.nansum(capped, axis=1) / np.maximum(np.sum(np.isfinite(y), axis=1), 1), 0.0)
    scale = np.maximum.reduce([level, recent, overall])
    pos = np.nan_to_num(y) > 0
    last_pos = np.where(pos.any(axis=1), t - 1 - np.argmax(pos[:, ::-1], axis=1), -1)
    first = np.argmax(np.isfinite(y), axis=1)
    gap = np.where(last_pos >= 0, t - 1 - last_pos, t - first).astype(float)
    last12 = y[:, -12:]
    avail = np.sum(np.isfinite(last12), axis=1)
    active = np.sum(np.nan_to_num(last12) > 0, axis=1)
    rhythm = np.where(active > 0, avail / np.maximum(active, 1), np.inf)
    abin = np.searchsorted(_ACTIVE_EDGES, active, side="right")  # 0 .. 4
    gbin = np.minimum(np.searchsorted(_GAP_EDGES, gap, side="right"), 2)  # 0 .. 2 (12+ has no order in 12)
    klass = np.where(abin == 0, 0, 1 + (abin - 1) * 3 + gbin)
    seasonal = np.full((n, horizon), np.nan)
    two_years = np.sum(np.isfinite(y), axis=1) >= 24
    if t >= 12 and two_years.any():
        last_year = y[two_years, -12:]
        seasonal[two_years] = np.nan_to_num(last_year[:, np.arange(horizon) % 12])
    window = np.nansum(capped, axis=1) / max(t, 1)
    age = np.sum(np.isfinite(y), axis=1)
    young = np.where(started & (age < YOUNG_MONTHS) & (age < t), age, 0)
    silent_long, own_rhythm = silent_against_history(y, gap)
    return State(
        recent,
        level,
        scale,
        seasonal,
        gap,
        rhythm,
        klass,
        started,
        silent_one_time(y),
        window,
        t,
        young,
        silent_long,
        own_rhythm,
        ordering=np.sum(pos, axis=1),
        former=_former_level(capped, first, last_pos),
    )


def ordering_share(y: np.ndarray) -> np.ndarray:
    """Per account, the share of its months (from its first month in ``y`` to the end) with an order: 1 for an
    account that ordered every month, near 0 for one that placed a single large order long ago (0 before any)."""
    months = np.sum(np.isfinite(y), axis=1)
    return np.where(months > 0, np.sum(np.nan_to_num(y) > 0, axis=1) / np.maximum(months, 1), 0.0)


def _former_level(capped: np.ndarray, first: np.ndarray, last_pos: np.ndarray) -> np.ndarray:
    """Each row's mean month while it bought: from its first month to its last order (0 without an order)."""
    span = np.maximum(last_pos - first + 1, 1)
    return np.where(last_pos >= 0, np.nansum(capped, axis=1) / span, 0.0)


@dataclass
class ReturnEvidence:
    """What accounts silent ``silence`` months or more at some month of the history bought in the months the
    history holds after it (at least :data:`RETURN_WATCH` of them, at most 12): ``share`` of their former level
    (:func:`_former_level`) per month watched, ``bought`` the share of them that ordered again, ``multiples``
    (sorted) what those that ordered bought per month watched, as multiples of their former level; ``months``
    the longest watch; ``once``: the rows are one-month buyers (True), repeat buyers (False) or both (None);
    ``per_silence``: each silence counts once, at the month it reached ``silence`` months (True), or at every
    month it lasted that long (False: the history had too few accounts as silent as the account asked about,
    see :meth:`ReturnHistory.like`)."""

    share: float
    rows: int
    bought: float
    multiples: np.ndarray
    months: int
    silence: int
    once: bool | None
    per_silence: bool = True


@dataclass
class ReturnHistory:
    """Every (account, month) of the history where the account had been silent :data:`SILENT_MONTHS` months or
    more, long against its own history (:func:`silent_against_history`) or after one ordering month, with
    :data:`RETURN_WATCH` months or more after it (:func:`history_returns`)."""

    act: np.ndarray  # bought in the months watched
    ref: np.ndarray  # former monthly level at that month
    watched: np.ndarray  # months watched (at most 12)
    silence: np.ndarray  # months silent at that month
    once: np.ndarray  # had ordered in one month only
    account: np.ndarray  # the row's account (its index): an account silent at several months counts once
    spell: np.ndarray | None = None  # the month of the last order before the silence (account and spell: one silence)
    _cache: dict = field(default_factory=dict)

    def like(self, gap: float, once: bool) -> ReturnEvidence | None:
        """What accounts like this one bought back: the rows silent at least as long (else the longest silence
        with :data:`MIN_CLASS_ROWS` accounts; ``rows`` counts accounts) among the one-month or the repeat buyers as
        this account is (both where either has too few rows); None where even the shortest silence has too few
        rows.

        At the account's own silence each silence counts once, at the month it reached that length
        (:meth:`_first_of_silence`): that is the account's condition, and counted at every month it lasted, one
        account silent for two years weighed as much as twenty that came back after the first of those months
        (on the CDNOW log, for the lapsed accounts read at their own silence, the share of such silences that ended
        in an order went up at 17 of 22 whole-log and sample dates and down at 3 by at most 0.3 points, toward the
        share of them that then ordered, above both at every date). Where too few
        accounts were as silent and a shorter silence is read instead, every month counts: each silence at the
        month it reached the shorter length would stand for silences shorter than this account's, which come
        back more often (the demo of 300 at 2026-04-30: 49% -> 64% ended in an order, while 18% of the accounts
        it was read for then ordered)."""
        key = (int(gap), bool(once))
        if key not in self._cache:
            out = None
            for split in (bool(once), None):
                same = np.ones(len(self.act), dtype=bool) if split is None else self.once == split
                for g in range(int(gap), SILENT_MONTHS - 1, -1):
                    rows = same & (self.silence >= g)
                    if len(np.unique(self.account[rows])) >= MIN_CLASS_ROWS:
                        per_silence = g == int(gap) and self.spell is not None
                        if per_silence:
                            rows = self._first_of_silence(rows)
                        a, r, w = self.act[rows], self.ref[rows], self.watched[rows]
                        came = a > 0
                        out = ReturnEvidence(
                            float(a.sum() / np.sum(r * w)),
                            len(np.unique(self.account[rows])),
                            float(came.mean()),
                            np.sort(a[came] / (r[came] * w[came])),
                            int(w.max()),
                            g,
                            split,
                            per_silence,
                        )
                        break
                if out is not None:
                    break
            self._cache[key] = out
        return self._cache[key]

    def _first_of_silence(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` with each silence of each account once: its first month among them (the shortest silence
        there, the longest watch; the rows are in the order of their months)."""
        idx = np.flatnonzero(rows)
        _, first = np.unique(np.stack([self.account[idx], self.spell[idx]], axis=1), axis=0, return_index=True)
        out = np.zeros(len(rows), dtype=bool)
        out[idx[first]] = True
        return out


RETURN_WATCH = 3  # months after a silence the history must hold before that silence counts as evidence


def history_returns(y: np.ndarray) -> ReturnHistory | None:
    """:class:`ReturnHistory` from every month of ``y`` (accounts x months) with :data:`RETURN_WATCH` months
    after it: the accounts that had ordered and then had no order for :data:`SILENT_MONTHS` months or more
    there; None without such rows."""
    y = np.asarray(y, dtype=float)
    t = y.shape[1]
    parts = []
    for o in range(SILENT_MONTHS - 1, t - RETURN_WATCH):
        train = y[:, : o + 1]
        pos = np.nan_to_num(train) > 0
        has = pos.any(axis=1)
        last = np.where(has, o - np.argmax(pos[:, ::-1], axis=1), -1)
        gap = (o - last).astype(float)
        long, _ = silent_against_history(train, np.where(has, gap, 0.0))
        # silent long against its own history (a sporadic buyer's usual pause is no silence), or a one-month buyer
        rows = has & (gap >= SILENT_MONTHS) & (long | (pos.sum(axis=1) == 1))
        if not rows.any():
            continue
        capped, _ = cap_spikes(train[rows])
        first = np.argmax(np.isfinite(train[rows]), axis=1)
        ref = _former_level(capped, first, last[rows])
        w = min(12, t - 1 - o)
        act = np.nansum(y[rows, o + 1 : o + 1 + w], axis=1)
        parts.append(
            (
                act,
                ref,
                np.full(len(ref), w),
                (o - last)[rows],
                pos[rows].sum(axis=1) == 1,
                np.flatnonzero(rows),
                last[rows],
            )
        )
    if not parts:
        return None
    cols = [np.concatenate([p[j] for p in parts]) for j in range(7)]
    ok = cols[1] > 0
    return ReturnHistory(*(c[ok] for c in cols))


def class_words(k: int) -> str:
    """The class of similar accounts in words."""
    k = int(k)
    if k == 0:
        return "accounts with " + _ACTIVE_WORDS[0]
    abin, gbin = 1 + (k - 1) // 3, (k - 1) % 3
    return f"accounts with {_ACTIVE_WORDS[abin]}, {_GAP_WORDS[gbin]}"


def candidate_paths(state: State, horizon: int, model: np.ndarray | None, btyd: np.ndarray | None) -> dict:
    """Monthly paths (accounts x horizon) of every candidate; NaN rows where a method does not apply."""
    n = len(state.recent)
    paths = {
        "recent_mean": np.repeat(state.recent[:, None], horizon, axis=1),
        "level_12m": np.repeat(state.level[:, None], horizon, axis=1),
        "seasonal_naive": state.seasonal,
        "zero": np.zeros((n, horizon)),
    }
    if state.window is not None:
        paths["window_mean"] = np.repeat(state.window[:, None], horizon, axis=1)
    if state.former is not None:
        paths["returning"] = np.repeat(state.former[:, None], horizon, axis=1)
    paths["model"] = model if model is not None else np.full((n, horizon), np.nan)
    paths["btyd"] = btyd if btyd is not None else np.full((n, horizon), np.nan)
    paths["combined"] = combined_path(paths)
    return paths


def combined_path(paths: dict, members: tuple[str, ...] = COMBINED) -> np.ndarray:
    """The equal mix of ``members`` (of :data:`COMBINED`): per account, the mean of the members whose whole path
    applies (the mean of the last 6 months always does)."""
    stack = np.stack([paths[m] for m in members])
    ok = np.all(np.isfinite(stack), axis=2)
    n_ok = ok.sum(axis=0)
    total = np.where(ok[:, :, None], stack, 0.0).sum(axis=0)
    return np.where(n_ok[:, None] > 0, total / np.maximum(n_ok, 1)[:, None], np.nan)


# ---------------------------------------------------------------------------------------
# BTYD expected revenue per month
# ---------------------------------------------------------------------------------------
@dataclass
class BtydNow:
    """What the buy-till-you-die models say about each account's coming months (rows in ``ids`` order).

    ``paths``: expected revenue per month (n, h); ``p_none``: probability of no order in the first
    k months, k = 1..h (n, h: P(alive) times the chance a live account's posterior rate gives no
    purchase); ``shape``, ``rate``: the posterior Gamma of a live account's purchase rate (per week)
    behind the count distribution of :func:`btyd_total_range`. NaN rows: accounts not in the fit.
    ``status``: the fit's :func:`kamtools.value.choice.fit_status` (``"common_rate"``: every account gets
    about the same rate; ``"unidentified"``: its parameters are not determined by the data)."""

    paths: np.ndarray
    p_none: np.ndarray
    shape: np.ndarray
    rate: np.ndarray
    status: str = "identified"


def btyd_fit(
    orders: pd.DataFrame, as_of: pd.Timestamp, ids: np.ndarray, horizon: int, family: str = "bg_nbd"
) -> BtydNow | None:
    """BG/NBD (or MBG/NBD: ``family="mbg_nbd"``) + Gamma-Gamma fitted on the orders up to ``as_of``:
    :class:`BtydNow` of the accounts ``ids`` (weekly purchase periods, undiscounted); None when the
    models cannot be fitted (too few accounts or repeat buyers)."""
    try:
        from kamtools.value import MIN_ACCOUNTS, MIN_REPEAT_BUYERS, BetaGeo, GammaGamma, ModifiedBetaGeo, rfm_summary
    except ImportError:  # pragma: no cover - a value module without the BTYD estimators
        return None
    estimator = ModifiedBetaGeo if family == "mbg_nbd" else BetaGeo

    past = orders[orders["order_date"] <= as_of]
    if past.empty:
        return None
    weeks = (365.25 / 12) / 7.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cols = ["account_id", "order_date", "net_revenue"] + (["quantity"] if "quantity" in past.columns else [])
            s = rfm_summary(past[cols], as_of=as_of, freq="W")  # quantity: returns are not purchases
            x, t_x, T, m = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary"))
            if len(s) < MIN_ACCOUNTS or int(np.sum(x > 0)) < MIN_REPEAT_BUYERS:
                return None
            bg = estimator().fit(x, t_x, T)
            fallback = float(m[x > 0].mean())
            try:
                # the value stage reports a frequency/value correlation; this candidate only needs the values
                # (and warnings filters are process-wide, not safe to change from this stage's thread)
                avg = GammaGamma(corr_threshold=1.0).fit(x, m).expected_average_value(x, m)
            except ValueError:
                avg = np.where(x > 0, m, fallback)
            avg = np.where(np.isfinite(avg) & (avg >= 0), avg, fallback)
            cum = np.column_stack(
                [np.zeros(len(x))] + [bg.expected_purchases((k + 1) * weeks, x, t_x, T) for k in range(horizon)]
            )
            p_none = np.column_stack([1.0 - bg.p_purchase((k + 1) * weeks, x, t_x, T) for k in range(horizon)])
            r, alpha = float(bg.params_["r"]), float(bg.params_["alpha"])
            from kamtools.value.choice import fit_status

            status = fit_status(bg)[0]
    except (ValueError, RuntimeError, ArithmeticError, np.linalg.LinAlgError):  # no fit: not a candidate
        return None
    rev = np.diff(cum, axis=1) * avg[:, None]
    rev = np.where(np.isfinite(rev), np.maximum(rev, 0.0), np.nan)
    index = s["account_id"].astype(str).to_numpy()

    def _rows(a: np.ndarray) -> np.ndarray:
        return pd.DataFrame(a, index=index).reindex(ids).to_numpy(dtype=float)

    p_none = np.where(np.isfinite(p_none), np.clip(p_none, 0.0, 1.0), np.nan)
    return BtydNow(_rows(rev), _rows(p_none), _rows(r + x)[:, 0], _rows(alpha + T)[:, 0], status)


def btyd_paths(
    orders: pd.DataFrame, as_of: pd.Timestamp, ids: np.ndarray, horizon: int, family: str = "bg_nbd"
) -> np.ndarray | None:
    """BG/NBD (or MBG/NBD: ``family="mbg_nbd"``) + Gamma-Gamma expected revenue of each account
    in each of the next ``horizon`` months (weekly purchase periods, undiscounted), from
    orders up to ``as_of``; None when the models cannot be fitted (too few accounts or
    repeat buyers). The forecast stage passes the family the value stage chose, so the
    buying-rhythm model behind a forecast is the one behind the account's value."""
    fit = btyd_fit(orders, as_of, ids, horizon, family)
    return None if fit is None else fit.paths


# ---------------------------------------------------------------------------------------
# evidence and choice
# ---------------------------------------------------------------------------------------
@dataclass
class Evidence:
    """Out-of-time rows (account x origin): class, actual monthly path and each candidate's path."""

    account: np.ndarray
    klass: np.ndarray
    scale: np.ndarray
    actual: np.ndarray  # (r, h)
    paths: dict[str, np.ndarray]  # method -> (r, h), NaN rows where it did not apply
    lapsed_ref: np.ndarray  # (r,) the account's usual month at the origin (for the "bought back" share)
    horizon: int
    origin: np.ndarray | None = None  # (r,) the row's origin (index of its last training month)
    silent_long: np.ndarray | None = None  # (r,) silent long against its own history at the origin
    chosen: bool = False  # rows of a portfolio chosen by revenue, each origin counting the accounts chosen then
    share: np.ndarray | None = (
        None  # (r,) chosen portfolio: the account's ordering share at the origin (ordering_share)
    )


def survival_share(ev: Evidence | None) -> tuple[float, int]:
    """(share of their former level, rows) that accounts silent long against their own history
    (:func:`silent_against_history`) bought in the evidence's next months; NaN share without such rows."""
    if ev is None or ev.silent_long is None or not ev.silent_long.any():
        return np.nan, 0
    rows = ev.silent_long
    ref = float(np.sum(ev.lapsed_ref[rows]) * ev.horizon)
    share = float(ev.actual[rows].sum() / ref) if ref > 0 else np.nan
    return share, int(rows.sum())


def build_evidence(
    y: np.ndarray,
    ids: np.ndarray,
    cut_cols: list[int],
    horizon: int,
    model_paths: dict[int, np.ndarray] | None = None,
    btyd_at: dict[int, np.ndarray | None] | None = None,
    eligible: dict[int, np.ndarray] | None = None,
) -> Evidence | None:
    """Evidence rows for the origins ``cut_cols`` (index of each origin's last training month); ``eligible``: per
    origin, the accounts that count there (all where None: a portfolio chosen by revenue counts only those the
    same choice would have taken at the origin, :func:`kamtools.churn.lapsed.chosen_at`)."""
    parts = []
    for c in cut_cols:
        if c < 0 or c + 1 + horizon > y.shape[1]:
            continue
        train = y[:, : c + 1]
        st = account_state(train, horizon)
        keep = st.started if eligible is None else st.started & eligible[c]
        if not keep.any():
            continue
        actual = np.nan_to_num(y[:, c + 1 : c + 1 + horizon])
        model = None if model_paths is None else model_paths.get(c)
        btyd = None if btyd_at is None else btyd_at.get(c)
        paths = candidate_paths(st, horizon, model, btyd)
        parts.append(
            (
                ids[keep],
                st.klass[keep],
                st.scale[keep],
                actual[keep],
                {k: v[keep] for k, v in paths.items()},
                st.level[keep],
                np.full(int(keep.sum()), c),
                st.silent_long[keep],
                ordering_share(train)[keep],
            )
        )
    if not parts:
        return None
    return Evidence(
        account=np.concatenate([p[0] for p in parts]),
        klass=np.concatenate([p[1] for p in parts]),
        scale=np.concatenate([p[2] for p in parts]),
        actual=np.vstack([p[3] for p in parts]),
        paths={k: np.vstack([p[4][k] for p in parts]) for k in parts[0][4]},
        lapsed_ref=np.concatenate([p[5] for p in parts]),
        horizon=horizon,
        origin=np.concatenate([p[6] for p in parts]),
        silent_long=np.concatenate([p[7] for p in parts]),
        chosen=eligible is not None,
        share=np.concatenate([p[8] for p in parts]) if eligible is not None else None,
    )


@dataclass
class ClassChoice:
    method: str
    factor: dict[str, float]  # calibration factor per method (this class or pooled)
    mae: dict[str, float]  # MAE of calibrated horizon totals per method (on common rows)
    n_rows: int
    pooled: bool
    bought_back: float  # actual / level_12m over the class's rows
    q: dict[str, np.ndarray] = field(default_factory=dict)  # method -> quantiles (0.025, 0.1, 0.9, 0.975)
    uncorrected: bool = False  # the whole portfolio's rise at its one backtest origin, not carried (choose_by_class)


QUANTILES = (0.025, 0.1, 0.9, 0.975)


def _factor(actual_tot: np.ndarray, fc_tot: np.ndarray) -> float:
    s = float(np.sum(fc_tot))
    if s <= 0:
        return 1.0
    return float(np.clip(np.sum(actual_tot) / s, *FACTOR_BOUNDS))


def _choose_on(
    ev: Evidence, rows: np.ndarray, available: tuple[str, ...], scale_up: bool = True
) -> tuple[str, dict, dict]:
    """Best method by MAE of calibrated horizon totals on the rows where every compared method applies."""
    act = ev.actual[rows].sum(axis=1)
    ok = {m: np.all(np.isfinite(ev.paths[m][rows]), axis=1) for m in available}
    enough = max(1, min(MIN_COMPARE_ROWS, len(rows)))
    methods = [m for m in available if ok[m].sum() >= enough]
    if not methods:
        return "recent_mean", {}, {}
    while True:
        common = np.logical_and.reduce([ok[m] for m in methods])
        if common.sum() >= enough or len(methods) == 1:
            break
        methods.remove(min(methods, key=lambda m: ok[m].sum()))
    factor, mae = {}, {}
    for m in available:
        if not ok[m].any():
            continue
        tot = ev.paths[m][rows][ok[m]].sum(axis=1)
        factor[m] = _factor(act[ok[m]], tot) if scale_up else min(_factor(act[ok[m]], tot), 1.0)
    # a method that forecast nothing for a class that bought is the zero forecast in disguise
    # (its small MAE would buy a bias): zero is only for the lapsed, by the rule above
    silent = [m for m in methods if np.sum(ev.paths[m][rows][ok[m]]) <= 0 < np.sum(act[ok[m]])]
    methods = [m for m in methods if m not in silent] or methods
    for m in methods:
        tot = ev.paths[m][rows][common].sum(axis=1) * factor[m]
        mae[m] = float(np.mean(np.abs(tot - act[common]))) if common.any() else np.inf
    best = min(methods, key=lambda m: (mae[m], (*CANDIDATES, "combined").index(m)))
    steady = [m for m in methods if WELL_CALIBRATED[0] <= factor[m] <= WELL_CALIBRATED[1]]
    if best not in steady and steady:
        alt = min(steady, key=lambda m: (mae[m], (*CANDIDATES, "combined").index(m)))
        if mae[best] > (1 - CORRECTION_MARGIN) * mae[alt]:
            best = alt
    return best, factor, mae


def _quantiles(ev: Evidence, rows: np.ndarray, method: str, factor: float) -> np.ndarray | None:
    """Quantiles of actual / calibrated forecast over the class's evidence months (forecast > 0)."""
    f = factor * ev.paths[method][rows]
    ok = np.isfinite(f) & (f > 0)
    if ok.sum() < 5:
        return None
    return np.quantile(ev.actual[rows][ok] / f[ok], QUANTILES)


MIX_SE = 2.0  # a single method replaces the mix only where its MAE is lower by this many standard errors


def _clearly_better(ev: Evidence, rows: np.ndarray, best: str, factor: dict, mae: dict) -> bool:
    """Whether ``best``'s calibrated horizon totals erred less than the mix's (``"combined"``) by more than
    :data:`MIX_SE` standard errors of the paired difference over the rows both methods were compared on."""
    common = np.logical_and.reduce([np.all(np.isfinite(ev.paths[m][rows]), axis=1) for m in mae])
    if common.sum() < 2:
        return False
    act = ev.actual[rows][common].sum(axis=1)
    err = {m: np.abs(ev.paths[m][rows][common].sum(axis=1) * factor.get(m, 1.0) - act) for m in (best, "combined")}
    d = err[best] - err["combined"]
    se = float(np.std(d, ddof=1) / np.sqrt(len(d)))
    return float(np.mean(d)) < -MIX_SE * se


def whole_portfolio_scales(ev: Evidence) -> bool:
    """Whether the whole portfolio's evidence may scale its methods up (:func:`choose_by_class`): from two
    backtest origins or more, or in a portfolio chosen by revenue."""
    return (ev.origin is not None and len(np.unique(ev.origin)) >= 2) or ev.chosen


def _mixed_choice(ev: Evidence, available: tuple[str, ...], pooled: ClassChoice) -> ClassChoice:
    """The whole portfolio's choice for the classes with too few rows of their own, from one backtest origin: the
    equal mix of :data:`COMBINED` (its path from :func:`candidate_paths`, at the origins and today alike) unless
    one of them could not be checked, the pooled choice erred clearly less than the mix
    (:func:`_clearly_better`) or the mix needed a correction outside :data:`WELL_CALIBRATED`; never scaled up."""
    members = tuple(m for m in COMBINED if m in available)
    if len(members) < len(COMBINED):
        return pooled
    all_rows = np.arange(len(ev.account))
    _, factor, mae = _choose_on(ev, all_rows, (*available, "combined"), scale_up=False)
    if "combined" not in mae or pooled.method not in mae or _clearly_better(ev, all_rows, pooled.method, factor, mae):
        return pooled
    if not WELL_CALIBRATED[0] <= factor["combined"] <= WELL_CALIBRATED[1]:  # a mix that needed correction: the
        return pooled  # pool's accounts are not those it is for (a cohort of one-time buyers), as in _choose_on
    raw = _choose_on(ev, all_rows, ("combined",))[1].get("combined", 1.0)
    q = dict(pooled.q)
    q_mix = _quantiles(ev, all_rows, "combined", factor["combined"])
    if q_mix is not None:
        q["combined"] = q_mix
    return ClassChoice("combined", factor, mae, pooled.n_rows, True, pooled.bought_back, q, raw >= 1.05)


def choose_by_class(ev: Evidence, available: tuple[str, ...]) -> tuple[dict[int, ClassChoice], ClassChoice]:
    """Per class (and for the whole portfolio) the method with the lowest out-of-time MAE.

    The whole portfolio's choice (taken by classes with too few rows) is not scaled up when its evidence comes
    from one backtest origin, unless the portfolio was chosen by revenue (``ev.chosen``): over every account at
    one date, buying above a method's forecast is mostly that period's growth of the whole portfolio (every
    account shares it), which need not repeat, not how the method misjudges one kind of account. Scaling down
    stays: accounts that stopped buying (a young cohort of one-time buyers) are a property of the accounts, not
    of the period. A class's own factor compares its accounts with their own kind and stays. In a list chosen by
    revenue the whole portfolio's factor is the regression to the mean of the choice (module docstring)."""
    all_rows = np.arange(len(ev.account))
    scale_up = whole_portfolio_scales(ev)
    best, factor, mae = _choose_on(ev, all_rows, available, scale_up=scale_up)
    ref = float(np.sum(ev.lapsed_ref) * ev.horizon)
    pooled = ClassChoice(best, factor, mae, len(all_rows), True, float(ev.actual.sum() / ref) if ref > 0 else 1.0)
    if not scale_up:  # was a rise of the chosen method's left out?
        raw = _choose_on(ev, all_rows, (best,))[1].get(best, 1.0)
        pooled.uncorrected = raw >= 1.05
    for m in factor:
        q = _quantiles(ev, all_rows, m, factor[m])
        if q is not None:
            pooled.q[m] = q
    if not scale_up:
        pooled = _mixed_choice(ev, available, pooled)
    out: dict[int, ClassChoice] = {}
    for k in np.unique(ev.klass):
        rows = np.flatnonzero(ev.klass == k)
        ref = float(np.sum(ev.lapsed_ref[rows]) * ev.horizon)
        back = float(ev.actual[rows].sum() / ref) if ref > 0 else np.nan
        if len(rows) < MIN_CLASS_ROWS:
            out[int(k)] = ClassChoice(
                pooled.method, pooled.factor, pooled.mae, len(rows), True, back, pooled.q, pooled.uncorrected
            )
            continue
        b, f, m = _choose_on(ev, rows, available)
        choice = ClassChoice(b, {**pooled.factor, **f}, m, len(rows), False, back)
        for meth in choice.factor:
            q = _quantiles(ev, rows, meth, choice.factor[meth])
            choice.q[meth] = q if q is not None else pooled.q.get(meth)
        out[int(k)] = choice
    # classes that mostly do not come back: zero where it has the lower error, within a bias budget
    act_tot = ev.actual.sum(axis=1)
    spent = 0.0
    order = sorted(
        (k for k, c in out.items() if not c.pooled and np.isfinite(c.bought_back)), key=lambda k: out[k].bought_back
    )
    for k in order:
        c = out[k]
        rows = ev.klass == k
        zero_mae = float(np.mean(act_tot[rows]))
        # its share of what was bought at the origins where such accounts were seen (a class that exists at one
        # origin of several would otherwise count against every origin's revenue and look smaller than it is)
        seen = np.isin(ev.origin, np.unique(ev.origin[rows])) if ev.origin is not None else np.ones_like(rows)
        total = float(act_tot[seen].sum())
        share = float(act_tot[rows].sum() / total) if total > 0 else 0.0
        if c.method in c.mae and zero_mae < c.mae[c.method] and spent + share <= ZERO_BIAS_BUDGET:
            c.mae["zero"] = zero_mae
            c.method = "zero"
            spent += share
    return out, pooled


SHARE_SLOPE_MAX = 5.0  # slopes of share_tilt read (beyond: no tilt); e**5 is a 150-fold spread between the extremes


def share_tilt(
    ev: Evidence,
    choices: dict[int, ClassChoice],
    pooled: ClassChoice,
    klass: np.ndarray,
    share: np.ndarray,
    paths: dict,
) -> np.ndarray | None:
    """In a portfolio chosen by revenue, per account (``klass``, ``share``: :func:`ordering_share` today, ``paths``:
    today's candidate paths), the multiplier of its class factor: exp(b x share), scaled so that each class's total
    today is its class factor's. None where the evidence gives no slope (not a chosen list, under
    :data:`MIN_CLASS_ROWS` usable rows, no slope within :data:`SHARE_SLOPE_MAX`, or none clear of its noise).

    One factor per class scales a lumpy account that made the list with a few large orders like a steady one that
    made it on its level. The slope b is the quasi-Poisson estimate on the evidence rows: each row's actual horizon
    total against its class's calibrated forecast (the class's chosen method and factor, the whole portfolio's for
    classes with too few rows) times exp(b x its ordering share at the origin), each class's rows keeping their
    total; b solves sum (actual - forecast) x (share - the class's forecast-weighted mean share) = 0, so the tilt
    is unbiased along the share as the factor is on the class total (bisection: the sum falls as b rises). A slope
    within one standard error of zero (sandwich) or below it is not read (a lumpy account is never forecast to keep
    more than a steady one: a negative slope is noise or another effect, as in a list without churn), and one above
    is shrunk by it, b (1 - se^2 / b^2). CDNOW's top 300 / 500 / 1,000 at four dates: b 1.1-2.6 before shrinking,
    1.4-4.8 standard errors from zero (``benchmarks/bench_real_data.py``)."""
    if not ev.chosen or ev.share is None:
        return None
    key = np.array([int(k) if int(k) in choices and not choices[int(k)].pooled else -1 for k in ev.klass])
    base = np.full(len(key), np.nan)
    for k in np.unique(key):
        c = choices[int(k)] if k >= 0 else pooled
        if c.method in ev.paths:
            rows = key == k
            base[rows] = c.factor.get(c.method, 1.0) * ev.paths[c.method][rows].sum(axis=1)
    ok = np.isfinite(base) & (base > 0)
    if ok.sum() < MIN_CLASS_ROWS:
        return None
    act, x, centred = ev.actual.sum(axis=1)[ok], ev.share[ok], np.zeros(int(ok.sum()))
    base, key = base[ok], key[ok]
    groups = [key == k for k in np.unique(key)]
    for g in groups:
        centred[g] = x[g] - np.average(x[g], weights=base[g])

    def score(b: float) -> float:
        pred = base * np.exp(b * x)
        for g in groups:
            pred[g] *= base[g].sum() / pred[g].sum()
        return float(np.sum((act - pred) * centred))

    lo, hi = -SHARE_SLOPE_MAX, SHARE_SLOPE_MAX
    if not score(lo) > 0 > score(hi):
        return None
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if score(mid) > 0 else (lo, mid)
    b = (lo + hi) / 2
    pred = base * np.exp(b * x)
    for g in groups:
        pred[g] *= base[g].sum() / pred[g].sum()
    # its standard error (sandwich: the score's spread over its slope); kept only above it, and shrunk by it
    se = float(np.sqrt(np.sum((act - pred) ** 2 * centred**2)) / np.sum(pred * centred**2))
    if not b > se:  # a lumpy account is never forecast to keep more than a steady one
        return None
    b *= 1 - (se / b) ** 2
    tilt = np.exp(b * share)
    key_now = np.array([int(k) if int(k) in choices and not choices[int(k)].pooled else -1 for k in klass])
    for k in np.unique(key_now):
        c = choices[int(k)] if k >= 0 else pooled
        rows = key_now == k
        p = paths[c.method][rows].sum(axis=1) if c.method in paths else np.full(int(rows.sum()), np.nan)
        fin = np.isfinite(p)
        if fin.any() and np.sum(p[fin] * tilt[rows][fin]) > 0:
            tilt[rows] *= np.sum(p[fin]) / np.sum(p[fin] * tilt[rows][fin])
        else:
            tilt[rows] = 1.0
    return tilt


def error_correlation(ev: Evidence, choices: dict[int, ClassChoice]) -> float:
    """Mean correlation between months of the (scaled) evidence errors of the class choices."""
    if ev.horizon < 2:
        return 0.0
    errs = []
    for k, c in choices.items():
        rows = np.flatnonzero(ev.klass == k)
        p = ev.paths[c.method][rows]
        ok = np.all(np.isfinite(p), axis=1) & (ev.scale[rows] > 0)
        if ok.any():
            errs.append((ev.actual[rows][ok] - c.factor.get(c.method, 1.0) * p[ok]) / ev.scale[rows][ok][:, None])
    if not errs:
        return 0.0
    e = np.vstack(errs)
    e = e - e.mean(axis=0)
    var_sum = float(np.var(e.sum(axis=1)))
    var_each = float(np.sum(np.var(e, axis=0)))
    sds = np.std(e, axis=0)
    cross = float(np.sum(np.outer(sds, sds)) - np.sum(sds**2))
    if cross <= 0:
        return 0.0
    return float(np.clip((var_sum - var_each) / cross, 0.0, 1.0))


# ---------------------------------------------------------------------------------------
# the forecast each account gets
# ---------------------------------------------------------------------------------------
@dataclass
class Selection:
    """Per account (rows in ``ids`` order): the chosen method, why, and its forecast path."""

    ids: np.ndarray
    method: np.ndarray  # keys of METHOD_WORDS
    reason: np.ndarray  # one sentence each
    factor: np.ndarray  # calibration factor applied to the method's path
    mean: np.ndarray  # (n, h)
    lo: dict[float, np.ndarray]  # level -> (n, h)
    hi: dict[float, np.ndarray]
    sd: np.ndarray  # (n, h) normal-equivalent spread of each month
    model_intervals: np.ndarray  # bool (n,): intervals are the model's own (scaled), not conformal
    rho: float  # correlation between months of the errors (for sums over months)
    methods: pd.DataFrame  # the evidence per method, for the bundle
    evidence_cases: int
    total_ratio: np.ndarray | None = None  # (n, 2) the horizon total's 80% range as multiples of its forecast
    total_months: int = 0  # the backtest's horizon those multiples were measured on (0: no backtest)
    evidence: Evidence | None = None  # the out-of-time rows behind the choice (None: no backtest)
    klass: np.ndarray | None = None  # (n,) each account's class (account_state)
    one_time: np.ndarray | None = None  # (n,) bool: a silent one-time buyer on the modified BG/NBD as fitted
    btyd: BtydNow | None = None  # what the BTYD model says of each account now (its chance of no order)
    young: np.ndarray | None = None  # (n,) months since a first order inside the data, where under YOUNG_MONTHS
    young_base: np.ndarray | None = None  # (n,) each account's mean so far (State.recent), what young ratios scale
    young_evidence: YoungEvidence | None = None  # what accounts as new bought next (None: too few in the history)
    young_counts: BtydNow | None = None  # a new account's own ordering months as a count model (no portfolio prior)
    spread: np.ndarray | None = None  # (n,) own spread relative to the portfolio's typical one (:func:`own_spreads`)
    evidence_spread: np.ndarray | None = None  # (rows,) the same of each evidence row's account at its origin
    lumpier: np.ndarray | None = None  # (n,) bool: in the lumpier half of its class (:func:`lumpier_half`)
    evidence_lumpier: np.ndarray | None = None  # (rows,) bool: the same of each evidence row at its origin
    variation: np.ndarray | None = None  # (n,) monthly_variation of each account now (:func:`variations`)
    evidence_variation: np.ndarray | None = None  # (rows,) the same of each evidence row's account at its origin
    usual: np.ndarray | None = None  # (n,) each account's mean month of its last 12 (State.level)
    returns: ReturnHistory | None = None  # what accounts silent long bought back in the history (method returning)
    former: np.ndarray | None = None  # (n,) each account's former monthly level (State.former)
    return_of: np.ndarray | None = None  # (n,) object: the ReturnEvidence of each account on returning, else None
    order_weeks: np.ndarray | None = None  # (n,) weeks with an order (for the window mean's range)
    data_weeks: float = 0.0  # weeks of the data
    window_once: np.ndarray | None = None  # (n,) bool: on the window mean as one order once in the next 12 months
    chosen_note: str = ""  # a portfolio chosen by revenue: which accounts the evidence counted (forecast.accounts)

    def total_ratios(self, months: int) -> list:
        """Per account, sorted out-of-time actual / forecast totals over ``months`` months (:func:`total_ratios`);
        all None without a backtest."""
        if self.evidence is None or self.klass is None:
            return [None] * len(self.ids)
        return total_ratios(self.evidence, self.klass, self.method, self.factor, months)

    @property
    def method_words(self) -> np.ndarray:
        return np.array([METHOD_WORDS[m] for m in self.method], dtype=object)


def _backtests(n: int) -> str:
    return "1 backtest" if int(n) == 1 else f"{int(n)} backtests"


def _mix_reason(c: ClassChoice, factor: float) -> str:
    """Why an account takes the equal mix (:func:`_mixed_choice`)."""
    single = sorted((o for o in c.mae if o != "combined" and np.isfinite(c.mae[o])), key=lambda o: c.mae[o])
    text = (
        "An equal mix of the kamtools model, the BTYD expected value and the mean of the last 6 months: with a "
        "single backtest date, the evidence across all accounts could not tell the methods apart (horizon totals "
        f"off by {money(c.mae['combined'])} on average for the mix"
    )
    if single:
        text += f", against {money(c.mae[single[0]])} for the {METHOD_WORDS[single[0]]}, the best single method"
    text += "), and a mix errs less than one method picked on so little"
    if abs(factor - 1.0) >= 0.05:
        text += f"; scaled by {factor:.2f} to what such accounts really bought"
    return text + "."


def _class_reason(m: str, k: int, c: ClassChoice, factor: float) -> str:
    if m == "combined" and "combined" in c.mae:
        return _mix_reason(c, factor)
    who = "all accounts" if c.pooled else class_words(k)
    others = sorted((o for o in c.mae if o != m and np.isfinite(c.mae[o])), key=lambda o: c.mae[o])
    rival = "model" if m != "model" and "model" in c.mae else (others[0] if others else None)
    name = f"{METHOD_WORDS[m][0].upper()}{METHOD_WORDS[m][1:]}"
    tied = [o for o in others if m in c.mae and money(c.mae[o]) == money(c.mae[m])]  # a tie is not "lowest"
    if tied:
        text = f"{name} was as good as the {METHOD_WORDS[tied[0]]} out of time among {who}"
        text += f" (horizon totals off by {money(c.mae[m])} on average for both"
        if rival is not None and rival not in tied:
            text += f", against {money(c.mae[rival])} for the {METHOD_WORDS[rival]}"
        text += ")"
    lower = [o for o in others if m in c.mae and o not in tied and c.mae[o] < c.mae[m]]
    if lower and not tied:
        # not the lowest error: the steadiness rule (see _choose_on) preferred a method that needed less correction
        o = c.method if c.method in lower else lower[0]
        words = METHOD_WORDS.get(o, o)
        if m != c.method:  # the class's choice gives this account no forecast: the next best that does
            text = (
                f"{name} is used because the {words}, which erred less out of time among {who} (horizon totals off "
                f"by {money(c.mae[o])} on average, against {money(c.mae[m])} for the {METHOD_WORDS[m]}), gives no "
                "forecast for this account"
            )
        else:
            text = (
                f"{name} was chosen among {who} although the {words} erred slightly less out of time (horizon "
                f"totals off by {money(c.mae[m])} on average, against {money(c.mae[o])}): the {words}'s "
                f"forecasts had to be scaled by {c.factor.get(o, 1.0):.2f} to match what such accounts bought, and a "
                "method that needs that much correction is only taken when its error is clearly lower"
            )
        rival = None
    elif not tied:
        text = f"{name} had the lowest out-of-time error among {who}"
    if rival is not None and m in c.mae and not tied:
        text += (
            f" (horizon totals off by {money(c.mae[m])} on average, against {money(c.mae[rival])} for the "
            f"{METHOD_WORDS[rival]})"
        )
    if abs(factor - 1.0) >= 0.05:
        text += f", scaled by {factor:.2f} to what such accounts really bought"
    elif c.pooled and c.uncorrected:
        text += (
            ", not scaled up to what they bought then: a rise at a single backtest date is mostly the whole "
            "portfolio's growth in that period, which need not repeat"
        )
    if c.pooled:
        text += (
            ". All accounts were compared because too few accounts like this one had been seen for a comparison "
            "of their own"
        )
    return text + "."


def _lapsed_by_gap(state: State) -> np.ndarray:
    """Silent for :data:`LAPSED_MONTHS` or more and four times the account's rhythm."""
    return (state.gap >= LAPSED_MONTHS) & (~np.isfinite(state.rhythm) | (state.gap >= 4 * state.rhythm))


@dataclass
class _OwnEvidence:
    """Each account's own out-of-time errors, per method (mean and count of its horizon-total errors)."""

    mae: pd.DataFrame  # account x (method, mean | count)
    rows: pd.Series  # account -> its evidence rows
    regular: set  # accounts whose own evidence may override their class's choice


def _own_evidence(ev: Evidence, available: tuple[str, ...], choices: dict, pooled: ClassChoice) -> _OwnEvidence:
    """Per account and method, the MAE of the calibrated horizon totals over the account's evidence rows."""
    act_tot = ev.actual.sum(axis=1)
    own = pd.DataFrame({"account": ev.account})
    for m in available:
        f_row = np.array([choices.get(int(k), pooled).factor.get(m, 1.0) for k in ev.klass])
        own[m] = np.abs(ev.paths[m].sum(axis=1) * f_row - act_tot)
    own_mae = own.groupby("account", sort=True).agg(["mean", "count"])
    own_rows = own.groupby("account", sort=True).size()
    # only a regular buyer's own backtest says something about it: for an account that bought
    # nothing in the windows, the lowest forecast always "wins" (and would bias the total)
    ordering = pd.Series((ev.actual > 0).sum(axis=1), index=ev.account).groupby(level=0).sum()
    regular = set(
        own_rows.index[
            (own_rows >= MIN_OWN_ORIGINS)
            & (own_rows * ev.horizon >= MIN_OWN_MONTHS)
            & (ordering.reindex(own_rows.index) >= 0.5 * own_rows * ev.horizon)
        ]
    )
    return _OwnEvidence(own_mae, own_rows, regular)


def _own_override(
    uid: str, i: int, m: str, own: _OwnEvidence, available: tuple[str, ...], paths: dict, horizon: int
) -> tuple[str, str] | None:
    """(method, reason) when another method beat ``m`` in the account's own backtest by :data:`OWN_MARGIN`."""
    row = own.mae.loc[uid]
    best_alt, best_val = None, np.inf
    base = row[(m, "mean")] if (m, "mean") in row.index else np.nan
    for alt in available:
        if alt == m or not np.all(np.isfinite(paths[alt][i])):
            continue
        val = row[(alt, "mean")]
        if np.isfinite(val) and row[(alt, "count")] == own.rows[uid] and val < best_val:
            best_alt, best_val = alt, val
    if best_alt is None or not np.isfinite(base) or not best_val < OWN_MARGIN * base:
        return None
    text = (
        f"{METHOD_WORDS[best_alt][0].upper()}{METHOD_WORDS[best_alt][1:]} beat the "
        f"{METHOD_WORDS[m]} in this account's own backtest: its {horizon}-month totals were off by "
        f"{money(best_val)} on average against {money(base)}, over {_backtests(own.rows[uid])}."
    )
    return best_alt, text


def _zero_class_reason(k: int, c: ClassChoice) -> str:
    return (
        f"Similar accounts ({class_words(k)}) bought back only {c.bought_back:.0%} of their former level "
        f"out of time, where a zero forecast erred less (its horizon totals were off by {money(c.mae['zero'])} "
        "on average) than any other."
    )


NO_CHECK_BTYD = (
    "The history is too short for an out-of-time check, so the forecast is the BTYD expected value as fitted (the "
    "buying rhythm and spend of all accounts, with the chance that this one has stopped), not a projection of this "
    "account's own few months."
)


def btyd_unusable(fit: BtydNow | None) -> bool:
    """A BTYD fit that cannot stand without an out-of-time check: its purchase rates do not vary between
    accounts (a Gamma prior of shape at least :data:`COMMON_RATE_SHAPE`, at the edge of the search), so every
    account gets about the same number of purchases whatever it bought (a demo of one month: every one-week
    buyer 292.9k, 80% range 236.1k to 351.2k, for true totals of 43k-79k). A fit whose other parameters are
    undetermined but whose rates still vary keeps its place (an acquisition cohort of 3 months). The value stage
    passes the forecasts a family with this fit only where the other family's fit has it too
    (:func:`kamtools.value.choose_btyd`, status ``"common_rate"``), so this check guards that case and a fit
    at the end of the last complete month that differs from the value stage's at ``as_of``."""
    if fit is None:
        return False
    shape = np.asarray(fit.shape, dtype=float)
    return bool(np.isfinite(shape).any() and np.nanmin(shape) >= COMMON_RATE_SHAPE)


NO_CHECK_UNIDENTIFIED = (
    " A buying-rhythm model was fitted, but so short a history does not determine it: it gives every account about "
    "the same number of purchases, so it is not used."
)
NO_CHECK_ONCE = (
    "Ordered in one week only in the {months} month{s} of the data, and no account of the portfolio has ordered in "
    "two different weeks yet, so nothing shows how often accounts reorder: the forecast is that order once in the "
    "next 12 months (not repeated every month), and its range runs from zero (it may never order again) to that "
    "order every month."
)
NO_CHECK_WINDOW = (
    "The history is too short for an out-of-time check and for a buying-rhythm model, so the forecast is this "
    "account's mean over the {months} month{s} of the data (months before its first order count as nothing), not a "
    "projection of its own first months."
)


def _months(n: float) -> str:
    return "1 month" if int(n) == 1 else f"{int(n)} months"


def _silence(gap: float, once: bool) -> str:
    """The silence in whole months with no order (the months after the last order's month, so it agrees with
    the days since the last order), and against what: a one-month buyer has no gap between orders to compare."""
    head = f"No order for {_months(gap)}"
    return head + (" after ordering in one month only" if once else ", over four times its usual gap between orders")


def _one_time_reason(gap: float, backtested: bool) -> str:
    why = (
        "the backtest had no similar accounts to correct it with" if backtested else "there is no backtest to check it"
    )
    return (
        f"Ordered in one month only, none in the last {_months(gap)}: the modified BG/NBD expected value as fitted, "
        f"which allows a customer to stop after the first order ({why})."
    )


def _lapsed_reason(gap: float, c: ClassChoice, once: bool = False) -> str:
    text = _silence(gap, once)
    if c.n_rows >= MIN_CLASS_ROWS and np.isfinite(c.bought_back):
        return text + f", and similar accounts bought back only {c.bought_back:.0%} of their former level out of time."
    return text + (
        ": the backtest and the rest of the history had too few accounts silent this long to measure how many come "
        "back, so the forecast counts on no return."
    )


@dataclass
class _Context:
    """What every account's choice reads: candidate paths, class choices, own evidence."""

    paths: dict
    choices: dict[int, ClassChoice]
    pooled: ClassChoice
    unseen: ClassChoice  # a class the evidence never saw
    own: _OwnEvidence
    available: tuple[str, ...]
    horizon: int
    one_time: np.ndarray  # (n,) bool: silent one-time buyers of unseen classes on the modified BG/NBD path
    young: np.ndarray | None = None  # (n,) months since a first order inside the data, where under YOUNG_MONTHS
    survival: tuple[float, int] = (np.nan, 0)  # :func:`survival_share` of the evidence
    buys_again: np.ndarray | None = None  # (n,) BTYD chance of an order within the horizon (NaN: not fitted)
    silent_long: np.ndarray | None = None  # (n,) State.silent_long
    own_rhythm: np.ndarray | None = None  # (n,) State.own_rhythm
    ordering: np.ndarray | None = None  # (n,) State.ordering
    returns: ReturnHistory | None = None  # what accounts silent long bought back in the history (history_returns)
    tilt: np.ndarray | None = (
        None  # (n,) chosen portfolio: the class factor's multiplier by ordering share (share_tilt)
    )
    share: np.ndarray | None = None  # (n,) ordering_share today, where tilt is set


def _every(months: float) -> str:
    return "every month" if months < 1.5 else f"every {months:.0f} months"


MIN_SURVIVAL = 0.01  # a survival share under this forecasts a long-silent account zero (the lapsed rule's figures)
RETURN_LIKELY = 0.5  # above this share of silences ending in an order, the median outcome of one is a return


def _silent_scale(i: int, gap: float, cx: _Context) -> tuple[str, float, str]:
    """(method, factor, reason) of an account silent long against its own history: the mean of its last 12
    months scaled by survival (never above it, so never growth), zero where nothing measures survival."""
    head = (
        f"No order for {int(gap)} months, while it used to order about {_every(float(cx.own_rhythm[i]))} and "
        "never paused this long before"
    )
    share, rows = cx.survival
    if rows >= MIN_CLASS_ROWS and np.isfinite(share):
        f = float(min(max(share, 0.0), 1.0))
        if f < MIN_SURVIVAL:
            return (
                "zero",
                0.0,
                f"{head}: {rows} accounts as silent in the backtest bought back under 1% of their level.",
            )
        return (
            "level_12m",
            f,
            (
                f"{head}: the mean of its last 12 months times {f:.0%}, what {rows} accounts as silent in the backtest "
                "bought of their former level."
            ),
        )
    p = np.nan if cx.buys_again is None else float(cx.buys_again[i])
    if np.isfinite(p):
        f = float(min(max(p, 0.0), 1.0))
        if f < MIN_SURVIVAL:  # a forecast of a few cents reads as a forecast; the account is treated as lapsed
            return (
                "zero",
                0.0,
                f"{head}: the buying-rhythm model puts its chance of ordering again in the next {cx.horizon} months "
                "under 1%.",
            )
        return (
            "level_12m",
            f,
            (
                f"{head}: the mean of its last 12 months times {f:.0%}, the buying-rhythm model's chance that it "
                f"orders again in the next {cx.horizon} months."
            ),
        )
    back = None if cx.returns is None else _returning(i, head, gap, cx)
    if back is not None:
        return back
    return (
        "zero",
        0.0,
        f"{head}: the backtest had too few accounts silent this long to measure how many come back and no checked "
        "buying-rhythm model gives its chance of ordering again, so the forecast counts on no return.",
    )


def _lapsed_choice(i: int, gap: float, c: ClassChoice, cx: _Context) -> tuple[str, float, str]:
    """(method, factor, reason) of an account lapsed by its gap: zero where its class's backtest showed such
    accounts do not come back; where the backtest had too few of them to say, what accounts as silent bought
    back in the history (:func:`_returning`); else zero, saying that nothing measured a return."""
    once = cx.ordering is not None and int(cx.ordering[i]) == 1
    judged = c.n_rows >= MIN_CLASS_ROWS and np.isfinite(c.bought_back)
    back = None if judged or cx.returns is None else _returning(i, _silence(gap, once), gap, cx)
    return back or ("zero", 0.0, _lapsed_reason(gap, c, once))


def _returning(i: int, head: str, gap: float, cx: _Context) -> tuple[str, float, str] | None:
    """(method, factor, reason) of a long-silent account the backtest could not judge, from what accounts as
    silent bought back in the history (:meth:`ReturnHistory.like`); None where the history has too few such
    accounts.

    The point is the median of what such a silence led to (:func:`return_median`), the point with the lowest
    absolute error: zero where at most half of such silences ended in an order (:data:`RETURN_LIKELY`), else
    a return as large as the middle one. It is read only from accounts of the same kind (one-month or repeat
    buyers): where too few of its kind were silent, the pooled evidence gives its range and its words but the
    point stays zero. Zero too where they bought back under :data:`MIN_SURVIVAL` of their level, or without a
    former level."""
    once = cx.ordering is not None and int(cx.ordering[i]) == 1
    r = cx.returns.like(gap, once)
    if r is None:
        return None
    who = {True: "one-month buyers", False: "accounts that had ordered in several months", None: "accounts"}[r.once]
    counted = (
        f"{r.bought:.0%} of those silences ended in an order"
        if r.per_silence
        else f"counted at every month they were that silent, {r.bought:.0%} of those months were followed by an order"
    )
    seen = (
        f"in this history {r.rows:,} {who} were silent {r.silence} months or more; {counted} within up to "
        f"{_months(r.months)}, and they bought {r.share:.1%} of their former monthly level"
    )
    former = 0.0 if cx.paths.get("returning") is None else float(cx.paths["returning"][i, 0])
    if r.share < MIN_SURVIVAL or not former > 0:
        return "zero", 0.0, f"{head}: the backtest had too few accounts silent this long to judge, and {seen}."
    judge = f"{head}: the backtest had too few accounts silent this long to judge, and {seen}"
    span = "its range starts at zero and reaches what such accounts that came back bought."
    f = return_median(r)
    if f <= 0.0:  # at most half of such silences ended in an order: nothing is the likeliest outcome
        return (
            "returning",
            0.0,
            (
                f"{judge}. Most such silences did not end in an order, so the forecast counts on nothing from it (the "
                f"likeliest outcome); {span}"
            ),
        )
    if r.once is None:  # one-month and repeat buyers together: a return of the one says little of the other
        kind = "were one-month buyers" if once else "had ordered in several months"
        return (
            "returning",
            0.0,
            (
                f"{judge}. Fewer than {MIN_CLASS_ROWS} of them {kind}, too few to tell how often an account like this "
                "one comes back (one-month buyers and repeat buyers come back at different rates), so the forecast "
                f"counts on nothing from it; {span}"
            ),
        )
    f = min(f, 1.0)  # never growth on a silence
    return (
        "returning",
        float(f),
        (
            f"{judge}, so the forecast is its former monthly level ({money(former)}) times {f:.1%}, the middle "
            f"outcome of such silences (as many ended lower, or in no order, as higher); {span}"
        ),
    )


def return_median(r: ReturnEvidence) -> float:
    """The median monthly multiple of its former level that a silence like ``r`` led to: no order with chance
    ``1 - r.bought``, else one of ``r.multiples``. Zero where at most half ended in an order
    (:data:`RETURN_LIKELY`), else the ``(p - 0.5) / p`` quantile of the multiples of those that ordered (``p`` =
    ``r.bought``), the point with the lowest mean absolute error over such outcomes. It is below the mean
    (``r.share``) where the multiples are skewed, so a sum of such points under-forecasts the total."""
    p = float(r.bought)
    if not p > RETURN_LIKELY or not len(r.multiples):
        return 0.0
    return float(np.quantile(r.multiples, (p - RETURN_LIKELY) / p))


def _young_reason(age: int, m: str, f: float) -> str:
    months = "1 month" if age == 1 else f"{age} months"
    text = (
        f"A new account (first order {months} ago): the {METHOD_WORDS[m]}, its orders spread over at least "
        f"{YOUNG_MIN_MONTHS} months, not the kamtools model fitted to its own {months}, which takes a first order "
        "for a level"
    )
    return text + (f", scaled by {f:.2f} to what similar accounts really bought." if abs(f - 1) > 0.005 else ".")


def _tilt_words(tilt: float, share: float) -> str:
    return (
        " In a list chosen by revenue part of a place is luck that does not repeat, more so for an account that "
        "made it with a few large orders than for one that orders steadily: the class's correction is shared out by "
        f"the share of months with an order ({share:.0%} for this account), so its forecast is {tilt:.2f} times the "
        "class's (what such accounts bought after earlier dates)."
    )


def _choose_account(i: int, uid: str, k: int, gap: float, lapsed: bool, cx: _Context) -> tuple[str, float, str, object]:
    """(method, factor, reason, interval quantiles) of one account: its class's choice, then its own
    evidence, the silent one-time buyer's modified BG/NBD where the class went unseen, then the zero
    rules (class that does not come back; lapsed by its gap)."""
    c = cx.choices.get(k) or cx.unseen
    ranked = [c.method] + sorted((m for m in c.mae if m != c.method), key=lambda m: c.mae[m])
    ranked += [m for m in ("recent_mean", "level_12m") if m not in ranked]
    m = next(x for x in ranked if np.all(np.isfinite(cx.paths[x][i])))
    f = c.factor.get(m, 1.0)
    text = _class_reason(m, k, c, f)
    if uid in cx.own.regular:
        switch = _own_override(uid, i, m, cx.own, cx.available, cx.paths, cx.horizon)
        if switch is not None:
            m, text = switch
            f = c.factor.get(m, 1.0)
    age = 0 if cx.young is None else int(cx.young[i])
    if age and m in ("model", "combined"):  # a model fitted to a new account's few months carries its first order on
        m = next(x for x in ranked if x not in ("model", "combined") and np.all(np.isfinite(cx.paths[x][i])))
        f = c.factor.get(m, 1.0)
        text = _young_reason(age, m, f)
    if cx.tilt is not None and abs(cx.tilt[i] - 1.0) >= 0.005:  # a chosen list: the class factor by ordering share
        f *= float(cx.tilt[i])
        text += _tilt_words(float(cx.tilt[i]), float(cx.share[i]))
    if cx.one_time[i]:
        m, f, text = "btyd", 1.0, _one_time_reason(gap, True)
    if c.method == "zero" and not (uid in cx.own.regular and m != "zero"):
        m, f, text = "zero", 0.0, _zero_class_reason(k, c)
    comes_back = c.n_rows >= MIN_CLASS_ROWS and np.isfinite(c.bought_back) and c.bought_back >= LAPSED_SHARE
    if lapsed and not comes_back:
        m, f, text = _lapsed_choice(i, gap, c, cx)
    elif cx.silent_long is not None and cx.silent_long[i] and m != "zero":
        scaled = _silent_scale(i, gap, cx)  # a cap: a forecast already below survival's is kept
        if scaled[1] * np.sum(cx.paths[scaled[0]][i]) < f * np.sum(cx.paths[m][i]):
            m, f, text = scaled
    q = c.q.get(m, cx.pooled.q.get(m)) if m != "zero" else None
    return m, f, text, q


def _methods_rows(ev: Evidence, pooled: ClassChoice) -> list[dict]:
    """The out-of-time comparison per method, for the bundle's ``forecast_methods`` table."""
    act_tot = ev.actual.sum(axis=1)
    rows_out = []
    mixed = ("combined",) if pooled.method == "combined" else ()  # the mix, where accounts take it (_mixed_choice)
    for m in (*CANDIDATES, "zero", *mixed):
        if m not in ev.paths:
            continue
        p = ev.paths[m]
        ok = np.all(np.isfinite(p), axis=1)
        if not ok.any():
            continue
        fc = p[ok].sum(axis=1)
        a = act_tot[ok]
        rows_out.append(
            {
                "method": m,
                "description": METHOD_WORDS[m],
                "cases": int(ok.sum()),
                "mae": float(np.mean(np.abs(fc - a))),
                "bias_pct": float(100 * (fc.sum() / a.sum() - 1)) if a.sum() > 0 else np.nan,
                "factor": float(pooled.factor.get(m, np.nan)),
                "mae_calibrated": float(np.mean(np.abs(fc * pooled.factor.get(m, 1.0) - a))),
                "accounts_using": 0,
            }
        )
    return rows_out


def _ordered_once(order_weeks: np.ndarray | None, has_btyd: np.ndarray) -> np.ndarray:
    """Accounts on the window mean that ordered in one week only, where no account ordered in two weeks."""
    if order_weeks is None:
        return np.zeros(len(has_btyd), dtype=bool)
    weeks = np.nan_to_num(np.asarray(order_weeks, dtype=float))
    if (weeks >= 2).any():
        return np.zeros(len(has_btyd), dtype=bool)
    return ~has_btyd & (weeks == 1)


def _choose_all(
    state: State,
    ids: np.ndarray,
    paths: dict,
    ev: Evidence | None,
    btyd_now,
    one_time_btyd: np.ndarray | None = None,
    buys_again: np.ndarray | None = None,
    returns: ReturnHistory | None = None,
    order_weeks: np.ndarray | None = None,
    unidentified: bool = False,
    share: np.ndarray | None = None,
) -> tuple:
    """(method, factor, reason, quantiles, rho, methods rows, one-time mask) of every account.

    ``share``: each account's :func:`ordering_share` today, which in a portfolio chosen by revenue shares its class
    factor out (:func:`share_tilt`).

    ``one_time_btyd``: the modified BG/NBD's monthly path per account (None: not fitted); the silent
    one-time buyers of classes the evidence did not see get it as their ``paths["btyd"]`` row (the mask)."""
    n = len(ids)
    method = np.full(n, "model", dtype=object)
    reason = np.full(n, "", dtype=object)
    factor = np.ones(n)
    qs: list = [None] * n
    lapsed = _lapsed_by_gap(state)
    one_time = np.zeros(n, dtype=bool)
    if one_time_btyd is not None:
        h = paths["btyd"].shape[1]
        one_time = state.silent_one_time & np.all(np.isfinite(one_time_btyd[:, :h]), axis=1)
        if ev is not None:
            k_ev, rows = np.unique(ev.klass, return_counts=True)
            one_time &= ~np.isin(state.klass, k_ev[rows >= MIN_CLASS_ROWS])
        paths["btyd"] = np.where(one_time[:, None], one_time_btyd[:, :h], paths["btyd"])
    if ev is None:  # never a trend of the account's own few months (an acquisition month is no level)
        has_btyd = np.all(np.isfinite(paths["btyd"]), axis=1) & (btyd_now is not None)
        method[:] = np.where(has_btyd, "btyd", "window_mean")
        months = int(state.window_months)
        reason[:] = NO_CHECK_BTYD
        s = "" if months == 1 else "s"
        reason[~has_btyd] = NO_CHECK_WINDOW.format(months=months, s=s) + (NO_CHECK_UNIDENTIFIED if unidentified else "")
        once = _ordered_once(order_weeks, has_btyd)
        if once.any():  # nobody has reordered yet: a first order is not a monthly level
            paths["window_mean"] = paths["window_mean"].copy()
            paths["window_mean"][once] *= months / max(months, 12)
            reason[once] = NO_CHECK_ONCE.format(months=months, s=s)
        method[one_time] = "btyd"
        for i in np.flatnonzero(one_time):
            reason[i] = _one_time_reason(state.gap[i], False)
        method[lapsed] = "zero"
        for i in np.flatnonzero(lapsed):
            once = state.ordering is not None and int(state.ordering[i]) == 1
            reason[i] = _silence(state.gap[i], once) + "."
        return method, factor, reason, qs, 0.0, [], one_time & (method == "btyd")
    available = tuple(m for m in CANDIDATES if np.isfinite(ev.paths[m]).all(axis=1).any())
    if btyd_now is None:
        available = tuple(m for m in available if m != "btyd")
    choices, pooled = choose_by_class(ev, available)
    cx = _Context(
        paths=paths,
        choices=choices,
        pooled=pooled,
        unseen=replace(pooled, n_rows=0, bought_back=np.nan),
        own=_own_evidence(ev, available, choices, pooled),
        available=available,
        horizon=ev.horizon,
        one_time=one_time,
        young=state.young,
        survival=survival_share(ev),
        buys_again=buys_again,
        silent_long=state.silent_long,
        own_rhythm=state.own_rhythm,
        ordering=state.ordering,
        returns=returns,
    )
    if share is not None:
        cx.tilt = share_tilt(ev, choices, pooled, state.klass, share, paths)
        cx.share = share
    for i in range(n):
        method[i], factor[i], reason[i], qs[i] = _choose_account(
            i, ids[i], int(state.klass[i]), state.gap[i], bool(lapsed[i]), cx
        )
    rows_out = _methods_rows(ev, pooled)
    return method, factor, reason, qs, error_correlation(ev, choices), rows_out, one_time & (method == "btyd")


def _class_rows(ev: Evidence, k: int) -> tuple[np.ndarray, int]:
    """(evidence rows, key) of class ``k``: the whole portfolio (key -1) where it has under :data:`MIN_CLASS_ROWS`."""
    rows = np.flatnonzero(ev.klass == k)
    return (np.arange(len(ev.account)), -1) if len(rows) < MIN_CLASS_ROWS else (rows, int(k))


def total_ratios(ev: Evidence, klass: np.ndarray, method: np.ndarray, factor: np.ndarray, months: int) -> list:
    """Per account, the actual / forecast totals of its first ``months`` months (at most the backtest's
    horizon) over the backtest rows of its class (the whole portfolio where the class has under
    :data:`MIN_CLASS_ROWS` rows), its method calibrated as its own forecast is; sorted. None for the zero
    forecast and where fewer than :data:`MIN_TOTAL_ROWS` rows had a forecast total. Accounts sharing
    class, method and factor share one array."""
    return _class_total_ratios(ev, klass, method, factor, months, lambda r, rows: np.sort(r))


def _class_total_ratios(
    ev: Evidence, klass: np.ndarray, method: np.ndarray, factor: np.ndarray, months: int, summarise
) -> list:
    """Per account, ``summarise(ratios, rows)`` of the actual / forecast totals of its first ``months`` months
    over the backtest rows of its class that had a forecast total (``rows``: their evidence row numbers), its
    method calibrated as its own forecast is; None for the zero forecast and under :data:`MIN_TOTAL_ROWS` such
    rows. Accounts sharing class, method and factor share one result."""
    h = max(1, min(int(months), ev.horizon))
    out: list = [None] * len(method)
    cache: dict = {}
    for i in np.flatnonzero(method != "zero"):
        rows, k = _class_rows(ev, klass[i])
        key = (k, method[i], factor[i])
        if key not in cache:
            f = factor[i] * ev.paths[method[i]][rows][:, :h]
            ok = np.all(np.isfinite(f), axis=1) & (np.nansum(f, axis=1) > 0)
            cache[key] = None
            if ok.sum() >= MIN_TOTAL_ROWS:
                cache[key] = summarise(ev.actual[rows][ok][:, :h].sum(axis=1) / f[ok].sum(axis=1), rows[ok])
        out[i] = cache[key]
    return out


def ratio_bounds(ratio: np.ndarray, level: float = 80) -> tuple[float, float]:
    """Range at ``level`` percent of a total as multiples of its forecast from out-of-time ratios: their
    (for 80) 10% and 90% quantiles; zero to the 80% quantile where more than 10% of them are zero."""
    tail = round((1 - level / 100) / 2, 12)
    quantiles = TOTAL_QUANTILES if level == 80 else (tail, 1 - tail)
    upper = ZERO_START_UPPER if level == 80 else level / 100
    low, high = np.quantile(ratio, quantiles)
    return (0.0, float(np.quantile(ratio, upper))) if low <= 0 else (float(low), float(high))


def total_ratio_range(ev: Evidence, klass: np.ndarray, method: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """(n, 2) bounds of each account's 80% range of its horizon total, as multiples of its forecast total.

    :func:`ratio_bounds` of the account's :func:`total_ratios` over the backtest's horizon: 8 in 10
    accounts like it ended inside such a range out of time. NaN where there are no such ratios.
    """
    out = np.full((len(method), 2), np.nan)
    bounds: dict = {}
    for i, ratio in enumerate(total_ratios(ev, klass, method, factor, ev.horizon)):
        if ratio is not None:
            if id(ratio) not in bounds:
                bounds[id(ratio)] = ratio_bounds(ratio)
            out[i] = bounds[id(ratio)]
    return out


def own_errors(y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean squared log error, origins) of each account's own history as a forecast of itself: at every month
    with :data:`OWN_BASE_MONTHS` months of its own before it (spikes capped) and ``h`` after, inside ``y``, the log
    of its next ``h`` months' total over ``h`` times its mean of those months (at least :data:`OWN_FLOOR`). A
    steady account's totals stay near its recent level (small errors), an erratic one's do not."""
    y = np.asarray(y, dtype=float)
    n, t = y.shape
    b = OWN_BASE_MONTHS
    capped, _ = cap_spikes(y)
    zero = np.zeros((n, 1))
    c_base = np.hstack([zero, np.cumsum(np.nan_to_num(capped), axis=1)])
    c_raw = np.hstack([zero, np.cumsum(np.nan_to_num(y), axis=1)])
    c_fin = np.hstack([zero, np.cumsum(np.isfinite(y), axis=1)])
    total, count = np.zeros(n), np.zeros(n)
    for o in range(b - 1, t - h):  # o: the origin's last month
        base = (c_base[:, o + 1] - c_base[:, o + 1 - b]) / b
        ok = (c_fin[:, o + 1] - c_fin[:, o + 1 - b] == b) & (base > 0)
        ahead = c_raw[ok, o + 1 + h] - c_raw[ok, o + 1]
        total[ok] += np.log(np.maximum(ahead / (h * base[ok]), OWN_FLOOR)) ** 2
        count[ok] += 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0), count


def relative_spread(y: np.ndarray, h: int, klass: np.ndarray | None = None) -> np.ndarray:
    """Each account's own spread (:func:`own_errors`) relative to that of accounts like it: the square root of
    its mean squared error, shrunk towards the median of the accounts of its class (``klass``; the whole
    portfolio where the class has fewer than 5) with ``h`` origins or more (the prior, weighing as ``h``
    origins: overlapping origins repeat each other), over that median. The class's multiples already carry
    how lumpy such accounts are (a class is made by ordering months); this says whether the account is
    steadier or lumpier than they are. 1 for an account without origins of its own, and for every account
    where fewer than 5 have ``h`` origins."""
    ms, k = own_errors(y, h)
    full = k >= h
    if full.sum() < 5:
        return np.ones(len(ms))
    prior = np.full(len(ms), float(np.median(ms[full])))
    if klass is not None:
        klass = np.asarray(klass)
        for c in np.unique(klass):
            mine = full & (klass == c)
            if mine.sum() >= 5:
                prior[klass == c] = float(np.median(ms[mine]))
    ok = prior > 0
    out = np.ones(len(ms))
    out[ok] = np.sqrt((k[ok] * ms[ok] + h * prior[ok]) / (k[ok] + h) / prior[ok])
    return out


def own_spreads(y: np.ndarray, ids: np.ndarray, ev: Evidence | None) -> dict:
    """``spread`` and ``evidence_spread`` of a :class:`Selection`: :func:`relative_spread` over the backtest's
    horizon of every account now and of each evidence row's account at its origin (from the history up to it
    only); None without a backtest."""
    if ev is None or ev.origin is None:
        return {"spread": None, "evidence_spread": None}
    h = int(ev.horizon)
    rows_of = pd.Index(np.asarray(ids).astype(str)).get_indexer(np.asarray(ev.account).astype(str))
    at_row = np.ones(len(ev.account))
    for c in np.unique(ev.origin):
        rows = np.flatnonzero((ev.origin == c) & (rows_of >= 0))
        past = y[:, : int(c) + 1]
        at_row[rows] = relative_spread(past, h, account_state(past, h).klass)[rows_of[rows]]
    return {"spread": relative_spread(y, h, account_state(y, h).klass), "evidence_spread": at_row}


def monthly_variation(y: np.ndarray) -> np.ndarray:
    """Each account's coefficient of variation of its monthly revenue over its last 12 months (months before its
    first order and without orders count as 0; inf where it bought nothing in them): how lumpy its months are."""
    last = np.nan_to_num(np.asarray(y, dtype=float)[:, -12:])
    mean = last.mean(axis=1)
    out = np.full(len(last), np.inf)
    ok = mean > 0
    out[ok] = last[ok].std(axis=1) / mean[ok]
    return out


def lumpier_half(y: np.ndarray, ids: np.ndarray, ev: Evidence | None, klass: np.ndarray) -> dict:
    """``lumpier`` and ``evidence_lumpier`` of a :class:`Selection`: the accounts now, and the evidence rows at
    their origins (from the history up to it only), whose :func:`monthly_variation` is above the median of their
    class's evidence rows, in the classes where both halves have :data:`MIN_CLASS_ROWS` rows or more (False
    elsewhere); None without a backtest. A class (ordering months and months since the last order) mixes steady
    accounts with lumpy ones, and its multiples' 10% and 90% quantiles sit between the two: a lumpy account
    takes the wider of its class's range and its lumpier half's (:func:`total_range`)."""
    if ev is None or ev.origin is None:
        return {"lumpier": None, "evidence_lumpier": None}
    rows_of = pd.Index(np.asarray(ids).astype(str)).get_indexer(np.asarray(ev.account).astype(str))
    at_row = np.full(len(ev.account), np.inf)
    for c in np.unique(ev.origin):
        rows = np.flatnonzero((ev.origin == c) & (rows_of >= 0))
        at_row[rows] = monthly_variation(y[:, : int(c) + 1])[rows_of[rows]]
    now = monthly_variation(y)
    klass_now = np.asarray(klass)
    lumpier, ev_lumpier = np.zeros(len(now), dtype=bool), np.zeros(len(at_row), dtype=bool)
    for k in np.unique(ev.klass):
        mine = np.asarray(ev.klass) == k
        cut = float(np.median(at_row[mine]))
        above = mine & (at_row > cut)
        if above.sum() >= MIN_CLASS_ROWS and (mine & ~above).sum() >= MIN_CLASS_ROWS:
            ev_lumpier |= above
            lumpier |= (klass_now == k) & (now > cut)
    return {"lumpier": lumpier, "evidence_lumpier": ev_lumpier}


def variations(y: np.ndarray, ids: np.ndarray, ev: Evidence | None) -> dict:
    """``variation`` and ``evidence_variation`` of a :class:`Selection`: :func:`monthly_variation` of every account
    now, and of each evidence row's account at its origin (from the history up to it only; inf for a row whose
    account is not in ``ids``); None without a backtest. An account of a class with too few evidence rows takes
    the rows nearest it in this (:func:`_like_in_variation`)."""
    if ev is None or ev.origin is None:
        return {"variation": None, "evidence_variation": None}
    rows_of = pd.Index(np.asarray(ids).astype(str)).get_indexer(np.asarray(ev.account).astype(str))
    at_row = np.full(len(ev.account), np.inf)
    for c in np.unique(ev.origin):
        rows = np.flatnonzero((ev.origin == c) & (rows_of >= 0))
        at_row[rows] = monthly_variation(y[:, : int(c) + 1])[rows_of[rows]]
    return {"variation": monthly_variation(y), "evidence_variation": at_row}


def silent_ratios(evidence, method: str, months: int) -> np.ndarray | None:
    """Sorted out-of-time totals over ``months`` months of the backtest rows where ``method`` forecast nothing
    for an account that had bought in its last 12 months, as multiples of that account's mean month of those
    12 (at the origin) times ``months``: what accounts whose method saw no orders ahead really bought, against
    their usual level. None with fewer than :data:`MIN_TOTAL_ROWS` such rows or for the zero method itself."""
    if method == "zero" or method not in evidence.paths:
        return None
    h = max(1, min(int(months), evidence.horizon))
    path = evidence.paths[method][:, :h]
    rows = np.all(np.isfinite(path), axis=1) & (np.abs(path).sum(axis=1) <= 0) & (evidence.lapsed_ref > 0)
    if rows.sum() < MIN_TOTAL_ROWS:
        return None
    return np.sort(evidence.actual[rows][:, :h].sum(axis=1) / (evidence.lapsed_ref[rows] * h))


def later_origin_widening(scores: np.ndarray, origins: np.ndarray | None) -> float:
    """How much the 80% range of a class's evidence must widen to hold its own later rows: the range of the
    ``scores`` (log multiples) at the earliest origin (their 10% and 90% quantiles) is widened about its median by
    the least factor with which it holds :data:`LATER_ORIGIN_COVERAGE` of the scores at the latest origin. The
    rows of all origins together hold 80% by construction, yet the next 12 months lie further from them than
    their origins lie from each other (a 12-month backtest's origins are 3 months apart and share most of their
    months): a class whose later rows strayed beyond its earlier ones is taken to stray as far again ahead. 1
    (no widening) with one origin, fewer than :data:`MIN_TOTAL_ROWS` rows at either end, or a range of width zero."""
    if origins is None or not len(scores) or len(scores) != len(origins):
        return 1.0
    first, last = np.min(origins), np.max(origins)
    early, late = scores[origins == first], scores[origins == last]
    if first == last or len(early) < MIN_TOTAL_ROWS or len(late) < MIN_TOTAL_ROWS:
        return 1.0
    low, mid, high = np.quantile(early, [TOTAL_QUANTILES[0], 0.5, TOTAL_QUANTILES[1]])
    if not (low < mid < high):
        return 1.0
    need = np.where(late > mid, (late - mid) / (high - mid), (mid - late) / (mid - low))  # widening each row needs
    return max(1.0, float(np.quantile(need, LATER_ORIGIN_COVERAGE, method="inverted_cdf")))


def total_scores(
    ev: Evidence, klass: np.ndarray, method: np.ndarray, factor: np.ndarray, months: int, spread: np.ndarray
) -> list:
    """Per account, :func:`total_ratios`' rows that bought as sorted log multiples divided by each row's own
    spread at its origin (``spread``, :func:`own_spreads`), and the share of rows that bought nothing: what
    similar accounts reached in units of their own steadiness, which times an account's own spread gives its
    log multiples (a steady account's range narrows, an erratic one's widens). The multiples are spread about
    their median by :func:`later_origin_widening` of the same rows (the third element): what the class's earlier
    rows missed of its later ones. None where total_ratios is."""

    def in_units(r: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, float, float]:
        bought = r > 0
        scores = np.log(r[bought]) / spread[rows][bought]
        widen = 1.0
        if len(scores):
            origins = None if ev.origin is None else np.asarray(ev.origin)[rows][bought]
            widen = later_origin_widening(scores, origins)
            mid = float(np.median(scores))
            scores = mid + widen * (scores - mid)
        return np.sort(scores), float(np.mean(~bought)), widen

    return _class_total_ratios(ev, klass, method, factor, months, in_units)


def range_widening(sel: Selection, months: int) -> np.ndarray:
    """Per account, the :func:`later_origin_widening` its ``months``-month range took (1 where none, NaN where its
    range does not come from similar accounts' multiples)."""
    out = np.full(len(sel.ids), np.nan)
    if sel.evidence is None or sel.klass is None:
        return out
    h = max(1, min(int(months), sel.evidence.horizon))
    own = sel.spread is not None and sel.evidence_spread is not None
    unit = sel.evidence_spread if own else np.ones(len(sel.evidence.account))
    for i, sc in enumerate(total_scores(sel.evidence, sel.klass, sel.method, sel.factor, h, unit)):
        if sc is not None:
            out[i] = sc[2]
    return out


@dataclass
class YoungEvidence:
    """What accounts as new as a young account bought next: out-of-time totals of the accounts that were
    young (:data:`YOUNG_MONTHS`) at some month of the history, over the ``months`` months after it, as
    multiples of their mean so far (:func:`_last_mean` of 6 months, the one a young account's own forecast
    starts from); ``halves``: the same over ``months // 2`` months (for :func:`_spread_growth`); ``ages``: each
    row's months since its first order at its origin (a young account takes the rows of its own age where they
    are :data:`MIN_TOTAL_ROWS` or more: a first month spread over three is a smaller share of an account's level
    than two or five months are)."""

    ratios: np.ndarray  # sorted
    months: int
    halves: np.ndarray | None
    ages: np.ndarray | None = None  # (rows,) in the order of ``ratios``
    monthly: np.ndarray | None = None  # QUANTILES of the same rows' single months ahead over their mean so far


def young_evidence(y: np.ndarray, most: int = 12) -> YoungEvidence | None:
    """:class:`YoungEvidence` from every month of the history ``y`` (accounts x months, NaN before an account's
    first month) as an origin, over the longest horizon up to ``most`` months with at least :data:`MIN_TOTAL_ROWS`
    such rows; None where the history has too few accounts that were young with months after them.

    The backtest's origins are few, and its classes are made of settled accounts: a new account falls in the
    class of one ordering month and took its range from accounts that had bought for years (80% ranges of
    about +-7% around a new account's first order). A new account's next year is what new accounts' next
    years were, which every month of the history shows where accounts were acquired.

    An account first seen in the data's first months may be an old customer that did not order in them, so
    the accounts first seen after :data:`YOUNG_MONTHS` months of the data are taken where they are enough
    (demo, 300 accounts, 3 years before the cut: 133 such rows, next-12-month multiples of 0.10, 1.15 and 7.06
    at the 10%, 50% and 90% quantiles, against 0.10, 0.75 and 4.12 with every account first seen after the first
    month: the demo's new accounts grow after their first orders)."""
    for settled in (YOUNG_MONTHS, 1):
        ev = _young_evidence(np.asarray(y, dtype=float), most, settled)
        if ev is not None:
            return ev
    return None


def _young_evidence(y: np.ndarray, most: int, settled: int) -> YoungEvidence | None:
    """:func:`young_evidence` from the accounts first seen at month ``settled`` of the data or later."""
    n, t = y.shape
    if t < 2:
        return None
    first = np.where(np.isfinite(y).any(axis=1), np.argmax(np.isfinite(y), axis=1), t)
    rows: dict[int, list] = {}
    for c in range(t - 1):
        age = c + 1 - first
        who = np.flatnonzero((age > 0) & (age < YOUNG_MONTHS) & (first >= settled))
        if not len(who):
            continue
        capped, _ = cap_spikes(y[who, : c + 1])
        base = _last_mean(capped, 6)
        future = np.nan_to_num(y[who, c + 1 : c + 1 + most])
        rows[c] = [base, np.cumsum(future, axis=1), age[who]]
    for h in range(min(most, t - 1), MIN_YOUNG_HORIZON - 1, -1):
        ratio, half, ages, month = [], [], [], []
        for c, (base, cum, a) in rows.items():
            if c + h > t - 1:
                continue
            ok = base > 0
            ratio.append(cum[ok, h - 1] / (h * base[ok]))
            ages.append(a[ok])
            month.append((np.diff(cum[ok, :h], axis=1, prepend=0.0) / base[ok, None]).ravel())
            if h >= 2:
                half.append(cum[ok, h // 2 - 1] / ((h // 2) * base[ok]))
        r = np.concatenate(ratio) if ratio else np.zeros(0)
        if len(r) >= MIN_TOTAL_ROWS:
            order = np.argsort(r, kind="stable")
            halves = np.sort(np.concatenate(half)) if half else None
            monthly = np.quantile(np.concatenate(month), QUANTILES)
            return YoungEvidence(r[order], h, halves, np.concatenate(ages)[order], monthly)
    return None


def _interval(mean: np.ndarray, q, last: np.ndarray, lev: float) -> tuple[np.ndarray, np.ndarray]:
    """Conformal bounds at ``lev`` from the evidence quantiles ``q`` (else the spread of the last 12 months)."""
    a = (1 - lev / 100) / 2
    if q is None:  # no evidence for this method's errors: the spread of the last 12 months
        s = float(np.nanstd(last)) if np.isfinite(last).sum() > 1 else 0.5 * float(mean.mean())
        low, high = mean + stats.norm.ppf(a) * s, mean + stats.norm.ppf(1 - a) * s
    else:  # what similar accounts really bought, as a multiple of the forecast
        low = mean * np.interp(a, QUANTILES, q)
        high = mean * np.interp(1 - a, QUANTILES, q)
    return np.minimum(np.maximum(low, 0.0), mean), np.maximum(high, mean)


def _forecasts(
    y, paths, method, factor, qs, model_lo, model_hi, no_evidence: bool, level, p_none=None, young=None
) -> tuple:
    """(mean, lo, hi, model_intervals) of every account from its method, factor and interval quantiles.

    ``p_none`` (n, h): the account's own chance of no order in its first k months (BTYD); month k's chance of
    no order is at least that, so where it reaches the lower tail of a level the month's range starts at zero.
    ``young``: (rows, mean so far, :class:`YoungEvidence`) of the new accounts, whose monthly ranges are their mean
    so far times what accounts as new bought in a month ahead as a multiple of theirs (``YoungEvidence.monthly``),
    as their 12-month range is (:func:`total_range`), not their class's (settled accounts) multiples."""
    n, h = paths["model"].shape
    mean = np.zeros((n, h))
    lo = {lev: np.zeros((n, h)) for lev in level}
    hi = {lev: np.zeros((n, h)) for lev in level}
    model_iv = np.zeros(n, dtype=bool)
    for i in range(n):
        m = method[i]
        if m == "zero":
            continue
        mean[i] = factor[i] * paths[m][i]
        if m == "model" and (no_evidence or qs[i] is None):  # the model's own intervals, scaled
            model_iv[i] = True
            for lev in level:
                lo[lev][i] = factor[i] * model_lo[lev][i]
                hi[lev][i] = factor[i] * model_hi[lev][i]
            continue
        for lev in level:
            lo[lev][i], hi[lev][i] = _interval(mean[i], qs[i], y[i, -12:], lev)
    if young is not None and young[2] is not None and young[2].monthly is not None:
        rows, base, ev = young
        for i in np.flatnonzero(rows & (base > 0) & (method != "zero")):
            for lev in level:
                a = (1 - lev / 100) / 2
                low, high = (base[i] * np.interp(q, QUANTILES, ev.monthly) for q in (a, 1 - a))
                lo[lev][i] = np.minimum(np.full(h, low), mean[i])
                hi[lev][i] = np.maximum(np.full(h, high), mean[i])
            model_iv[i] = False
    if p_none is not None:
        for lev in level:
            nothing = np.nan_to_num(p_none[:, :h], nan=0.0) >= (1 - lev / 100) / 2
            lo[lev] = np.where(nothing, 0.0, lo[lev])
    return mean, lo, hi, model_iv


def select(
    y: np.ndarray,
    ids: np.ndarray,
    model_mean: np.ndarray,
    model_lo: dict[float, np.ndarray],
    model_hi: dict[float, np.ndarray],
    model_sd: np.ndarray,
    ev: Evidence | None,
    btyd_now: np.ndarray | None = None,
    level: tuple[float, ...] = (80, 95),
    one_time_btyd: np.ndarray | None = None,
    btyd_fit_now: BtydNow | None = None,
    one_time_fit: BtydNow | None = None,
    p_alive_checked: bool = True,
    order_weeks: np.ndarray | None = None,
    data_weeks: float = 0.0,
    btyd_unidentified: bool = False,
) -> Selection:
    """Choose each account's method (see the module docstring) and build its forecast.

    ``y``: accounts x months history (NaN before an account's first month, rows in ``ids``
    order); ``model_*``: the kamtools model's forecast (accounts x h) and intervals;
    ``ev``: out-of-time evidence (None when the history allows none); ``btyd_now``: the
    BTYD expected revenue per coming month (None when not fitted); ``one_time_btyd``: the
    modified BG/NBD's (for the silent one-time buyers, see the module docstring; None: not fitted);
    ``btyd_fit_now`` / ``one_time_fit``: the fits behind those two (:func:`btyd_fit`), whose chance of no
    order starts an account's ranges at zero where it should (:func:`total_range`); ``p_alive_checked``: the
    value stage's check vouched for the BTYD P(alive) as a probability, so its chance of an order may scale a
    long-silent account's forecast (:func:`silent_against_history`); ``order_weeks``: each account's weeks with
    an order (``data_weeks``: the weeks of the data), whose own count gives the range of an account on the window
    mean (:func:`short_range`); ``btyd_unidentified``: a BTYD fit was set aside as not determined by the data
    (the reason says so).
    """
    n, h = model_mean.shape
    state = account_state(y, h)
    paths = candidate_paths(state, h, model_mean, btyd_now)
    buys_again = None
    if p_alive_checked and btyd_fit_now is not None and btyd_fit_now.p_none.shape[1] >= h:
        buys_again = 1 - btyd_fit_now.p_none[:, h - 1]
    returns = history_returns(y) if ev is not None else None
    share = ordering_share(y) if ev is not None and ev.chosen else None
    method, factor, reason, qs, rho, rows_out, one_time = _choose_all(
        state, ids, paths, ev, btyd_now, one_time_btyd, buys_again, returns, order_weeks, btyd_unidentified, share
    )
    reason = np.array([r + s for r, s in zip(reason, spike_notes(y, method))], dtype=object)
    info = _merge_btyd(n, btyd_fit_now, one_time_fit, one_time)
    p_none = None if info is None else info.p_none
    young_ev = young_evidence(y) if np.any(state.young) else None
    young = (np.asarray(state.young) > 0, state.recent, young_ev)
    mean, lo, hi, model_iv = _forecasts(
        y, paths, method, factor, qs, model_lo, model_hi, ev is None, level, p_none, young
    )
    lev0 = 80 if 80 in lo else level[0]
    zl = stats.norm.ppf(0.5 + lev0 / 200)
    sd = np.where(model_iv[:, None], factor[:, None] * model_sd, (hi[lev0] - lo[lev0]) / (2 * zl))
    methods = pd.DataFrame(rows_out)
    if len(methods):
        counts = pd.Series(method).value_counts()
        methods["accounts_using"] = methods["method"].map(counts).fillna(0).astype("int64")
    return Selection(
        ids=np.asarray(ids).astype(str),
        method=method.astype(str),
        reason=reason.astype(str),
        factor=factor,
        mean=mean,
        lo=lo,
        hi=hi,
        sd=sd,
        model_intervals=model_iv,
        rho=rho,
        methods=methods,
        evidence_cases=0 if ev is None else len(ev.account),
        total_ratio=None if ev is None else total_ratio_range(ev, state.klass, method, factor),
        total_months=0 if ev is None else ev.horizon,
        evidence=ev,
        klass=state.klass,
        one_time=one_time,
        btyd=info,
        young=state.young,
        young_base=state.recent,
        young_evidence=young_ev,
        young_counts=_own_counts(y, state.young, h) if np.any(state.young) else None,
        **own_spreads(y, ids, ev),
        **lumpier_half(y, ids, ev, state.klass),
        **variations(y, ids, ev),
        usual=state.level,
        returns=returns,
        former=state.former,
        return_of=_return_of(returns, state, method),
        order_weeks=None if order_weeks is None else np.asarray(order_weeks, dtype=float),
        data_weeks=float(data_weeks),
        window_once=_ordered_once(order_weeks, method != "window_mean") if ev is None else None,
    )


def _return_of(returns: ReturnHistory | None, state: State, method: np.ndarray) -> np.ndarray | None:
    """Per account on ``returning``, the :class:`ReturnEvidence` its forecast used (None elsewhere)."""
    if returns is None or state.ordering is None:
        return None
    out = np.full(len(method), None, dtype=object)
    for i in np.flatnonzero(np.asarray(method) == "returning"):
        out[i] = returns.like(state.gap[i], int(state.ordering[i]) == 1)
    return out


def short_range(sel: Selection, m: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of the 80% range of the ``months``-month total ``m`` of each account on the window mean (no
    out-of-time check, no usable BTYD model; NaN elsewhere). An account taken as one order once (nobody has
    reordered yet): zero to that order every month. Else its own weeks with an order: ``k`` weeks in the data's
    ``T`` give its weekly rate the Gamma(k, T) of those weeks alone, its purchases ahead a negative binomial
    scaled to the forecast, mixed with its chance of none, ``(T / (T + weeks ahead)) ** k``."""
    n = len(sel.ids)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    rows = (np.asarray(sel.method) == "window_mean") & (m > 0)
    if sel.order_weeks is None or not rows.any() or sel.data_weeks <= 0:
        return lo, hi
    once = rows & (sel.window_once if sel.window_once is not None else False)
    lo[once], hi[once] = 0.0, m[once] * max(months, 12)
    k = np.where(rows & ~once & (sel.order_weeks > 0), sel.order_weeks, np.nan)
    ahead = months * (365.25 / 12) / 7.0
    p = (sel.data_weeks / (sel.data_weeks + ahead)) ** k
    own = BtydNow(np.full((n, 1), np.nan), p[:, None], k, np.full(n, sel.data_weeks))
    c_lo, c_hi = _count_range(own, rows & ~once & np.isfinite(k), p, m, months)
    done = np.isfinite(c_lo) & np.isfinite(c_hi)
    lo[done], hi[done] = c_lo[done], c_hi[done]
    return lo, hi


def returning_range(sel: Selection, months: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of the 80% range of the ``months``-month total of each account on ``returning`` (NaN elsewhere):
    zero with the share of silent accounts that did not order again in the history, else its former level times
    ``months`` times what those that came back bought per month, as a multiple of theirs. The range starts at
    zero and reaches at least what the median account that came back bought (where most did not come back, the
    mixture's 80% quantile is zero; the range then holds more than 8 in 10 such accounts)."""
    n = len(sel.ids)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    if sel.return_of is None or sel.former is None:
        return lo, hi
    for i in np.flatnonzero(np.asarray(sel.method) == "returning"):
        r = sel.return_of[i]
        if r is None or not len(r.multiples):
            continue
        _, upper = _mixture_bounds(r.multiples, 1.0, 1.0 - r.bought)
        lo[i] = 0.0
        hi[i] = months * float(sel.former[i]) * max(upper, float(np.median(r.multiples)))
    return lo, hi


def _own_counts(y: np.ndarray, young: np.ndarray, h: int) -> BtydNow:
    """A new account's own buying as a count model, where nothing else measures it: ``k`` ordering months in
    its ``a`` months give its rate of ordering months the Gamma(k, a) of those months alone (no portfolio
    prior), its months ahead a negative binomial (the BTYD count distribution without a fitted population;
    rates per week as :func:`btyd_fit` gives them). NaN rows for the other accounts."""
    n = len(young)
    weeks = (365.25 / 12) / 7.0
    k = np.sum(np.nan_to_num(np.asarray(y, dtype=float)) > 0, axis=1).astype(float)
    ok = (np.asarray(young) > 0) & (k > 0)
    shape = np.where(ok, k, np.nan)
    rate = np.where(ok, np.asarray(young, dtype=float) * weeks, np.nan)
    ahead = np.arange(1, h + 1)[None, :]
    age = np.asarray(young, dtype=float)[:, None]
    p_none = np.where(ok[:, None], (age / np.maximum(age + ahead, 1)) ** shape[:, None], np.nan)
    return BtydNow(np.full((n, h), np.nan), p_none, shape, rate)


def _merge_btyd(n: int, now: BtydNow | None, one_time_fit: BtydNow | None, one_time: np.ndarray) -> BtydNow | None:
    """One :class:`BtydNow` for every account: the modified BG/NBD's rows for the silent one-time buyers on
    its path, the chosen model's for the others (NaN rows where neither was fitted)."""
    if now is None and one_time_fit is None:
        return None
    h = (now or one_time_fit).p_none.shape[1]
    out = BtydNow(np.full((n, h), np.nan), np.full((n, h), np.nan), np.full(n, np.nan), np.full(n, np.nan))
    for fit, rows in ((now, ~one_time), (one_time_fit, one_time)):
        if fit is None:
            continue
        k = min(h, fit.p_none.shape[1])
        out.paths[rows, :k] = fit.paths[rows, :k]
        out.p_none[rows, :k] = fit.p_none[rows, :k]
        out.shape[rows], out.rate[rows] = fit.shape[rows], fit.rate[rows]
    return out


def _spread_growth(short: np.ndarray, long: np.ndarray, ratio_months: float) -> float:
    """How the spread of buying accounts' actual / forecast totals grew with the months they cover: the
    exponent g of ``width(long) = width(short) * ratio_months ** g`` (widths of the 10%-90% log ratios),
    within 0.5 and 1: level changes accumulate at least like a random walk's (0.5) while the lumpiness of
    short totals, which evens out, can hide that growth between ``h / 2`` and ``h``; 0.5 where it cannot be
    measured."""
    a, b = short[short > 0], long[long > 0]
    if len(a) < MIN_TOTAL_ROWS or len(b) < MIN_TOTAL_ROWS or ratio_months <= 1:
        return 0.5
    wa, wb = (float(np.subtract(*np.quantile(np.log(v), [0.9, 0.1]))) for v in (a, b))
    if wa <= 0 or wb <= 0:
        return 0.5
    return float(np.clip(np.log(wb / wa) / np.log(ratio_months), 0.5, 1.0))


def _mixture_bounds(positive: np.ndarray, scale: float, p: float, transform=None) -> tuple[float, float]:
    """80% range of a total that is zero with probability ``p`` and else ``scale`` times a draw of the sorted
    ``positive`` multiples: its 10% and 90% quantiles, or zero to its 80% quantile where ``p`` reaches 10%.
    ``transform``: an increasing function turning a quantile of ``positive`` into the multiple (the quantiles of
    log multiples, then the multiple: one quantile per bound instead of a transformed copy of every value)."""
    lower, upper = TOTAL_QUANTILES

    def at(q: float) -> float:
        v = float(np.quantile(positive, q))
        return scale * (float(transform(v)) if transform is not None else v)

    if p >= lower:
        q = (ZERO_START_UPPER - p) / (1 - p) if p < 1 else 0.0
        return 0.0, at(q) if q > 0 else 0.0
    return at((lower - p) / (1 - p)), at((upper - p) / (1 - p))


_NO_CLASS = -(10**6)  # the class of evidence rows outside a lumpier half (no account has it)


def _evidence_bounds(
    sel: Selection, ev: Evidence, live: np.ndarray, m: np.ndarray, months: int, p_own: np.ndarray, lo, hi
) -> None:
    """Set (in place) ``lo`` and ``hi`` of the ``live`` accounts with multiples in ``ev`` (the backtest's rows, or
    those of the lumpier halves of their classes): :func:`total_range` from similar accounts' multiples."""
    n = len(sel.ids)
    h = max(1, min(int(months), ev.horizon))
    ratios = total_ratios(ev, sel.klass, sel.method, sel.factor, h)
    halves = (
        total_ratios(ev, sel.klass, sel.method, sel.factor, max(1, h // 2)) if months > h and h >= 2 else [None] * n
    )
    own = sel.spread is not None and sel.evidence_spread is not None
    unit = sel.evidence_spread if own else np.ones(len(ev.account))
    scores = total_scores(ev, sel.klass, sel.method, sel.factor, h, unit)
    done: dict = {}
    for i in np.flatnonzero(live):
        r = ratios[i]
        if r is None:
            continue
        key = id(r)
        if key not in done:
            pos = r[r > 0]
            grow = 1.0
            if months > h and len(pos):
                g = _spread_growth(halves[i], r, h / max(1, h // 2)) if halves[i] is not None else 0.5
                grow = (months / h) ** g
            # log multiples of an account whose own spread is the typical one (1), sorted; their median
            logs = scores[i][0]
            mid = float(np.median(logs)) if len(logs) else 0.0
            done[key] = (logs, mid, grow, float(np.mean(r <= 0)))
        logs, mid, grow, z = done[key]
        p = float(p_own[i]) if np.isfinite(p_own[i]) else z
        if not len(logs):
            lo[i], hi[i] = 0.0, 0.0
            continue
        d = float(sel.spread[i]) if own else 1.0
        scale = (1 - z) / (1 - p) if p < 1 else 0.0
        bounds = _mixture_bounds(logs, scale, p, lambda v, d=d, c=mid, g=grow: np.exp(d * (c + g * (v - c))))
        lo[i], hi[i] = (m[i] * b for b in bounds)


_NEAR_CLASS = -(10**6) - 1  # the class of the evidence rows nearest an account in variation (no account has it)
VARIATION_FLOOR = 1e-3  # the least coefficient of variation compared in logs (a constant account's is 0)


def _like_in_variation(sel: Selection, live: np.ndarray, m: np.ndarray, months: int, p_own: np.ndarray, lo, hi) -> None:
    """Set (in place) the range of each ``live`` account whose class has under :data:`MIN_CLASS_ROWS` evidence rows
    (so that it took the whole portfolio's multiples, :func:`_class_rows`) to the wider of that and the range built
    the same way on the :data:`MIN_CLASS_ROWS` evidence rows whose :func:`monthly_variation` at their origin is
    nearest its own now (in logs; ties in row order): the whole portfolio is mostly the accounts of the large
    classes, steadier than an account ordering in a few months. Those rows' multiples are taken as they are, not
    in units of own spread (:func:`total_scores`): rows chosen for being as lumpy as the account already carry its
    lumpiness, and scaling them by its own spread counted it twice (quick demo: upper ends of 20 to 6,000 times
    the forecast). Accounts without a variation (no order in their last 12 months) keep their range."""
    ev = sel.evidence
    if ev is None or sel.klass is None or sel.variation is None or sel.evidence_variation is None:
        return
    k_ev, counts = np.unique(np.asarray(ev.klass), return_counts=True)
    now = np.asarray(sel.variation, dtype=float)
    at_row = np.asarray(sel.evidence_variation, dtype=float)
    small = live & ~np.isin(np.asarray(sel.klass), k_ev[counts >= MIN_CLASS_ROWS]) & np.isfinite(now)
    small &= np.isfinite(lo) & np.isfinite(hi)
    usable = np.isfinite(at_row)
    if not small.any() or usable.sum() < MIN_CLASS_ROWS:
        return
    logs = np.log(np.maximum(np.where(usable, at_row, 1.0), VARIATION_FLOOR))
    n = len(sel.ids)
    for i in np.flatnonzero(small):
        dist = np.where(usable, np.abs(logs - np.log(max(float(now[i]), VARIATION_FLOOR))), np.inf)
        near = np.zeros(len(at_row), dtype=bool)
        near[np.argsort(dist, kind="stable")[:MIN_CLASS_ROWS]] = True
        one = np.arange(n) == i
        alone = replace(
            sel,
            klass=np.where(one, _NEAR_CLASS, sel.klass),
            method=np.where(one, sel.method, "zero"),  # the other accounts' multiples are not needed here
            spread=None,
            evidence_spread=None,
        )
        n_lo, n_hi = np.full(n, np.nan), np.full(n, np.nan)
        _evidence_bounds(
            alone, replace(ev, klass=np.where(near, _NEAR_CLASS, _NO_CLASS)), one, m, months, p_own, n_lo, n_hi
        )
        if np.isfinite(n_lo[i]) and np.isfinite(n_hi[i]) and _wider(n_lo[one], n_hi[one], lo[one], hi[one])[0]:
            lo[i], hi[i] = n_lo[i], n_hi[i]


def _wider(lo: np.ndarray, hi: np.ndarray, lo2: np.ndarray, hi2: np.ndarray) -> np.ndarray:
    """Where the range ``lo..hi`` is wider than ``lo2..hi2``: in logs (hi / lo), a range from zero the widest (two
    from zero: the higher top)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(lo > 0, np.log(hi / np.where(lo > 0, lo, 1.0)), np.inf)
        w2 = np.where(lo2 > 0, np.log(hi2 / np.where(lo2 > 0, lo2, 1.0)), np.inf)
    return (w > w2) | (np.isinf(w) & np.isinf(w2) & (hi > hi2))


def total_range(sel: Selection, m: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of each account's 80% range of its ``months``-month total ``m`` (NaN where nothing says).

    * **Its own chance of buying nothing.** Where the BTYD model gives the account's probability ``p`` of no
      order in those months (``Selection.btyd``), the range is a mixture: nothing with probability ``p``,
      else the forecast times what similar accounts that bought reached; where ``p`` is 10% or more the range
      starts at zero. The buyers' multiples are scaled by (1 - their class's share of nothing) / (1 - ``p``),
      so the expected multiple stays the class's. Without the BTYD model, the class's share of nothing.
    * **Similar accounts' multiples** are the out-of-time ratios of :func:`total_ratios` over the backtest's
      horizon ``h``. Where ``months`` is longer, their spread (in logs, about the median) is widened by
      ``(months / h) ** g``, with ``g`` how the spread grew from ``h / 2`` to ``h`` months in the same
      evidence (:func:`_spread_growth`): a range measured on 6-month totals is not applied to 12 as it is.
    * **Later totals strayed further.** The multiples (in units of own spread, :func:`total_scores`) are spread
      about their median by :func:`later_origin_widening`: as far as the range of the class's earliest backtest
      origin had to widen to hold 8 in 10 of its latest origin's totals.
    * **A lumpy account.** Where its class splits (:func:`lumpier_half`), an account in the lumpier half takes
      the wider of its class's range and the same range built on the lumpier half's rows alone.
    * **A class too small for its own rows.** An account whose class took the whole portfolio's rows takes the
      wider of that range and the one built on the rows nearest it in monthly variation
      (:func:`_like_in_variation`).
    * **No backtest.** The BTYD model's own count distribution: a live account's purchases in the months
      are negative binomial (its posterior Gamma rate), those above zero scaled to the forecast, mixed with
      ``p``.
    """
    n = len(sel.ids)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    info = sel.btyd
    p_own = np.full(n, np.nan)
    if info is not None and info.p_none.shape[1] >= 1:
        p_own = info.p_none[:, min(months, info.p_none.shape[1]) - 1]
    live = (sel.method != "zero") & (m > 0)
    young = np.zeros(n, dtype=bool) if sel.young is None else (np.asarray(sel.young) > 0) & live
    if young.any():  # a new account's range: what accounts as new bought next (else its BTYD count distribution)
        y_lo, y_hi = _young_range(sel, young, p_own, months)
        if sel.young_evidence is None and info is not None:
            y_lo, y_hi = _count_range(info, young, p_own, m, months)
        elif sel.young_evidence is None and sel.young_counts is not None:
            own = sel.young_counts
            p_counts = own.p_none[:, min(months, own.p_none.shape[1]) - 1]
            y_lo, y_hi = _count_range(own, young, p_counts, m, months)
        done_young = young & np.isfinite(y_lo) & np.isfinite(y_hi)
        lo[done_young], hi[done_young] = y_lo[done_young], y_hi[done_young]
        live = live & ~done_young
    if sel.evidence is not None and sel.klass is not None:
        _evidence_bounds(sel, sel.evidence, live, m, months, p_own, lo, hi)
        if sel.lumpier is not None and sel.evidence_lumpier is not None:  # the wider of its class's and its half's
            lumpy = live & np.asarray(sel.lumpier, dtype=bool) & np.isfinite(lo) & np.isfinite(hi)
            if lumpy.any():
                ev = sel.evidence
                half = replace(ev, klass=np.where(sel.evidence_lumpier, ev.klass, _NO_CLASS))
                l_lo, l_hi = np.full(n, np.nan), np.full(n, np.nan)
                _evidence_bounds(sel, half, lumpy, m, months, p_own, l_lo, l_hi)
                ok = lumpy & np.isfinite(l_lo) & np.isfinite(l_hi)
                take = ok & _wider(l_lo, l_hi, lo, hi)
                lo[take], hi[take] = l_lo[take], l_hi[take]
        _like_in_variation(sel, live, m, months, p_own, lo, hi)  # a class too small for its own rows
        _silent_range(sel, m, months, lo, hi)
        return lo, hi
    if info is None:
        return lo, hi
    c_lo, c_hi = _count_range(info, live, p_own, m, months)
    lo[live], hi[live] = c_lo[live], c_hi[live]
    return lo, hi


def _silent_range(sel: Selection, m: np.ndarray, months: int, lo: np.ndarray, hi: np.ndarray) -> None:
    """Set (in place) the range of each account whose method forecast nothing although no rule called it lapsed
    (the mean of the last 6 months of an account silent for half a year): from zero (its forecast) to
    :func:`ratio_bounds`' upper end of what accounts whose method saw nothing ahead bought out of time
    (:func:`silent_ratios`), as a multiple of its mean month of the last 12 times ``months``. A range of
    nothing said they could not buy, where on the demo (300 accounts, 12 months before its end) 8 of 16 did."""
    if sel.evidence is None or sel.usual is None:
        return
    rows = np.flatnonzero((sel.method != "zero") & (m <= 0) & (np.asarray(sel.usual) > 0))
    done: dict = {}
    for i in rows:
        meth = str(sel.method[i])
        if meth not in done:
            r = silent_ratios(sel.evidence, meth, months)
            done[meth] = None if r is None else ratio_bounds(r)[1]
        if done[meth] is not None:
            lo[i], hi[i] = 0.0, float(sel.usual[i]) * months * done[meth]


def _count_range(info: BtydNow, rows: np.ndarray, p_own: np.ndarray, m: np.ndarray, months: int):
    """(lo, hi) of the ``rows``' 80% ranges from the BTYD model's own count distribution: a live account's
    purchases in the months are negative binomial (its posterior Gamma rate), those above zero scaled to the
    forecast ``m``, mixed with its chance ``p_own`` of no order (NaN elsewhere)."""
    n = len(m)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    t = months * (365.25 / 12) / 7.0
    for i in np.flatnonzero(rows & np.isfinite(p_own) & np.isfinite(info.shape) & (info.rate > 0)):
        a, prob = float(info.shape[i]), float(info.rate[i] / (info.rate[i] + t))
        p0_alive = prob**a  # a live account's chance of no purchase
        if p0_alive >= 1:
            continue
        levels = p0_alive + (1 - p0_alive) * np.linspace(0.0005, 0.9995, 1000)
        counts = stats.nbinom.ppf(levels, a, prob)  # purchases of a live account that buys (quantile grid)
        counts = counts[counts > 0]
        if not len(counts):
            continue
        p = float(p_own[i])
        scale = m[i] / ((1 - p) * float(np.mean(counts))) if p < 1 else 0.0
        lo[i], hi[i] = _mixture_bounds(np.sort(counts), scale, p)
    return lo, hi


def _young_range(sel: Selection, rows: np.ndarray, p_own: np.ndarray, months: int):
    """(lo, hi) of the ``rows``' (new accounts') 80% ranges from :class:`YoungEvidence`: the account's mean so
    far times what accounts as new bought next as a multiple of theirs (widened to ``months`` as
    :func:`total_range` widens), mixed with its own BTYD chance of no order where the model gives one (else
    the share of those accounts that bought nothing). NaN without such evidence."""
    n = len(sel.ids)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    ev = sel.young_evidence
    if ev is None or sel.young_base is None:
        return lo, hi
    g = 0.5
    if ev.halves is not None and months > ev.months:
        g = _spread_growth(ev.halves, ev.ratios, ev.months / max(1, ev.months // 2))
    done: dict[int, tuple[np.ndarray, float]] = {}
    for i in np.flatnonzero(rows & (sel.young_base > 0)):
        age = int(sel.young[i]) if sel.young is not None else 0
        own = ev.ages is not None and int(np.sum(ev.ages == age)) >= MIN_TOTAL_ROWS
        key = age if own else 0
        if key not in done:
            r = ev.ratios[ev.ages == age] if own else ev.ratios
            pos = np.sort(r[r > 0])
            if months > ev.months and len(pos):
                logs = np.log(pos)
                mid = float(np.median(logs))
                pos = np.exp(mid + (months / ev.months) ** g * (logs - mid))
            done[key] = (pos, float(np.mean(r <= 0)))
        pos, z = done[key]
        if not len(pos):
            lo[i], hi[i] = 0.0, 0.0
            continue
        p = float(p_own[i]) if np.isfinite(p_own[i]) else z
        scale = (1 - z) / (1 - p) if p < 1 else 0.0
        base = months * float(sel.young_base[i])
        lo[i], hi[i] = (base * b for b in _mixture_bounds(pos, scale, p))
    return lo, hi


def young_multiples(sel: Selection, i: int, months: int, points: int = 201) -> np.ndarray | None:
    """Sorted multiples of a new account's (row ``i``) mean so far times ``months``, ``points`` evenly spaced
    quantiles of what :func:`_young_range` mixes: nothing with its own BTYD chance of no order in the months
    (else the share of accounts as new that bought nothing), else what accounts as new bought next as a
    multiple of theirs. For a target year's range (:mod:`kamtools.forecast.targets`), whose months ahead are
    fewer than 12: the multiples are those of :class:`YoungEvidence`'s months, not narrowed to fewer. None
    without such evidence or a mean so far."""
    ev = sel.young_evidence
    if ev is None or sel.young_base is None or not sel.young_base[i] > 0:
        return None
    age = int(sel.young[i]) if sel.young is not None else 0
    own = ev.ages is not None and int(np.sum(ev.ages == age)) >= MIN_TOTAL_ROWS
    r = ev.ratios[ev.ages == age] if own else ev.ratios
    pos = np.sort(r[r > 0])
    if months > ev.months and len(pos):
        g = 0.5
        if ev.halves is not None:
            g = _spread_growth(ev.halves, ev.ratios, ev.months / max(1, ev.months // 2))
        logs = np.log(pos)
        mid = float(np.median(logs))
        pos = np.exp(mid + (months / ev.months) ** g * (logs - mid))
    z = float(np.mean(r <= 0))
    p = z
    if sel.btyd is not None and sel.btyd.p_none.shape[1] >= 1:
        own_p = sel.btyd.p_none[i, min(months, sel.btyd.p_none.shape[1]) - 1]
        p = float(own_p) if np.isfinite(own_p) else z
    if not len(pos) or p >= 1:
        return np.zeros(points)
    u = (np.arange(points) + 0.5) / points
    scale = (1 - z) / (1 - p)
    return np.where(u < p, 0.0, scale * np.quantile(pos, np.clip((u - p) / (1 - p), 0.0, 1.0)))


__all__ = [
    "CANDIDATES",
    "Selection",
    "select",
    "METHOD_WORDS",
    "ClassChoice",
    "Evidence",
    "State",
    "account_state",
    "btyd_paths",
    "build_evidence",
    "cap_spikes",
    "spike_notes",
    "history_returns",
    "ReturnHistory",
    "return_median",
    "returning_range",
    "range_widening",
    "later_origin_widening",
    "short_range",
    "choose_by_class",
    "class_words",
    "error_correlation",
    "silent_one_time",
    "wide_history",
]

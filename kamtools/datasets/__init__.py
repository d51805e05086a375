"""Demo portfolios: realistic synthetic B2B key-account data with a planted truth.

:func:`make_portfolio` generates every canonical table of :mod:`kamtools.data.model`
for a fictional supplier of feed, animal-health, hygiene and technical products that
sells to feed mills, farms, food processors, retailers, hospitals and logistics firms.
The data carry real signal that the analyses are expected to find (revenue
concentration, seasonality, trends, category affinities, churn with leading signals,
an aggressive low-price competitor, unreachable targets, whitespace adoptions, prices that
move over time with a price elasticity of volume per category). What was
planted is returned separately as a :class:`PlantedTruth`, for tests and benchmarks only.

Everything is vectorised numpy driven by one ``numpy.random.default_rng(seed)``, so a
seed gives identical tables, and 10,000 accounts with ~5 million order lines generate in
seconds (``benchmarks/bench_generate.py``). Global accounts (groups of units under parent
accounts, reporting lines, attitudes, champions who leave) are planted by
:mod:`kamtools.datasets.groups` from a second stream of the same seed, so ``groups=0`` gives
the tables of the generator without them. Price moves and the target mix draw from child
streams of their own as well (``default_rng([seed, k])``).

The package holds one concern per module: :mod:`.catalogue` (categories, industries, names),
:mod:`.state` (the state of one run), the phases :mod:`.products`, :mod:`.accounts`,
:mod:`.categories`, :mod:`.churn`, :mod:`.orders`, :mod:`.people`, :mod:`.complaints`,
:mod:`.bids`, :mod:`.targets` and :mod:`.groups`, run in order by :mod:`.generate`;
:mod:`.truth` (what was planted) and :mod:`.files` (writing and loading).

Example
-------
>>> from kamtools.datasets import make_portfolio
>>> portfolio, truth = make_portfolio(n_accounts=50, years=2, seed=1)
>>> sorted(portfolio.tables) == sorted(TABLES)
True
"""

from kamtools.data.model import TABLES as TABLES  # the doctest above, and older imports

from .catalogue import CATEGORY_NAMES, SEGMENTS
from .files import DEMO_DIR, load_demo, write_tables, your_data_or_demo
from .generate import DEFAULT_END, DEMO_ACCOUNTS, DEMO_CURRENCY, DEMO_SEED, DEMO_YEARS, make_portfolio
from .truth import PlantedTruth

__all__ = [
    "PlantedTruth",
    "make_portfolio",
    "your_data_or_demo",
    "load_demo",
    "write_tables",
    "DEMO_DIR",
    "DEMO_SEED",
    "DEMO_ACCOUNTS",
    "DEMO_YEARS",
    "DEMO_CURRENCY",
    "DEFAULT_END",
    "CATEGORY_NAMES",
    "SEGMENTS",
]

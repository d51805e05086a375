"""The canonical data model: every table kamtools reads, column by column.

This module is the single source of truth for table and column names. The pandera
schemas (``kamtools.data.schemas``), the loader, the data dictionary in
``data/README.md`` and the demo generator all derive from :data:`TABLES`.

Types used here:

``id``      text identifier (stored as Python ``str``)
``text``    free text (stored as ``str``, may be missing when optional)
``date``    calendar date (stored as ``datetime64[ns]``)
``float``   number (``float64``)
``int``     whole number (``int64``)
``category`` text from a closed list of values (``allowed``)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    dtype: str  # id | text | date | float | int | category
    required: bool
    meaning: str
    example: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None  # inclusive lower bound for numbers
    max_value: float | None = None  # inclusive upper bound for numbers
    positive: bool = False  # strictly greater than zero
    references: str | None = None  # "table.column" foreign key
    derived: str | None = None  # how the loader fills the column when the export lacks it (optional columns)


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, primary key and whether kamtools needs it."""

    name: str
    required: bool
    meaning: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    date_columns_bounded: tuple[str, ...] = field(default=())  # must be <= as_of

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


C = Column

MAX_MAGNITUDE = 1e15
"""No number may exceed this in absolute value (a quadrillion): amounts, quantities and
prices this large are overflows, wrong units or values pasted into the wrong column."""

LINE_TYPES = ("product", "charge")  # products.line_type: a charge (postage, fees) is not recommended as whitespace
OPPORTUNITY_STATUS = ("open", "won", "lost")
SEVERITIES = ("low", "medium", "high", "critical")
CONTACT_ROLES = ("decision_maker", "influencer", "user", "gatekeeper")
SENIORITIES = ("executive", "senior", "manager", "staff")
INTERACTION_TYPES = ("meeting", "call", "email", "visit")
ATTITUDES = ("champion", "supporter", "neutral", "detractor")
"""A contact's stance towards us: champion (sells for us inside), supporter, neutral, detractor (works against us)."""

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "accounts",
            True,
            "One row per customer account.",
            (
                C("account_id", "id", True, "Unique account identifier.", "A0001"),
                C("name", "text", True, "Account (company) name.", "Nordic Feed Mills AB"),
                C("industry", "text", True, "Industry or vertical.", "Feed milling"),
                C("region", "text", True, "Sales region.", "North"),
                C("country", "text", True, "Country name or ISO code.", "SE"),
                C("channel", "text", True, "Route to market.", "Direct"),
                C("owner", "text", True, "Key account manager who owns the account.", "M. Berg"),
                C(
                    "customer_since",
                    "date",
                    False,
                    "Date the account became a customer.",
                    "2015-03-01",
                    nullable=True,
                    derived="the account's first order date (as_of for an account without orders)",
                ),
                C(
                    "potential_revenue",
                    "float",
                    False,
                    "Estimated yearly spend of the account in our categories (wallet), in the revenue currency.",
                    "1250000",
                    nullable=True,
                    min_value=0,
                ),
                C(
                    "parent_account_id",
                    "id",
                    False,
                    "The account this one belongs to (its parent company or region of a group); empty at the top.",
                    "G0001",
                    nullable=True,
                    references="accounts.account_id",
                ),
            ),
            primary_key=("account_id",),
        ),
        Table(
            "products",
            True,
            "One row per product (SKU).",
            (
                C("product_id", "id", True, "Unique product identifier.", "P001"),
                C("name", "text", True, "Product name.", "Premix 5kg"),
                C("category", "text", True, "Product category (range, product line).", "Premixes"),
                C("list_price", "float", True, "List price per unit.", "42.5", min_value=0),
                C("unit_cost", "float", True, "Standard cost per unit.", "27.0", min_value=0),
                C(
                    "line_type",
                    "category",
                    False,
                    "product, or charge for a line no customer chooses to buy: postage, carriage, fees, discounts, "
                    "manual adjustments. Whitespace recommends no category whose products are all charges.",
                    "charge",
                    nullable=True,
                    allowed=LINE_TYPES,
                    derived="product",
                ),
            ),
            primary_key=("product_id",),
        ),
        Table(
            "orders",
            True,
            "One row per order line (ERP sales lines, invoiced or shipped).",
            (
                C("order_id", "id", True, "Order number.", "SO-100231"),
                C(
                    "line",
                    "int",
                    False,
                    "Line number within the order.",
                    "1",
                    min_value=1,
                    derived="numbered 1, 2, ... within each order, in the order of the export",
                ),
                C("account_id", "id", True, "Ordering account.", "A0001", references="accounts.account_id"),
                C("product_id", "id", True, "Product ordered.", "P001", references="products.product_id"),
                C("order_date", "date", True, "Order date.", "2024-05-17"),
                C(
                    "quantity",
                    "float",
                    True,
                    "Units ordered; negative on returns, zero or empty on rebate lines.",
                    "120",
                ),
                C(
                    "net_revenue",
                    "float",
                    True,
                    "Net revenue of the line after discounts; negative on returns, credit notes and rebates.",
                    "4980.0",
                ),
                C(
                    "cost",
                    "float",
                    False,
                    "Cost of goods of the line; negative on returns.",
                    "3240.0",
                    nullable=True,
                    derived="quantity x products.unit_cost",
                ),
            ),
            primary_key=("order_id", "line"),
            date_columns_bounded=("order_date",),
        ),
        Table(
            "opportunities",
            False,
            "Opportunities, RFQs, bids and tenders from the CRM.",
            (
                C("opportunity_id", "id", True, "Unique opportunity identifier.", "OP-2291"),
                C("account_id", "id", True, "Account bid for.", "A0001", references="accounts.account_id"),
                C("created_date", "date", True, "Date the opportunity/RFQ was opened.", "2025-02-03"),
                C(
                    "close_date",
                    "date",
                    True,
                    "Date it was decided (or expected close date when open).",
                    "2025-04-11",
                    nullable=True,
                ),
                C("stage", "text", True, "Sales stage name.", "Proposal"),
                C("status", "category", True, "open, won or lost.", "lost", allowed=OPPORTUNITY_STATUS),
                C("amount", "float", True, "Expected yearly value of the deal.", "85000", min_value=0),
                C(
                    "probability",
                    "float",
                    False,
                    "Win probability 0-1 (CRM stage probability).",
                    "0.4",
                    nullable=True,
                    min_value=0,
                    max_value=1,
                ),
                C("category", "text", False, "Product category the bid is for.", "Premixes", nullable=True),
                C(
                    "our_price",
                    "float",
                    False,
                    "Our quoted price (per unit or index).",
                    "101.5",
                    nullable=True,
                    positive=True,
                ),
                C("competitor", "text", False, "Main competitor in the bid.", "Vetro", nullable=True),
                C(
                    "competitor_price",
                    "float",
                    False,
                    "Competitor's price on the same basis as our_price.",
                    "96.0",
                    nullable=True,
                    positive=True,
                ),
                C("loss_reason", "text", False, "Why it was lost (free text or code).", "price", nullable=True),
                C(
                    "contract_end",
                    "date",
                    False,
                    "For a won opportunity: the date the contract it won ends (the account usually tenders "
                    "again a few months before); empty when unknown.",
                    "2027-03-31",
                    nullable=True,
                ),
            ),
            primary_key=("opportunity_id",),
            date_columns_bounded=("created_date",),
        ),
        Table(
            "complaints",
            False,
            "Customer complaints and service cases.",
            (
                C("complaint_id", "id", True, "Unique complaint identifier.", "C-0042"),
                C("account_id", "id", True, "Complaining account.", "A0001", references="accounts.account_id"),
                C("opened_date", "date", True, "Date the complaint was opened.", "2025-06-02"),
                C(
                    "resolved_date",
                    "date",
                    True,
                    "Date it was resolved; empty while open.",
                    "2025-06-20",
                    nullable=True,
                ),
                C("severity", "category", True, "low, medium, high or critical.", "high", allowed=SEVERITIES),
                C("category", "text", True, "What it is about.", "Delivery", nullable=True),
                C("description", "text", False, "Free-text description.", "Late delivery of premix", nullable=True),
            ),
            primary_key=("complaint_id",),
            date_columns_bounded=("opened_date",),
        ),
        Table(
            "invoices",
            False,
            "Invoices with due and payment dates (accounts receivable).",
            (
                C("invoice_id", "id", True, "Unique invoice number.", "INV-77812"),
                C("account_id", "id", True, "Invoiced account.", "A0001", references="accounts.account_id"),
                C("issue_date", "date", True, "Invoice date.", "2025-03-31"),
                C("due_date", "date", True, "Payment due date.", "2025-04-30"),
                C("paid_date", "date", True, "Date paid in full; empty while unpaid.", "2025-05-06", nullable=True),
                C("amount", "float", True, "Invoice amount.", "15230.0", min_value=0),
            ),
            primary_key=("invoice_id",),
            date_columns_bounded=("issue_date",),
        ),
        Table(
            "contacts",
            False,
            "People at the account (stakeholders).",
            (
                C("contact_id", "id", True, "Unique contact identifier.", "K-0101"),
                C("account_id", "id", True, "Account the person works for.", "A0001", references="accounts.account_id"),
                C("name", "text", True, "Person's name.", "Anna Lind"),
                C("title", "text", True, "Job title.", "Head of Purchasing", nullable=True),
                C(
                    "role",
                    "category",
                    True,
                    "decision_maker, influencer, user or gatekeeper.",
                    "decision_maker",
                    allowed=CONTACT_ROLES,
                ),
                C("seniority", "category", True, "executive, senior, manager or staff.", "senior", allowed=SENIORITIES),
                C(
                    "reports_to",
                    "id",
                    False,
                    "The contact this person reports to (their manager); empty when unknown or at the top.",
                    "K-0100",
                    nullable=True,
                    references="contacts.contact_id",
                ),
                C(
                    "attitude",
                    "category",
                    False,
                    "Stance towards us: champion, supporter, neutral or detractor.",
                    "supporter",
                    nullable=True,
                    allowed=ATTITUDES,
                ),
                C(
                    "left_date",
                    "date",
                    False,
                    "Day the person left the customer; empty while they are there.",
                    "2026-03-31",
                    nullable=True,
                ),
            ),
            primary_key=("contact_id",),
        ),
        Table(
            "interactions",
            False,
            "Meetings, calls, e-mails and visits logged in the CRM.",
            (
                C("account_id", "id", True, "Account.", "A0001", references="accounts.account_id"),
                C(
                    "contact_id",
                    "id",
                    True,
                    "Contact met; empty when not recorded.",
                    "K-0101",
                    nullable=True,
                    references="contacts.contact_id",
                ),
                C("date", "date", True, "Date of the interaction.", "2025-09-12"),
                C("type", "category", True, "meeting, call, email or visit.", "meeting", allowed=INTERACTION_TYPES),
                C("notes", "text", False, "Free-text notes.", "QBR, discussed 2026 volumes", nullable=True),
                C(
                    "employee",
                    "text",
                    False,
                    "Who on our side held the interaction (owner of the relationship).",
                    "M. Berg",
                    nullable=True,
                ),
            ),
            date_columns_bounded=("date",),
        ),
        Table(
            "targets",
            False,
            "Revenue targets per account and calendar year.",
            (
                C("account_id", "id", True, "Account.", "A0001", references="accounts.account_id"),
                C("period", "int", True, "Calendar year the target is for.", "2026", min_value=1990, max_value=2100),
                C("revenue_target", "float", True, "Net revenue target for the year.", "1100000", min_value=0),
            ),
            primary_key=("account_id", "period"),
        ),
        Table(
            "competitor_prices",
            False,
            "Market-intelligence price observations of competitors.",
            (
                C("date", "date", True, "Date of the observation.", "2025-07-01"),
                C(
                    "account_id",
                    "id",
                    False,
                    "Account where it was seen; empty for market-wide.",
                    "A0001",
                    nullable=True,
                    references="accounts.account_id",
                ),
                C("category", "text", True, "Product category.", "Premixes"),
                C("competitor", "text", True, "Competitor name.", "Vetro"),
                C(
                    "price_index",
                    "float",
                    True,
                    "Competitor's price as a percentage of ours (100 = same price, 95 = 5% cheaper).",
                    "95.5",
                    positive=True,
                ),
            ),
            date_columns_bounded=("date",),
        ),
    ]
}

REQUIRED_TABLES = [name for name, t in TABLES.items() if t.required]
OPTIONAL_TABLES = [name for name, t in TABLES.items() if not t.required]

"""Data model, loading and validation."""

from kamtools.data.model import OPTIONAL_TABLES, REQUIRED_TABLES, TABLES
from kamtools.data.portfolio import NotAvailable, Portfolio

__all__ = ["OPTIONAL_TABLES", "REQUIRED_TABLES", "TABLES", "NotAvailable", "Portfolio"]

"""Data model, loading and validation."""

from kamtools.data.model import OPTIONAL_TABLES, REQUIRED_TABLES, TABLES
from kamtools.data.portfolio import NotAvailable, Portfolio
from kamtools.data.validation import DataValidationError

__all__ = ["OPTIONAL_TABLES", "REQUIRED_TABLES", "TABLES", "DataValidationError", "NotAvailable", "Portfolio"]

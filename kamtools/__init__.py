"""kamtools: analyses, reports and scenario planning for key account managers."""

from __future__ import annotations

__version__ = "0.1.0"

from kamtools.data.portfolio import NotAvailable, Portfolio

__all__ = ["NotAvailable", "Portfolio", "__version__", "load_portfolio", "analyze", "Bundle"]


def __getattr__(name: str):  # lazy: keep `import kamtools` light for the CLI and kernels
    if name == "load_portfolio":
        from kamtools.data.loader import load_portfolio

        return load_portfolio
    if name == "analyze":
        from kamtools.bundle import analyze

        return analyze
    if name == "Bundle":
        from kamtools.bundle import Bundle

        return Bundle
    raise AttributeError(f"module 'kamtools' has no attribute {name!r}")

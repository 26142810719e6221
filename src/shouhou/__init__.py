"""shouhou (售后): after-sales platform — refund-claim evidence screening and repair requests."""

__version__ = "0.3.0"

"""What part of the claims a caller may see, as plain data the repositories turn into a query."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """Exactly one of the fields narrows the view; all None with `everything=True` sees all."""

    everything: bool = False
    buyer_id: str | None = None
    shop_id: str | None = None
    reviewer_id: str | None = None

"""Roles and the signed-in principal; what a role may see is a `Scope`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shouhou.storage.scope import Scope


class Role(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"  # merchant after-sales staff of one shop
    REVIEWER = "reviewer"  # platform risk/review team
    ADMIN = "admin"
    AGENT = "agent"  # call-centre agent taking repair requests by phone
    TECHNICIAN = "technician"  # on-site repair technician
    SUPERVISOR = "supervisor"  # watches the repair SLA, the uncovered queue, reassigns


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    role: Role
    shop_id: str | None = None
    buyer_id: str | None = None

    def claim_scope(self) -> Scope:
        if self.role is Role.ADMIN:
            return Scope(everything=True)
        if self.role is Role.BUYER:
            return Scope(buyer_id=self.buyer_id or "-")
        if self.role is Role.MERCHANT:
            return Scope(shop_id=self.shop_id or "-")
        if self.role is Role.REVIEWER:
            return Scope(reviewer_id=self.user_id)
        return Scope()  # repair roles see no refund claims


SYSTEM = Principal(user_id="system", username="system", role=Role.ADMIN)

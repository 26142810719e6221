"""The audit log as the admin console reads it: pages of entries newest first, and verification on demand.
Admins only; reading the log changes nothing (no entry is written for it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shouhou.accounts.roles import Principal, Role
from shouhou.audit import service
from shouhou.audit.chain import VerifyReport
from shouhou.errors import Forbidden
from shouhou.runtime import Runtime
from shouhou.storage.tables import AuditEntry


def _admin(actor: Principal) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden(f"the {actor.role.value} role may not read the audit log")


@dataclass(frozen=True)
class AuditPage:
    entries: Sequence[AuditEntry]
    total: int  # entries matching the filter
    actions: list[str]  # every action in the log, for the filter


def list_entries(
    rt: Runtime,
    *,
    actor: Principal,
    action: str | None = None,
    subject: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> AuditPage:
    """`action` is a prefix ("claim." for every claim action); `subject` an id, a type, or "type:id"."""
    _admin(actor)
    with rt.uow(write=False) as uow:
        rows, total = uow.audit.newest(
            action=action or None, subject=subject or None, offset=max(offset, 0), limit=limit
        )
        return AuditPage(entries=rows, total=total, actions=uow.audit.actions())


def verify_log(rt: Runtime, *, actor: Principal) -> VerifyReport:
    """Verify the whole chain against the checkpoint file, as `shouhou audit verify` does."""
    _admin(actor)
    return service.verify(rt.db, rt.keys.audit, rt.settings.audit_checkpoint_file)

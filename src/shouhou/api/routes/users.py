"""Users and reviewer shifts (admin)."""

from __future__ import annotations

from fastapi import APIRouter, status

from shouhou.accounts import service
from shouhou.accounts.roles import Role
from shouhou.api.deps import PagingDep, PrincipalDep, RuntimeDep
from shouhou.claims import schemas as s
from shouhou.claims.catalog import require_role
from shouhou.errors import ValidationFailed

router = APIRouter(tags=["users"])


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=s.UserCreated)
def create_user(rt: RuntimeDep, principal: PrincipalDep, body: s.UserCreate) -> s.UserCreated:
    """Create a user; the response carries their token, shown this once."""
    require_role(principal, Role.ADMIN)
    try:
        role = Role(body.role)
    except ValueError:
        raise ValidationFailed(f"role must be one of {[r.value for r in Role]}") from None
    user, token = service.create_user(
        rt,
        actor=principal,
        username=body.username,
        role=role,
        display_name=body.display_name,
        shop_id=body.shop_id,
        buyer_id=body.buyer_id,
        on_shift=body.on_shift,
    )
    return s.UserCreated(**s.UserRead.model_validate(user).model_dump(), token=token)


@router.get("/users/me", response_model=s.UserRead)
def me(rt: RuntimeDep, principal: PrincipalDep) -> s.UserRead:
    return s.UserRead.model_validate(service.get_user(rt, user_id=principal.user_id))


@router.get("/users", response_model=s.Page[s.UserRead])
def list_users(
    rt: RuntimeDep, principal: PrincipalDep, paging: PagingDep, role: str | None = None
) -> s.Page[s.UserRead]:
    require_role(principal, Role.ADMIN)
    rows, total = service.list_users(rt, role=role, offset=paging.offset, limit=paging.limit)
    return s.Page[s.UserRead](
        items=[s.UserRead.model_validate(u) for u in rows],
        total=total,
        offset=paging.offset,
        limit=paging.limit,
    )


@router.put("/users/{user_id}/shift", response_model=s.UserRead)
def set_shift(rt: RuntimeDep, principal: PrincipalDep, user_id: str, body: s.ShiftIn) -> s.UserRead:
    """A reviewer goes on or off shift (themself, or an admin for them)."""
    if not (
        principal.role is Role.ADMIN or (principal.role is Role.REVIEWER and principal.user_id == user_id)
    ):
        require_role(principal, Role.ADMIN)
    return s.UserRead.model_validate(
        service.set_on_shift(rt, actor=principal, user_id=user_id, on_shift=body.on_shift)
    )

"""`shouhou users …`: create users (the token is printed once) and issue new tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from shouhou.accounts import service
from shouhou.accounts.roles import SYSTEM, Role
from shouhou.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Users, roles and API tokens.")


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="buyer, merchant, reviewer or admin")],
    shop_id: Annotated[str | None, typer.Option(help="the shop a merchant user works for")] = None,
    buyer_id: Annotated[str | None, typer.Option(help="the buyer account a buyer user is")] = None,
    display_name: Annotated[str, typer.Option(help="name shown to colleagues")] = "",
    on_shift: Annotated[bool, typer.Option(help="a reviewer starts on shift")] = False,
) -> None:
    """Create a user and print their API token (shown once; only its hash is stored)."""
    rt = Runtime.open()
    user, token = service.create_user(
        rt,
        actor=SYSTEM,
        username=username,
        role=role,
        display_name=display_name,
        shop_id=shop_id,
        buyer_id=buyer_id,
        on_shift=on_shift,
    )
    typer.echo(f"created {user.role} {user.username} ({user.id}); token (shown once):", err=True)
    typer.echo(token)


@app.command("token")
def token(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Issue another token for an existing user."""
    rt = Runtime.open()
    typer.echo(service.issue_token(rt, actor=SYSTEM, username=username))

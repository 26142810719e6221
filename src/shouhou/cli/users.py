"""`shouhou users …`: create users (the token is printed once), issue new tokens, set console passwords.

A password is typed at a hidden, confirmed prompt, or read from the first line of standard input with
`--password-stdin` (for scripts); it is never an argument, which would leave it in the shell history and in
the process list."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from shouhou.accounts import service, sessions
from shouhou.accounts.roles import SYSTEM, Role
from shouhou.errors import ValidationFailed
from shouhou.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Users, roles, API tokens and console passwords.")


def read_password(*, from_stdin: bool) -> str:
    """The new password: first line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValidationFailed("no password on standard input")
    else:
        password = typer.prompt("console password", hide_input=True, confirmation_prompt=True, err=True)
    sessions.check_password_rules(password)
    return password


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[
        Role, typer.Option(help="buyer, merchant, reviewer, admin, agent, technician or supervisor")
    ],
    shop_id: Annotated[str | None, typer.Option(help="the shop a merchant user works for")] = None,
    buyer_id: Annotated[str | None, typer.Option(help="the buyer account a buyer user is")] = None,
    display_name: Annotated[str, typer.Option(help="name shown to colleagues")] = "",
    on_shift: Annotated[bool, typer.Option(help="a reviewer starts on shift")] = False,
    password: Annotated[
        bool, typer.Option("--password", help="also set a console password (hidden prompt, typed twice)")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="also set a console password read from stdin")
    ] = False,
) -> None:
    """Create a user and print their API token (shown once; only its hash is stored)."""
    # Asked before the user exists: a refused password leaves no half-made account behind.
    secret = read_password(from_stdin=password_stdin) if password or password_stdin else None
    rt = Runtime.open()
    try:
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
        if secret is not None:
            sessions.set_password(rt, actor=SYSTEM, user_id=user.id, password=secret)
    finally:
        rt.close()
    typer.echo(
        f"created {user.role} {user.username} ({user.id})"
        + ("; console password set" if secret is not None else "")
        + "; token (shown once):",
        err=True,
    )
    typer.echo(token)


@app.command("token")
def token(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Issue another token for an existing user."""
    rt = Runtime.open()
    try:
        typer.echo(service.issue_token(rt, actor=SYSTEM, username=username))
    finally:
        rt.close()


@app.command("password")
def password(
    username: Annotated[str, typer.Argument(help="login name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
) -> None:
    """Set (or reset) a user's console password; every open console session of theirs ends."""
    rt = Runtime.open()
    try:
        user = service.user_by_username(rt, username=username)
        secret = read_password(from_stdin=password_stdin)
        sessions.set_password(rt, actor=SYSTEM, user_id=user.id, password=secret)
    finally:
        rt.close()
    typer.echo(f"console password set for {user.username}; their open sessions have ended", err=True)

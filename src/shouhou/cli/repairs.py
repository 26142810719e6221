"""`shouhou repairs …`: an agent takes a call (new), maintenance tips, the supervisor's queue.

Output shows masked contact data only: never the customer's phone or full address.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import typer

from shouhou.accounts.roles import Principal
from shouhou.accounts.service import authenticate
from shouhou.errors import Unauthenticated, ValidationFailed
from shouhou.repairs import catalogue, service
from shouhou.repairs.dispatch import SHANGHAI
from shouhou.repairs.intake import intake
from shouhou.repairs.states import OPEN_STATES, Priority, RepairState, ServiceType
from shouhou.repairs.tips import load_tips
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt

app = typer.Typer(
    no_args_is_help=True, help="Repair requests (报修): take a call, tips, the supervisor's queue."
)

Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="SHOUHOU_TOKEN",
        show_envvar=True,
        show_default=False,
        help="API token of the user acting (from `shouhou users create`).",
    ),
]
# Enough for any real queue; the open requests are read once and filtered for breaches here.
QUEUE_SCAN = 5000


def _principal(rt_: Runtime, token: str | None) -> Principal:
    if not token:
        raise Unauthenticated("give --token or set SHOUHOU_TOKEN (a token from `shouhou users create`)")
    return authenticate(rt_, token)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _need(value: str | None, label: str, flag: str) -> str:
    """The option's value; asked for when missing and a person is at the terminal, refused otherwise."""
    if value is not None and value.strip():
        return value
    if _interactive():
        answer = str(typer.prompt(label)).strip()
        if answer:
            return answer
    raise ValidationFailed(f"{flag} is required (stdin is not a terminal, so it cannot be asked for)")


def _local(at: datetime | None) -> str:
    return "—" if at is None else at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M (Asia/Shanghai)")


def _technician_label(rt_: Runtime, req: rt.RepairRequest) -> str:
    if req.technician_id is not None:
        with rt_.uow(write=False) as uow:
            tech = uow.technicians.get(id=req.technician_id)
        name = tech.display_name if tech is not None else "?"
        return f"{name} ({req.technician_id})"
    if req.state == RepairState.UNCOVERED.value:
        return "uncovered queue (no technician covers this area with this skill; supervisor alerted)"
    return "none yet: nobody covering is on shift or free now; dispatched when one is"


@app.command("new")
def new(
    name: Annotated[str | None, typer.Option("--name", help="customer's name")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="customer's phone number")] = None,
    address: Annotated[str | None, typer.Option("--address", help="full address, county or finer")] = None,
    brand: Annotated[
        str | None, typer.Option("--brand", help="brand as catalogued, e.g. '海尔 Haier'")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="category code, e.g. washing_machine")
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="the fault in the customer's words")
    ] = None,
    fault_code: Annotated[
        str | None, typer.Option("--fault-code", help="fault code shown by the appliance")
    ] = None,
    emergency: Annotated[
        bool, typer.Option("--emergency", help="green channel (绿色通道): leak, gas, locked safe")
    ] = False,
    service_type: Annotated[
        ServiceType, typer.Option("--service-type", help="kind of visit")
    ] = ServiceType.REPAIR,
    token: Token = None,
) -> None:
    """Take a call: record the request (contact data encrypted), dispatched at once when someone can go."""
    rt_ = Runtime.open()
    try:
        actor = _principal(rt_, token)
        result = intake(
            rt_,
            actor=actor,
            customer_name=_need(name, "Customer name", "--name"),
            phone=_need(phone, "Phone", "--phone"),
            address=_need(address, "Address", "--address"),
            brand=_need(brand, "Brand", "--brand"),
            category=_need(category, "Category code", "--category"),
            description=_need(description, "Fault description", "--description"),
            service_type=service_type.value,
            fault_code=fault_code or None,
            emergency=emergency,
        )
        req = result.request
        note = ""
        if result.linked_to_open:
            note = "  (an open request exists for this appliance: the call was linked to it)"
        elif result.reopened:
            note = "  (the same fault within the warranty window: the earlier request was reopened)"
        priority = req.priority + ("  绿色通道 green channel" if req.priority == Priority.EMERGENCY else "")
        typer.echo(f"request             {req.id}{note}")
        typer.echo(f"state               {req.state}")
        typer.echo(f"priority            {priority}")
        typer.echo(f"address             {req.address_masked}")
        typer.echo(f"technician          {_technician_label(rt_, req)}")
        typer.echo(f"first response due  {_local(req.first_response_due)}")
    finally:
        rt_.close()


@app.command("tips")
def tips(
    words: Annotated[list[str] | None, typer.Argument(help="words that must all appear")] = None,
    category: Annotated[str | None, typer.Option(help="category code, e.g. safe")] = None,
    full: Annotated[bool, typer.Option("--full", help="print each tip's text, not only its title")] = False,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
) -> None:
    """Search the maintenance tips (load the shipped ones with `shouhou repairs load-tips`)."""
    rt_ = Runtime.open()
    try:
        found = catalogue.search_tips(rt_, category=category, query=" ".join(words or []), limit=limit)
    finally:
        rt_.close()
    if not found:
        typer.echo("no tip matches", err=True)
        return
    for tip in found:
        typer.echo(f"{tip.title}  [{tip.tags}]")
        if full:
            typer.echo(tip.body_md.rstrip() + "\n")


@app.command("load-tips")
def load_tips_cmd(token: Token = None) -> None:
    """Add the maintenance tips shipped with shouhou (once; a second run adds none). Admin or supervisor."""
    rt_ = Runtime.open()
    try:
        added = load_tips(rt_, actor=_principal(rt_, token))
    finally:
        rt_.close()
    typer.echo(f"added {added} tip(s)")


def _breaches(req: rt.RepairRequest, now: datetime) -> list[str]:
    """Breaches the timers have recorded, and deadlines passed that they have not seen yet."""
    out = []
    if req.first_response_breached or (
        req.first_response_at is None and req.first_response_due is not None and req.first_response_due <= now
    ):
        out.append("first response")
    if req.onsite_breached or (
        req.onsite_at is None and req.onsite_due is not None and req.onsite_due <= now
    ):
        out.append("on site")
    return out


def _print_rows(title: str, rows: Sequence[tuple[rt.RepairRequest, str]]) -> None:
    typer.echo(f"{title}: {len(rows)}")
    for req, extra in rows:
        typer.echo(
            f"  {req.id}  {req.state:<10} {req.priority:<9} {req.adcode:<9} {req.address_masked}  "
            f"tech={req.technician_id or '-'}  due={_local(req.first_response_due)}  {extra}".rstrip()
        )


@app.command("queue")
def queue(token: Token = None) -> None:
    """The supervisor's watch list: the uncovered queue and open requests past an SLA deadline."""
    rt_ = Runtime.open()
    try:
        actor = _principal(rt_, token)
        now = rt_.now()
        uncovered = service.queue(rt_, actor=actor, states=[RepairState.UNCOVERED.value], limit=QUEUE_SCAN)
        open_ = service.queue(rt_, actor=actor, states=sorted(OPEN_STATES), limit=QUEUE_SCAN)
    finally:
        rt_.close()
    breached = [(r, "breached: " + ", ".join(b)) for r in open_ if (b := _breaches(r, now))]
    _print_rows("uncovered", [(r, f"waiting since {_local(r.state_entered_at)}") for r in uncovered])
    _print_rows("SLA breached", breached)


# Written by another helper; until it lands there is no `simulate` command.
try:
    from shouhou.cli.repairs_simulate import simulate as _simulate
except ModuleNotFoundError as exc:
    if exc.name != "shouhou.cli.repairs_simulate":
        raise
else:
    app.command("simulate")(_simulate)

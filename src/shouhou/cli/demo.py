"""`shouhou demo`: generate the demo claim photos, screen them on the embedded default and write a report;
load the demo shop and repair service into SHOUHOU_HOME; end with the console's address and one sign-in per
role."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shouhou.config import Settings
from shouhou.errors import InputError


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo cases, the index and the report.")] = Path(
        "var/demo"
    ),
) -> None:
    """Screen the shipped demo cases (honest, forged, reused, AI-labelled, broken); write an HTML report; load
    the demo shop and repair service; print the console's address and a sign-in for each role."""
    import sys

    from shouhou.demo.evidence import DELIVERED_AT, write_cases
    from shouhou.evidence.engine import Engine
    from shouhou.evidence.item import ScreenContext
    from shouhou.evidence.references import ReferenceLibrary
    from shouhou.evidence.report import write_report
    from shouhou.index.store import ReuseIndex

    console = Console(width=None if sys.stdout.isatty() else 160)
    settings = Settings(home=out / "home")
    console.print(f"writing demo cases under {out} …", highlight=False)
    ref_dir, cases = write_cases(out)
    index_dir = settings.index_dir
    if index_dir.exists():  # a fresh index each run, so the demo's answers do not depend on earlier runs
        import shutil

        shutil.rmtree(index_dir)
    index = ReuseIndex.open(index_dir)
    library = ReferenceLibrary(settings.reference_cache_dir, settings.limits)
    refs = [library.add(p, name=p.name) for p in sorted(ref_dir.iterdir())]
    engine = Engine(settings, index=index, record=True)

    screened = []
    failures: list[tuple[str, str]] = []
    table = Table(title=f"shouhou demo — delivered at {DELIVERED_AT.isoformat()}")
    for col in ("case", "expected", "risk", "score", "derived from"):
        table.add_column(col, no_wrap=True, min_width=len(col) + 2)
    table.add_column("main reason", no_wrap=True, overflow="ellipsis", max_width=60)
    mismatches = 0
    for path in sorted((out / "cases").iterdir()):
        case = cases[path.name]
        context = ScreenContext(
            delivered_at=None if case.previous_claim else DELIVERED_AT,
            claim_id=f"demo-{path.stem[:2]}",
            submitter_id="buyer-earlier" if case.previous_claim else "buyer-demo",
        )
        try:
            item, result = engine.screen(path, name=path.name, references=refs, context=context)
        except InputError as exc:
            failures.append((path.name, str(exc)))
            ok = case.expected == "bad input"
            mismatches += not ok
            table.add_row(path.name, case.expected, "[red]not screened[/red]", "", "", escape(str(exc)))
            continue
        if not case.previous_claim:
            screened.append((item, result))
        ok = case.expected in ("seeded", result.risk)
        mismatches += not ok
        reason = (
            escape(f"[{result.reasons[0].signal}] {result.reasons[0].text}")
            if result.reasons
            else "no finding"
        )
        table.add_row(
            path.name,
            case.expected,
            result.risk + ("" if ok else "  ≠ expected"),
            f"{result.score:.2f}",
            result.matched_reference or "",
            reason,
        )
    index.save()
    page = write_report(
        screened, out / "report", failures=failures, title="shouhou demo — evidence screening"
    )
    console.print(table)
    if mismatches:
        console.print(
            f"[yellow]{mismatches} case(s) differ from the expected risk (see the report).[/yellow]"
        )
    console.print(f"report: {page.resolve()}", highlight=False)
    _load_claims(console)
    _load_repairs(console)
    _print_sign_ins(console)


def _load_claims(console: Console) -> None:
    """The claims half of the demo: a shop with orders and claims in SHOUHOU_HOME, screened in-process."""
    from shouhou.api.app import build_worker
    from shouhou.demo.claims import dispute_risky, load
    from shouhou.runtime import Runtime

    rt = Runtime.open(Settings())
    world = load(rt)
    if not world.loaded:
        console.print(f"demo shop already loaded in {rt.settings.home.resolve()}", highlight=False)
    else:
        worker, holder = build_worker(rt)
        try:
            worker.run_pending()
        finally:
            holder.close()
        disputed = dispute_risky(rt, world)
        console.print(
            f"the demo merchant disputed {disputed} risky claim(s): the reviewers' console has a queue",
            highlight=False,
        )
        table = Table(title="demo claims (screened by the in-process worker)")
        for col in ("case", "claim", "state", "risk"):
            table.add_column(col, no_wrap=True)
        for case, claim_id in world.claims:
            with rt.uow(write=False) as uow:
                claim = uow.claims.get_or_raise(id=claim_id)
            table.add_row(case, claim_id, claim.state, claim.risk or "")
        console.print(table)
        console.print("API tokens (shown once):", highlight=False)
        for who, token in world.tokens.items():
            console.print(f"  {who:<11} {token}", highlight=False)
    rt.close()


def _load_repairs(console: Console) -> None:
    """The repairs half of the demo: technicians, staff and repair requests in SHOUHOU_HOME, in-process."""
    from shouhou.demo.repairs import load
    from shouhou.runtime import Runtime

    rt = Runtime.open(Settings())
    try:
        world = load(rt)
    finally:
        rt.close()
    if not world.loaded:
        console.print(f"demo repair service already loaded in {rt.settings.home.resolve()}", highlight=False)
        return
    table = Table(title=f"demo repair requests ({world.tips} maintenance tips loaded)")
    for col in ("case", "request", "state", "priority", "technician"):
        table.add_column(col, no_wrap=True)
    for r in world.requests:
        table.add_row(r.case, r.request_id, r.state, r.priority, r.technician or "—")
    console.print(table)
    console.print("repair API tokens (shown once):", highlight=False)
    for who, token in world.tokens.items():
        console.print(f"  {who:<11} {token}", highlight=False)
    console.print(
        "take a call with `SHOUHOU_TOKEN=<agent token> .venv/bin/shouhou repairs new`", highlight=False
    )


def _print_sign_ins(console: Console) -> None:
    """The end of the demo: where the console is and one sign-in per role. The passwords are new on every
    run (the old ones stop working), so they are printed this once and never stored in clear."""
    from shouhou.demo.signins import CONSOLE_URL, reset_passwords
    from shouhou.runtime import Runtime

    rt = Runtime.open(Settings())
    try:
        sign_ins = reset_passwords(rt)
    finally:
        rt.close()
    console.print(
        f"API under {CONSOLE_URL}api/v1 (OpenAPI docs at {CONSOLE_URL}api/v1/docs)", highlight=False
    )
    console.print("start the console with `.venv/bin/shouhou serve`, then open it at:", highlight=False)
    console.print(f"  console    {CONSOLE_URL}", highlight=False)
    console.print("sign in as (new passwords on every demo run; shown once):", highlight=False)
    console.print(f"  {'role':<11} {'username':<18} password", highlight=False)
    for s in sign_ins:
        console.print(f"  {s.role.value:<11} {s.username:<18} {s.password}", highlight=False)

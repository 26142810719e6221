"""No customer's phone, name or full address (nor a technician's phone) in clear at rest: not in any row, not
in the SQLite file or its WAL, not anywhere under the home folder, not in a notification — after intake, a
linked duplicate call, a revealed contact, a completed visit with photos, feedback, closing and a reopen."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import Principal
from shouhou.claims.catalog import Upload
from shouhou.repairs import intake, service
from shouhou.repairs.timers import run_repair_timers
from shouhou.storage.tables import Base
from tests.api.conftest import jpeg
from tests.conftest import sample
from tests.repairs.conftest import CUSTOMER_ADDRESS, CUSTOMER_PHONE, RepairWorld

NAME = "赵敏"
TECH_PHONE = "13700000000"  # every technician of the repair world
SECRETS = {
    "customer phone": CUSTOMER_PHONE,
    "customer name": NAME,
    "full address": CUSTOMER_ADDRESS,
    "street": "兴园路",
    "sub-district": "旭日街道",
    "technician phone": TECH_PHONE,
}
MASKED = ("139****5678", "赵*", "江西省上饶市")


def _forms(text: str) -> list[bytes]:
    """The byte shapes a string takes at rest: UTF-8, JSON with \\u escapes, UTF-16 (either order)."""
    return [
        text.encode("utf-8"),
        json.dumps(text)[1:-1].encode("ascii"),
        text.encode("utf-16-le"),
        text.encode("utf-16-be"),
    ]


def _leaks(blob: bytes) -> list[str]:
    return [what for what, text in SECRETS.items() if any(form in blob for form in _forms(text))]


def _rows_text(w: RepairWorld) -> str:
    """Every value of every table, as text (whatever the backend)."""
    parts: list[str] = []
    with w.rt.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def _files(w: RepairWorld) -> list[Path]:
    home = w.rt.settings.home
    files = [p for p in home.rglob("*") if p.is_file()]
    url = w.rt.db.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        db = Path(url.database)
        files += [p for p in (db, db.with_name(db.name + "-wal")) if p.exists()]
    return files


def _assert_nothing_in_clear(w: RepairWorld, stage: str) -> None:
    rows = _rows_text(w)
    assert [what for what, text in SECRETS.items() if text in rows] == [], stage
    assert all(m in rows for m in MASKED), f"{stage}: the masked forms should be stored (the scan saw data)"
    seen_masked = False
    for path in _files(w):
        blob = path.read_bytes()
        assert _leaks(blob) == [], f"{stage}: {path}"
        seen_masked |= MASKED[0].encode() in blob
    if w.rt.db.engine.url.get_backend_name() == "sqlite":
        assert seen_masked, f"{stage}: the SQLite files were read but hold no masked phone"
    for message in w.notifier.sent:
        assert _leaks(repr(message).encode()) == [], f"{stage}: {message}"


def _who(w: RepairWorld, name: str) -> Principal:
    return accounts.authenticate(w.rt, w.tokens[name])


def _tech_user(w: RepairWorld, tech_id: str) -> Principal:
    name = next(k.removesuffix("_tech") for k, v in w.ids.items() if v == tech_id and k.endswith("_tech"))
    return _who(w, name)


def _call(w: RepairWorld, description: str) -> intake.IntakeResult:
    return intake.intake(
        w.rt,
        actor=_who(w, "agent"),
        customer_name=NAME,
        phone=f"+86 {CUSTOMER_PHONE[:3]} {CUSTOMER_PHONE[3:7]} {CUSTOMER_PHONE[7:]}",
        address=CUSTOMER_ADDRESS,
        brand="海尔 Haier",
        category="washing_machine",
        description=description,
    )


def test_no_personal_data_in_clear_through_a_whole_repair(repair_world: RepairWorld) -> None:
    w = repair_world
    first = _call(w, "不脱水，显示 E4")
    rid = first.request.id
    assert first.request.state == "dispatched"
    assert _call(w, "催一下").linked_to_open
    _assert_nothing_in_clear(w, "intake")

    tech = _tech_user(w, first.technician_id or "")
    revealed = service.contact(w.rt, actor=tech, request_id=rid, reveal=True)
    assert (revealed["phone"], revealed["name"], revealed["address"]) == (
        CUSTOMER_PHONE,
        NAME,
        CUSTOMER_ADDRESS,
    )
    for action, reason in (
        ("accept", ""),
        ("wait", "customer"),
        ("resume", ""),
        ("en_route", ""),
        ("on_site", ""),
    ):
        service.step(w.rt, actor=tech, request_id=rid, action=action, reason=reason)
    # The photos carry the customer's name and phone in EXIF: the evidence store must encrypt them.
    photo = jpeg(sample("coffee"), owner=f"{NAME} {CUSTOMER_PHONE}")
    assert CUSTOMER_PHONE.encode() in photo
    _req, token = service.complete(
        w.rt,
        actor=tech,
        request_id=rid,
        parts=[service.Part("排水泵", 1, 8800)],
        fee_fen=5000,
        notes="更换排水泵",
        before=[Upload("before.jpg", photo)],
        after=[Upload("after.jpg", photo)],
    )
    _assert_nothing_in_clear(w, "complete")

    service.rate(w.rt, request_id=rid, rating=4, comment="师傅很准时", token=token)
    w.clock.advance(timedelta(days=7, minutes=1))
    assert run_repair_timers(w.rt) == 1
    _assert_nothing_in_clear(w, "feedback and closing")

    again = _call(w, "又不脱水了")
    assert again.reopened and again.request.id == rid
    _assert_nothing_in_clear(w, "reopen")

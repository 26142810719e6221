"""`shouhou repairs new | queue | tips | load-tips` through Typer's runner on the embedded default (the world
is built in-process in SHOUHOU_HOME first), a prompt on a real terminal, and the demo repair service."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import SYSTEM, Role
from shouhou.cli.app import exit_code_for
from shouhou.cli.demo import _load_repairs
from shouhou.cli.repairs import app
from shouhou.demo import repairs as demo
from shouhou.errors import Forbidden, Unauthenticated, ValidationFailed
from shouhou.repairs import catalogue
from shouhou.repairs.dispatch import SHANGHAI
from shouhou.repairs.intake import intake
from shouhou.repairs.states import RepairState
from shouhou.repairs.timers import run_repair_timers
from shouhou.runtime import ManualClock, Runtime
from shouhou.storage import repair_tables as rt_tables
from shouhou.storage.tables import Base
from tests.api.conftest import settings_for
from tests.repairs.conftest import CUSTOMER_ADDRESS, CUSTOMER_PHONE

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
CALL = [
    "--name", "赵敏",
    "--phone", "139 1234 5678",
    "--address", CUSTOMER_ADDRESS,
    "--brand", "海尔 Haier",
    "--category", "washing_machine",
    "--description", "不脱水，显示 E4",
]  # fmt: skip


@dataclass
class CliWorld:
    home: Path
    rt: Runtime
    tokens: dict[str, str] = field(default_factory=dict)
    tech_id: str = ""

    def run(self, *args: str, token: str | None = None, **kw: object) -> Result:
        env = {"SHOUHOU_TOKEN": self.tokens[token]} if token else {}
        return runner.invoke(app, list(args), env=env, **kw)  # type: ignore[arg-type]

    def request(self, request_id: str) -> rt_tables.RepairRequest:
        with self.rt.uow(write=False) as uow:
            return uow.repairs.get_or_raise(id=request_id)

    def count(self) -> int:
        with self.rt.uow(write=False) as uow:
            return len(uow.repairs.in_states(states=[s.value for s in RepairState], limit=10_000))


def _without(*flags: str) -> list[str]:
    """CALL less the named options and their values."""
    out, skip = [], False
    for arg in CALL:
        if not skip and arg in flags:
            skip = True
        elif skip:
            skip = False
        else:
            out.append(arg)
    return out


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliWorld]:
    home = tmp_path / "home"
    monkeypatch.setenv("SHOUHOU_HOME", str(home))
    monkeypatch.delenv("SHOUHOU_TOKEN", raising=False)
    rt = Runtime.open()  # the same settings, keys and SQLite file the command will open
    w = CliWorld(home=home, rt=rt)
    for name, role in (("admin", Role.ADMIN), ("agent", Role.AGENT), ("super", Role.SUPERVISOR)):
        _user, w.tokens[name] = accounts.create_user(rt, actor=SYSTEM, username=name, role=role)
    tech_user, w.tokens["tech"] = accounts.create_user(
        rt, actor=SYSTEM, username="tech", role=Role.TECHNICIAN
    )
    admin = accounts.authenticate(rt, w.tokens["admin"])
    catalogue.ensure_brand(rt, actor=admin, name="海尔 Haier")
    catalogue.ensure_category(
        rt, actor=admin, code="washing_machine", name="洗衣机", faults=[("LEAK", "漏水 / water leak", True)]
    )
    catalogue.ensure_category(rt, actor=admin, code="safe", name="保险柜", faults=[("LOCKED", "锁死", True)])
    # On call round the clock: the command runs on the wall clock, whatever the hour of the test run.
    w.tech_id = catalogue.register_technician(
        rt,
        actor=admin,
        display_name="吴师傅",
        phone="13700000000",
        home="上饶市广信区",
        coverage=["上饶市广信区", "东莞市"],
        skills=[catalogue.Skill("washing_machine"), catalogue.Skill("safe")],
        shift=("00:00", "00:00"),
        user_id=tech_user.id,
    ).id
    yield w
    rt.close()


def _request_id(output: str) -> str:
    match = re.search(r"\brequest\s+(rep_\w+)", output)
    assert match, output
    return match.group(1)


def _shanghai(at: datetime | None) -> str:
    assert at is not None
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + " (Asia/Shanghai)"


def test_new_prints_the_masked_summary_and_never_the_contact(cli_world: CliWorld) -> None:
    w = cli_world
    r = w.run("new", *CALL, token="agent")
    assert r.exit_code == 0, r.output
    req = w.request(_request_id(r.stdout))
    assert (req.state, req.priority, req.technician_id) == ("dispatched", "normal", w.tech_id)
    assert re.search(r"^state\s+dispatched$", r.stdout, re.MULTILINE)
    assert re.search(r"^priority\s+normal$", r.stdout, re.MULTILINE)
    assert f"吴师傅 ({w.tech_id})" in r.stdout
    assert req.address_masked in r.stdout and req.address_masked.startswith("江西省上饶市")
    due = _shanghai(req.first_response_due)
    assert re.search(rf"^first response due\s+{re.escape(due)}$", r.stdout, re.MULTILINE)
    for secret in (CUSTOMER_PHONE, "1234 5678", "5678", CUSTOMER_ADDRESS, "兴园路", "赵敏"):
        assert secret not in r.output, secret
    again = w.run("new", *CALL[:-1], "还是不脱水", token="agent")
    assert again.exit_code == 0 and _request_id(again.stdout) == req.id and "linked" in again.stdout


def test_new_with_the_token_option_emergency_and_the_uncovered_queue(cli_world: CliWorld) -> None:
    w = cli_world
    args = ["--name", "林芳", "--brand", "海尔 Haier", "--category", "safe"]
    r = w.run(
        "new",
        *args,
        "--phone", "13500135006",
        "--address", "广东省东莞市万江街道 金泰路 8 号",
        "--description", "保险柜密码失灵",
        "--emergency",
        "--service-type", "repair",
        "--token", w.tokens["agent"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    req = w.request(_request_id(r.stdout))
    assert req.priority == "emergency" and req.adcode == "441900005"
    assert "emergency  绿色通道 green channel" in r.stdout
    # Green channel: 15 minutes on the calendar clock, not business hours.
    assert req.first_response_due == req.created_at + timedelta(minutes=15)
    r = w.run(
        "new",
        *args,
        "--phone",
        "13500135007",
        "--address",
        "北京市海淀区中关村大街 27 号",
        "--description",
        "打不开",
        token="agent",
    )
    assert r.exit_code == 0, r.output
    assert w.request(_request_id(r.stdout)).state == "uncovered"
    assert re.search(r"^technician\s+uncovered queue", r.stdout, re.MULTILINE)
    assert "13500135007" not in r.output and "中关村大街" not in r.output


def test_new_refuses_missing_values_without_a_terminal_and_bad_tokens(cli_world: CliWorld) -> None:
    w = cli_world
    r = w.run("new", *_without("--phone"), token="agent")
    assert isinstance(r.exception, ValidationFailed) and exit_code_for(r.exception) == 2
    assert "--phone is required" in str(r.exception) and "not a terminal" in str(r.exception)
    r = w.run("new", *CALL)
    assert isinstance(r.exception, Unauthenticated) and "SHOUHOU_TOKEN" in str(r.exception)
    r = w.run("new", *CALL, "--token", "shh_not-a-real-token")
    assert isinstance(r.exception, Unauthenticated) and exit_code_for(r.exception) == 2
    r = w.run("new", *CALL, token="tech")
    assert isinstance(r.exception, Forbidden) and exit_code_for(r.exception) == 2
    r = w.run("new", *CALL, "--service-type", "teleport", token="agent")
    assert r.exit_code == 2 and "teleport" in r.output
    r = w.run("new", *_without("--address"), "--address", "火星基地 1 号", token="agent")
    assert isinstance(r.exception, ValidationFailed) and "火星基地" in str(r.exception)
    assert w.count() == 0  # nothing was recorded by any refused call


def test_new_asks_for_missing_values_at_a_terminal(cli_world: CliWorld) -> None:
    w = cli_world
    without = _without("--phone", "--description")
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from shouhou.cli.repairs import app; app()", "new", *without],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "SHOUHOU_HOME": str(w.home), "SHOUHOU_TOKEN": w.tokens["agent"]},
        )
        os.close(terminal)
        terminal = -1
        os.write(controller, f"{CUSTOMER_PHONE}\n不脱水，显示 E4\n".encode())
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert "Phone:" in text and "Fault description:" in text
    req = w.request(_request_id(text))
    assert req.state == "dispatched" and req.description == "不脱水，显示 E4"
    assert CUSTOMER_PHONE not in text


def test_queue_shows_uncovered_and_breached_requests(cli_world: CliWorld) -> None:
    w = cli_world
    beijing = ["--address", "北京市海淀区中关村大街 27 号", "--phone", "13800000009"]
    uncovered = _request_id(w.run("new", *_without("--address", "--phone"), *beijing, token="agent").stdout)
    on_time = _request_id(w.run("new", *CALL, token="agent").stdout)
    # A call taken three days ago that nobody answered: past both deadlines, not yet seen by the timers.
    past = Runtime.open(clock=ManualClock(datetime.now(UTC) - timedelta(days=3)))
    try:
        agent = accounts.authenticate(past, w.tokens["agent"])
        late = intake(
            past,
            actor=agent,
            customer_name="钱伟",
            phone="13500135002",
            address="广东省东莞市万江街道 金泰路 8 号",
            brand="海尔 Haier",
            category="safe",
            description="密码键盘没反应",
        ).request.id
    finally:
        past.close()
    r = w.run("queue", token="super")
    assert r.exit_code == 0, r.output
    sections = r.stdout.split("SLA breached:")
    assert uncovered in sections[0] and on_time not in r.stdout and late in sections[1]
    assert "breached: first response, on site" in sections[1]
    # The timers record the breach (and take the job back from the silent technician): still listed.
    future = Runtime.open(clock=ManualClock(datetime.now(UTC) + timedelta(minutes=1)))
    try:
        assert run_repair_timers(future) >= 1
    finally:
        future.close()
    assert w.request(late).first_response_breached
    assert late in w.run("queue", token="super").stdout.split("SLA breached:")[1]
    r = w.run("queue", token="tech")
    assert isinstance(r.exception, Forbidden)
    assert CUSTOMER_ADDRESS not in r.output and "中关村" not in w.run("queue", token="super").stdout


def test_tips_load_once_and_search(cli_world: CliWorld) -> None:
    w = cli_world
    r = w.run("load-tips", token="agent")
    assert isinstance(r.exception, Forbidden)
    r = w.run("load-tips", token="super")
    assert r.exit_code == 0 and re.fullmatch(r"added [6-9] tip\(s\)|added 10 tip\(s\)", r.stdout.strip())
    assert w.run("load-tips", token="super").stdout.strip() == "added 0 tip(s)"
    r = w.run("tips", "过滤网")
    assert r.exit_code == 0 and "空调过滤网每两周清洗一次" in r.stdout and "English:" not in r.stdout
    r = w.run("tips", "--category", "safe", "battery", "--full")
    assert r.stdout.startswith("电子密码保险柜：低电量提示时马上换电池") and "\nEnglish: " in r.stdout
    r = w.run("tips", "nothing-like-this")
    assert r.exit_code == 0 and r.stdout == "" and "no tip matches" in r.stderr


# ----- the demo repair service


def _counts(rt: Runtime) -> dict[str, int]:
    with rt.db.engine.connect() as conn:
        return {
            t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize(("local_hour", "day_or_night"), [(10, "day"), (23, "night")], ids=["10:00", "23:00"])
def test_demo_loads_every_case_once(
    tmp_path: Path, database_url: str, local_hour: int, day_or_night: str
) -> None:
    start = datetime(2026, 11, 23, local_hour, 0, tzinfo=SHANGHAI)
    rt = Runtime.open(settings_for(tmp_path / "home", database_url), clock=ManualClock(start))
    try:
        world = demo.load(rt)
        assert world.loaded and world.tips >= 6
        got = {r.case: (r.state, r.priority, r.technician) for r in world.requests}
        shanghai_washer = "王师傅 Wang" if day_or_night == "day" else "李师傅 Li"
        hangzhou_ac = "陈师傅 Chen" if day_or_night == "day" else "刘师傅 Liu"
        assert got == {
            "dispatched": ("dispatched", "normal", shanghai_washer),
            "accepted": ("accepted", "normal", hangzhou_ac),
            "completed and rated": ("rated", "normal", "黄师傅 Huang"),
            "waiting for parts": ("waiting", "normal", shanghai_washer),
            "uncovered": ("uncovered", "normal", ""),
            "emergency": ("dispatched", "emergency", "周师傅 Zhou (开锁 locksmith)"),
        }
        assert {"agent", "supervisor", "tech-wang"} <= set(world.tokens)
        assert accounts.authenticate(rt, world.tokens["supervisor"]).role is Role.SUPERVISOR
        before = _counts(rt)
        assert before["technicians"] == len(demo.TECHNICIANS) and before["repair_feedback"] == 1
        again = demo.load(rt)
        assert not again.loaded and again.tokens == {} and _counts(rt) == before
    finally:
        rt.close()


def test_cli_demo_hook_prints_tokens_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUHOU_HOME", str(tmp_path / "home"))
    out = io.StringIO()
    _load_repairs(Console(file=out, width=200))
    text = out.getvalue()
    assert "demo repair requests" in text and "uncovered" in text
    tokens = dict(re.findall(r"^  (\S+)\s+(shh_\S+)$", text, re.MULTILINE))
    assert {"agent", "supervisor"} <= set(tokens)
    for phone in (c.phone for c in demo.CALLS):
        assert phone not in text
    out = io.StringIO()
    _load_repairs(Console(file=out, width=200))
    assert "already loaded" in out.getvalue() and "shh_" not in out.getvalue()
    rt = Runtime.open()
    try:
        assert accounts.authenticate(rt, tokens["agent"]).role is Role.AGENT
    finally:
        rt.close()

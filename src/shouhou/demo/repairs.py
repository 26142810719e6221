"""The demo repair service: brands, categories with fault codes, the shipped tips, technicians on day, night
and on-call shifts in real counties, staff with tokens, and repair requests in the states supervisors see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import SYSTEM, Principal, Role
from shouhou.repairs import catalogue, service
from shouhou.repairs.catalogue import Skill
from shouhou.repairs.intake import intake
from shouhou.repairs.tips import load_tips
from shouhou.runtime import Runtime

MARKER_USER: Final = "demo-agent"
HAIER, MIDEA = "海尔 Haier", "美的 Midea"
ALL_DAY: Final = ("00:00", "00:00")  # on call round the clock
DAY: Final = ("08:00", "20:00")
NIGHT: Final = ("20:00", "08:00")

# (code, name, [(fault code, description, emergency)])
CATEGORIES: Final = (
    (
        "washing_machine",
        "洗衣机",
        [
            ("E4", "脱水不平衡 / unbalanced load", False),
            ("E2", "排水超时 / drain timeout", False),
            ("LEAK", "漏水 / water leak", True),
        ],
    ),
    (
        "air_conditioner",
        "空调",
        [
            ("E1", "室内温度传感器故障 / indoor sensor fault", False),
            ("F0", "制冷不良 / poor cooling", False),
            ("DRIP", "室内机滴水 / indoor unit dripping", False),
        ],
    ),
    (
        "water_heater",
        "热水器",
        [
            ("E1", "不加热 / no heating", False),
            ("GAS", "燃气味 / gas smell", True),
            ("RCD", "漏电保护跳闸 / earth-leakage trip", True),
        ],
    ),
    (
        "safe",
        "保险柜",
        [("LOCKED", "锁死打不开 / locked out", True), ("BATT", "电量低 / low battery", False)],
    ),
)


@dataclass(frozen=True)
class DemoTechnician:
    username: str
    display_name: str
    phone: str
    home: str
    coverage: tuple[str, ...]
    skills: tuple[Skill, ...]
    shift: tuple[str, str]
    capacity: int = 8


WASHER, AC, HEATER, SAFE = (Skill(c) for c in ("washing_machine", "air_conditioner", "water_heater", "safe"))
# Where a demo request must be dispatched whatever the hour, a day and a night technician (or an on-call one)
# cover the county, so the demo tells the same story at 03:00 as at 15:00.
TECHNICIANS: Final = (
    DemoTechnician(
        "demo-tech-wang", "王师傅 Wang", "13600136001", "上海市闵行区",
        ("上海市闵行区", "上海市徐汇区", "上海市浦东新区"), (WASHER, AC), DAY,
    ),
    DemoTechnician(
        "demo-tech-li", "李师傅 Li", "13600136002", "上海市浦东新区",
        ("上海市浦东新区", "上海市闵行区"), (WASHER, HEATER), NIGHT,
    ),
    DemoTechnician(
        "demo-tech-chen", "陈师傅 Chen", "13600136003", "杭州市西湖区",
        ("杭州市西湖区", "杭州市拱墅区"), (Skill("air_conditioner", MIDEA), HEATER), DAY,
    ),
    DemoTechnician(
        "demo-tech-liu", "刘师傅 Liu", "13600136004", "杭州市拱墅区",
        ("杭州市西湖区", "杭州市拱墅区", "杭州市上城区"), (AC, WASHER), NIGHT,
    ),
    DemoTechnician(
        "demo-tech-huang", "黄师傅 Huang", "13600136005", "深圳市南山区",
        ("深圳市南山区", "深圳市福田区"), (HEATER, WASHER), ALL_DAY,
    ),
    DemoTechnician(
        "demo-tech-zhou", "周师傅 Zhou (开锁 locksmith)", "13600136006", "东莞市",
        ("东莞市",), (SAFE,), ALL_DAY, 6,
    ),
    DemoTechnician(
        "demo-tech-wu", "吴师傅 Wu", "13600136007", "上饶市广信区",
        ("上饶市广信区", "上饶市信州区", "上饶市广丰区"), (WASHER, HEATER, Skill("air_conditioner", HAIER)),
        DAY,
    ),
    DemoTechnician(
        "demo-tech-zheng", "郑师傅 Zheng", "13600136008", "三明市沙县区",
        ("三明市沙县区", "三明市永安市"), (SAFE, WASHER), ("08:00", "18:00"), 6,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DemoCall:
    case: str
    name: str
    phone: str
    address: str
    brand: str
    category: str
    description: str
    fault_code: str | None = None


CALLS: Final = (
    DemoCall("dispatched", "孙丽", "13500135001", "上海市闵行区莘庄镇 莘松路 380 弄 5 号 1202 室", HAIER,
             "washing_machine", "不脱水，显示 E4", "E4"),
    DemoCall("accepted", "钱伟", "13500135002", "浙江省杭州市西湖区文三路 88 号 3 幢 402 室", MIDEA,
             "air_conditioner", "制冷效果差，出风不凉", "F0"),
    DemoCall("completed and rated", "周婷", "13500135003", "广东省深圳市南山区科技园路 1 号 2 栋 1801", HAIER,
             "water_heater", "热水器不加热", "E1"),
    DemoCall("waiting for parts", "郑强", "13500135004", "上海市浦东新区世纪大道 100 号 8 楼", MIDEA,
             "washing_machine", "排水很慢，洗完桶里有水", "E2"),
    DemoCall("uncovered", "马军", "13500135005", "新疆维吾尔自治区乌鲁木齐市天山区 解放北路 88 号", MIDEA,
             "washing_machine", "洗衣机噪音大"),
    DemoCall("emergency", "林芳", "13500135006", "广东省东莞市万江街道 金泰路 8 号", MIDEA,
             "safe", "保险柜锁死打不开，里面有护照", "LOCKED"),
)  # fmt: skip


@dataclass(frozen=True)
class DemoRequest:
    case: str
    request_id: str
    state: str
    priority: str
    technician: str  # display name, "" when none


@dataclass(frozen=True)
class RepairDemo:
    tokens: dict[str, str]
    requests: list[DemoRequest]
    tips: int
    loaded: bool


def load(rt: Runtime) -> RepairDemo:
    """Load the demo repair service once (a second call finds it and changes nothing)."""
    with rt.uow(write=False) as uow:
        if uow.users.by_username(username=MARKER_USER) is not None:
            return RepairDemo(tokens={}, requests=[], tips=0, loaded=False)
    tokens: dict[str, str] = {}
    _user, tokens["agent"] = accounts.create_user(rt, actor=SYSTEM, username=MARKER_USER, role=Role.AGENT)
    _user, tokens["supervisor"] = accounts.create_user(
        rt, actor=SYSTEM, username="demo-supervisor", role=Role.SUPERVISOR
    )
    agent = accounts.authenticate(rt, tokens["agent"])
    supervisor = accounts.authenticate(rt, tokens["supervisor"])
    catalogue.ensure_brand(rt, actor=supervisor, name=HAIER, warranty_days=90)
    catalogue.ensure_brand(rt, actor=supervisor, name=MIDEA, warranty_days=90)
    for code, name, faults in CATEGORIES:
        catalogue.ensure_category(rt, actor=supervisor, code=code, name=name, faults=faults)
    tips = load_tips(rt, actor=supervisor)
    techs: dict[str, tuple[Principal, str]] = {}  # technician id → (their user, display name)
    for t in TECHNICIANS:
        user, tokens[t.username.removeprefix("demo-")] = accounts.create_user(
            rt, actor=SYSTEM, username=t.username, role=Role.TECHNICIAN, display_name=t.display_name
        )
        tech = catalogue.register_technician(
            rt,
            actor=supervisor,
            display_name=t.display_name,
            phone=t.phone,
            home=t.home,
            coverage=t.coverage,
            skills=t.skills,
            shift=t.shift,
            capacity_per_day=t.capacity,
            user_id=user.id,
        )
        techs[tech.id] = (accounts.authenticate(rt, tokens[t.username.removeprefix("demo-")]), t.display_name)
    requests = []
    for call in CALLS:
        result = intake(
            rt,
            actor=agent,
            customer_name=call.name,
            phone=call.phone,
            address=call.address,
            brand=call.brand,
            category=call.category,
            description=call.description,
            fault_code=call.fault_code,
        )
        req = result.request
        if req.technician_id is not None:
            _play(rt, call.case, req.id, techs[req.technician_id][0])
        with rt.uow(write=False) as uow:
            req = uow.repairs.get_or_raise(id=req.id)
        name = techs[req.technician_id][1] if req.technician_id else ""
        requests.append(DemoRequest(call.case, req.id, req.state, req.priority, name))
    return RepairDemo(tokens=tokens, requests=requests, tips=tips, loaded=True)


def _play(rt: Runtime, case: str, request_id: str, tech: Principal) -> None:
    """Move a freshly dispatched request on to the state its demo case shows."""
    if case in ("accepted", "completed and rated", "waiting for parts"):
        service.step(rt, actor=tech, request_id=request_id, action="accept")
    if case == "waiting for parts":
        service.step(rt, actor=tech, request_id=request_id, action="wait", reason="parts")
    if case == "completed and rated":
        for action in ("en_route", "on_site"):
            service.step(rt, actor=tech, request_id=request_id, action=action)
        _req, token = service.complete(
            rt,
            actor=tech,
            request_id=request_id,
            parts=[service.Part("加热管 heating element", 1, 12000)],
            fee_fen=5000,
            notes="更换加热管，清理水垢 / replaced the heating element, descaled the tank",
        )
        service.rate(rt, request_id=request_id, rating=5, comment="师傅准时，讲解清楚", token=token)

"""The supervisor's reads: the SLA board (breached and at-risk requests), coverage by province and county
with counts, and the technicians a request could be re-assigned to (dispatch's own filters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import require_role
from shouhou.places import county as county_of
from shouhou.repairs import dispatch
from shouhou.repairs.intake import candidates_for
from shouhou.repairs.service import visible_or_raise
from shouhou.repairs.states import OPEN_STATES, RepairState
from shouhou.repairs.views import RepairView, area_name, describe
from shouhou.runtime import Runtime

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
AT_RISK_WITHIN = timedelta(minutes=10)


@dataclass(frozen=True)
class BoardRow:
    view: RepairView
    due_kind: str | None  # "first_response" | "onsite": the next deadline not yet met
    due_at: datetime | None
    breached: bool


@dataclass(frozen=True)
class SlaBoard:
    breached: list[BoardRow]
    at_risk: list[BoardRow]
    within: timedelta


def sla_board(rt_: Runtime, *, actor: Principal, within: timedelta = AT_RISK_WITHIN) -> SlaBoard:
    """Open requests whose first response or on-site arrival is overdue, breached, or due within `within`;
    most urgent first."""
    require_role(actor, *SUPERVISORS)
    now = rt_.now()
    with rt_.uow(write=False) as uow:
        rows = uow.repairs.at_risk(states=[s.value for s in OPEN_STATES], horizon=now + within, limit=500)
        views = describe(uow, rows)
    breached: list[BoardRow] = []
    at_risk: list[BoardRow] = []
    for v in views:
        r = v.request
        pending = [
            (due, kind)
            for due, met, kind in (
                (r.first_response_due, r.first_response_at, "first_response"),
                (r.onsite_due, r.onsite_at, "onsite"),
            )
            if due is not None and met is None
        ]
        due_at, due_kind = min(pending) if pending else (None, None)
        late = r.first_response_breached or r.onsite_breached or (due_at is not None and due_at < now)
        (breached if late else at_risk).append(BoardRow(v, due_kind, due_at, late))
    far = now + timedelta(days=36500)

    def urgency(row: BoardRow) -> tuple[bool, datetime]:
        return (row.view.request.priority != "emergency", row.due_at or far)

    return SlaBoard(sorted(breached, key=urgency), sorted(at_risk, key=urgency), within)


@dataclass
class AreaCoverage:
    code: str
    name: str
    technicians: set[str] = field(default_factory=set)
    available: set[str] = field(default_factory=set)
    open: int = 0
    uncovered: int = 0


@dataclass
class ProvinceCoverage(AreaCoverage):
    counties: list[AreaCoverage] = field(default_factory=list)


def _county_code(adcode: str) -> str:
    """Coverage and requests are at county level, or at town level in a county-less city: count by county."""
    return adcode[:6]


def _county_label(code: str) -> str:
    c = county_of(code)
    if c is None:
        return area_name(code)
    return f"{c.city.name} {c.name}" if c.city is not None and c.city.name != c.name else c.name


def coverage(rt_: Runtime, *, actor: Principal) -> list[ProvinceCoverage]:
    """Per province and county: technicians covering it, those available now (available and on shift), open
    requests and uncovered ones. Counties without coverage but with open requests are listed too."""
    require_role(actor, *SUPERVISORS)
    now = rt_.now()
    with rt_.uow(write=False) as uow:
        rows = uow.technicians.coverage_rows()
        counts = uow.repairs.counts_by_area(states=[s.value for s in OPEN_STATES])
    counties: dict[str, AreaCoverage] = {}

    def area(adcode: str) -> AreaCoverage:
        code = _county_code(adcode)
        if code not in counties:
            counties[code] = AreaCoverage(code=code, name=_county_label(code))
        return counties[code]

    for tech_id, adcode, available, start, end in rows:
        a = area(adcode)
        a.technicians.add(tech_id)
        if available and dispatch.on_shift(start, end, now):
            a.available.add(tech_id)
    for adcode, state, n in counts:
        a = area(adcode)
        a.open += n
        if state == RepairState.UNCOVERED.value:
            a.uncovered += n
    provinces: dict[str, ProvinceCoverage] = {}
    for code in sorted(counties):
        c = counties[code]
        pcode = code[:2] + "0000"
        if pcode not in provinces:
            provinces[pcode] = ProvinceCoverage(code=pcode, name=area_name(pcode))
        p = provinces[pcode]
        p.counties.append(c)
        p.technicians |= c.technicians
        p.available |= c.available
        p.open += c.open
        p.uncovered += c.uncovered
    return list(provinces.values())


@dataclass(frozen=True)
class CandidateView:
    technician_id: str
    name: str
    distance_km: float
    open_jobs: int
    refusal: str | None  # why dispatch would not pick them now (off shift, full…); None: eligible
    current: bool  # holds the request now


def reassign_candidates(rt_: Runtime, *, actor: Principal, request_id: str) -> list[CandidateView]:
    """Technicians dispatch would consider for this request (available, covering its area, with the skill,
    not having declined it), eligible ones first, by dispatch's cost."""
    require_role(actor, *SUPERVISORS)
    now = rt_.now()
    with rt_.uow(write=False) as uow:
        req = visible_or_raise(uow, actor, request_id)
        cands = candidates_for(uow, req, now)
        names = uow.technicians.names(technician_ids=[c.technician_id for c in cands])
        holder = req.technician_id
    ranked = sorted(
        cands, key=lambda c: (dispatch.refusal(c, now) is not None, dispatch.cost(c), c.technician_id)
    )
    return [
        CandidateView(
            technician_id=c.technician_id,
            name=names.get(c.technician_id, c.technician_id),
            distance_km=c.distance_km,
            open_jobs=c.open_jobs,
            refusal=dispatch.refusal(c, now),
            current=c.technician_id == holder,
        )
        for c in ranked
    ]

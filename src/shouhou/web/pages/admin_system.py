"""Admin console: the effective settings (read-only; secrets only as set / not set) and the audit log with a
button that verifies the whole chain."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import Principal, Role
from shouhou.audit import browse
from shouhou.audit.chain import VerifyReport
from shouhou.config import Settings
from shouhou.storage.tables import AuditEntry
from shouhou.web.deps import UserPage, require_role
from shouhou.web.labels import N_
from shouhou.web.render import Page

router = APIRouter()

PAGE_SIZE = 50
MAX_PROBLEMS = 100
SECRET_WORDS = ("key", "secret", "password", "token")
# Sections of nested settings, by field name; anything else is "General".
SECTIONS = {
    "limits": N_("Limits on uploaded files"),
    "claims": N_("Claim process and SLA"),
    "repairs": N_("Repair SLA"),
}
_ID = re.compile(r"\b([a-z]{2,5}_)([0-9a-f]{20,40})\b")
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def _admin(page: Page) -> Principal:
    return require_role(page, Role.ADMIN)


# ----- settings


@dataclass(frozen=True)
class SettingRow:
    name: str  # the environment variable that sets it
    value: str
    secret: bool = False  # value is "set" / "not set", never the secret


def _is_secret(name: str, value: object) -> bool:
    return isinstance(value, SecretStr) or any(w in name.lower() for w in SECRET_WORDS)


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, Path):
        return str(value.resolve())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _rows(model: BaseModel, prefix: str, page: Page) -> list[SettingRow]:
    rows = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            continue
        env = (prefix + name).upper()
        if _is_secret(name, value):
            set_ = value is not None and bool(
                value.get_secret_value() if isinstance(value, SecretStr) else value
            )
            rows.append(SettingRow(env, page._("set") if set_ else page._("not set"), secret=True))
        elif name == "database_url":
            # A PostgreSQL URL may carry a password: shown without it.
            rows.append(SettingRow(env, _URL_PASSWORD.sub(r"\1***@", value) if value else "—"))
        else:
            rows.append(SettingRow(env, _show(value)))
    return rows


def setting_sections(settings: Settings, page: Page) -> list[tuple[str, list[SettingRow]]]:
    """(section title, rows) for every field of the settings, nested models as their own sections."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    sections = [(page._("General"), _rows(settings, prefix, page))]
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, BaseSettings):
            nested = str(type(value).model_config.get("env_prefix", f"{prefix}{name}_"))
            sections.append((page._(SECTIONS.get(name, name)), _rows(value, nested, page)))
    return sections


@router.get("/admin/settings")
def settings_page(page: UserPage) -> Response:
    _admin(page)
    rt = page.rt
    s = rt.settings
    facts = [
        (page._("Home folder"), str(s.home.resolve())),
        (page._("Database"), rt.db.dialect),
        (page._("Environment"), s.env),
        (page._("Field encryption key in use"), rt.keys.fields.current_kid),
        (page._("Keys file (development)"), str(s.secrets_file.resolve()) if s.env == "development" else "—"),
        (page._("Audit checkpoint file"), str(s.audit_checkpoint_file.resolve())),
        (page._("Evidence folder"), str(s.blob_dir.resolve())),
    ]
    return page.render(
        "admin/settings.html",
        title=page._("Settings"),
        facts=facts,
        sections=setting_sections(s, page),
    )


# ----- audit log


def breakable(text: str) -> Markup:
    """Escaped text whose long identifiers may wrap (a break opportunity every 8 characters of their hex
    part), so a table cell does not overflow at 390 px."""
    escaped = str(escape(text))

    def wrap(m: re.Match[str]) -> str:
        body = m.group(2)
        return m.group(1) + "<wbr>".join(body[i : i + 8] for i in range(0, len(body), 8))

    return Markup(_ID.sub(wrap, escaped))


@dataclass(frozen=True)
class EntryRow:
    seq: int
    entry: AuditEntry
    actor: str  # the actor's username, or the stored actor ("system")
    subject: Markup
    detail: Markup


def _entries(page: Page, entries: Any) -> list[EntryRow]:
    names = accounts.usernames(page.rt, user_ids=[e.actor for e in entries])
    return [
        EntryRow(
            seq=e.seq,
            entry=e,
            actor=names.get(e.actor, e.actor),
            subject=breakable(f"{e.subject_type} {e.subject_id}"),
            detail=breakable(json.dumps(e.detail, ensure_ascii=False, sort_keys=True)),
        )
        for e in entries
    ]


def _audit(
    page: Page, me: Principal, *, action: str, subject: str, offset: int, report: VerifyReport | None = None
) -> Response:
    offset = max(offset, 0)
    log = browse.list_entries(
        page.rt, actor=me, action=action.strip(), subject=subject.strip(), offset=offset, limit=PAGE_SIZE
    )
    return page.render(
        "admin/audit.html",
        title=page._("Audit log"),
        rows=_entries(page, log.entries),
        total=log.total,
        actions=log.actions,
        action=action,
        subject=subject,
        offset=offset,
        page_size=PAGE_SIZE,
        report=report,
        problems=[str(p) for p in report.problems[:MAX_PROBLEMS]] if report else [],
    )


@router.get("/admin/audit")
def audit_log(page: UserPage, action: str = "", subject: str = "", offset: int = 0) -> Response:
    return _audit(page, _admin(page), action=action[:60], subject=subject[:120], offset=offset)


@router.post("/admin/audit/verify")
def verify(page: UserPage) -> Response:
    me = _admin(page)
    report = browse.verify_log(page.rt, actor=me)
    return _audit(page, me, action="", subject="", offset=0, report=report)


@router.get("/admin/audit/verify")
def back_to_audit(page: UserPage) -> Response:
    _admin(page)
    return RedirectResponse("/admin/audit", status_code=303)

"""Languages and display formats: Simplified Chinese by default, English by switch; times in Asia/Shanghai.

Message ids in templates and code are English; the zh_Hans catalogues (one .po per console area, merged
at load) translate them. English needs no catalogue."""

from __future__ import annotations

import gettext
import io
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES: Final = ("zh_Hans", "en")
DEFAULT_LOCALE: Final = "zh_Hans"
HTML_LANG: Final = {"zh_Hans": "zh-Hans", "en": "en"}
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")


def catalogue_files() -> list[str]:
    folder = resources.files("shouhou.web").joinpath("locale", "zh_Hans", "LC_MESSAGES")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".po"))


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.NullTranslations:
    if locale != "zh_Hans":
        return gettext.NullTranslations()
    merged: gettext.NullTranslations | None = None
    folder = resources.files("shouhou.web").joinpath("locale", "zh_Hans", "LC_MESSAGES")
    for name in catalogue_files():
        catalog = read_po(io.BytesIO(folder.joinpath(name).read_bytes()), locale="zh_Hans_CN")
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        part = gettext.GNUTranslations(buf)
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    return merged or gettext.NullTranslations()


def pick_locale(cookie: str | None) -> str:
    return cookie if cookie in LOCALES else DEFAULT_LOCALE


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime(fmt)


def money(fen: int | None) -> str:
    if fen is None:
        return "—"
    return f"¥{fen / 100:,.2f}"


def duration(seconds: float, _: gettext.NullTranslations) -> str:
    """'3 h 05 min' style, localised; negative durations are shown by the caller as overdue."""
    minutes = int(abs(seconds) // 60)
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days:
        return _.gettext("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _.gettext("%(h)d h %(m)02d min") % {"h": hours, "m": mins}
    return _.gettext("%(m)d min") % {"m": mins}

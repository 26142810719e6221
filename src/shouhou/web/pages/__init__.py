"""One router per console area; each module owns its templates folder (templates/<area>/) and its catalogue
(locale/zh_Hans/LC_MESSAGES/<area>.po)."""

from __future__ import annotations

from fastapi import APIRouter

from shouhou.web.pages import admin, agent, auth, buyer, feedback, media, merchant, review, supervisor, tech

ROUTERS: tuple[APIRouter, ...] = tuple(
    m.router for m in (auth, media, buyer, merchant, review, agent, tech, supervisor, feedback, admin)
)

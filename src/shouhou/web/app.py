"""Mount the console on the FastAPI app: pages at /, static files at /static, security headers everywhere."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from shouhou.web import errors
from shouhou.web.deps import CsrfRefused, LoginRequired, check_csrf
from shouhou.web.pages import ROUTERS
from shouhou.web.security import SecurityHeaders


def install_web(app: FastAPI) -> None:
    app.state.html_errors = errors.html_errors

    async def _login(request: Request, exc: Exception) -> Response:
        return await errors.html_errors(request, exc, 401)

    async def _csrf(request: Request, exc: Exception) -> Response:
        return await errors.html_errors(request, exc, 403)

    app.add_exception_handler(LoginRequired, _login)
    app.add_exception_handler(CsrfRefused, _csrf)
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(check_csrf)], include_in_schema=False)
    app.mount("/static", StaticFiles(packages=[("shouhou.web", "static")]), name="static")
    app.add_middleware(SecurityHeaders)

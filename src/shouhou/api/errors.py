"""Domain errors → RFC 9457 problem responses, in one table."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from shouhou import errors as e

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
BASE = "https://shouhou.dev/problems/"

# Most specific first: the first matching class decides.
STATUS: Final[tuple[tuple[type[e.ShouhouError], int, str], ...]] = (
    (e.Unauthenticated, 401, "unauthenticated"),
    (e.Forbidden, 403, "forbidden"),
    (e.NotFound, 404, "not-found"),
    (e.IllegalTransition, 409, "illegal-transition"),
    (e.RuleViolation, 409, "rule-violation"),
    (e.IdempotencyMismatch, 422, "idempotency-key-reused"),
    (e.Conflict, 409, "conflict"),
    (e.FileTooLarge, 413, "file-too-large"),
    (e.HostileImage, 422, "hostile-image"),
    (e.UnreadableImage, 422, "unreadable-image"),
    (e.UnsupportedFormat, 415, "unsupported-format"),
    (e.ExtensionMismatch, 422, "extension-mismatch"),
    (e.UnreadableVideo, 422, "unreadable-video"),
    (e.InputError, 422, "invalid-input"),
    (e.StorageError, 503, "storage-unavailable"),
    (e.DependencyUnavailable, 503, "dependency-unavailable"),
)


def problem(status: int, slug: str, title: str, detail: str, instance: str, **extra: object) -> JSONResponse:
    body = {
        "type": BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def classify(exc: e.ShouhouError) -> tuple[int, str]:
    for cls, status, slug in STATUS:
        if isinstance(exc, cls):
            return status, slug
    return 500, "internal"


HtmlErrors = Callable[[Request, Exception, int], Awaitable[Response]]


def _console(request: Request) -> HtmlErrors | None:
    """The web console answers its own paths with pages; the API (and everything when no console is mounted)
    answers with problem+json."""
    if request.url.path.startswith("/api/"):
        return None
    handler: HtmlErrors | None = getattr(request.app.state, "html_errors", None)
    return handler


def install(app: FastAPI) -> None:
    @app.exception_handler(e.ShouhouError)
    async def _domain(request: Request, exc: e.ShouhouError) -> Response:
        status, slug = classify(exc)
        if (html := _console(request)) is not None:
            if status >= 500:
                log.error("page %s failed: %s", request.url.path, exc)
            return await html(request, exc, status)
        if status >= 500:
            log.error("request %s failed: %s", request.url.path, exc)
        return problem(status, slug, type(exc).__name__, str(exc), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if (html := _console(request)) is not None:
            return await html(request, exc, 422)
        errors = [{"loc": list(err.get("loc", ())), "msg": str(err.get("msg", ""))} for err in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(x) for x in er['loc'])}: {er['msg']}" for er in errors)
        return problem(422, "invalid-input", "ValidationFailed", detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if (html := _console(request)) is not None:
            return await html(request, exc, exc.status_code)
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, slug, str(exc.detail), str(exc.detail), request.url.path)

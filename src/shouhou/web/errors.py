"""How the console answers errors: a page for people, never problem+json.

- no session → 303 to the sign-in page (with `next`);
- a form without its CSRF token → 403 page, nothing done;
- a bad form post (input error, illegal move) → 303 back to where it came from, the message shown once;
- anything else → an error page with its status; an object the user may not see is a 404, like the API."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from shouhou import errors as e
from shouhou.web.deps import CsrfRefused, LoginRequired, any_page
from shouhou.web.render import Page, login_url, safe_next

log = logging.getLogger(__name__)


def _page(request: Request) -> Page:
    page = getattr(request.state, "page", None)
    if isinstance(page, Page):
        return page
    return any_page(request, request.app.state.runtime)


def _message(page: Page, exc: Exception) -> str:
    if isinstance(exc, RequestValidationError):
        fields = sorted({str(err.get("loc", ("", ""))[-1]) for err in exc.errors()})
        return page._("Please check these fields: %(fields)s") % {"fields": ", ".join(fields)}
    if isinstance(exc, StarletteHTTPException):
        return str(exc.detail)
    return str(exc)


async def html_errors(request: Request, exc: Exception, status: int) -> Response:
    if isinstance(exc, LoginRequired):
        return RedirectResponse(login_url(request), status_code=303)
    page = _page(request)
    if isinstance(exc, CsrfRefused):
        return page.render(
            "error.html",
            status=403,
            title=page._("Form expired"),
            message=page._(
                "This form was not sent from this console session. Reload the page "
                "and try again; nothing was changed."
            ),
        )
    if isinstance(exc, e.Unauthenticated):
        return RedirectResponse(login_url(request), status_code=303)
    unsafe = request.method not in ("GET", "HEAD")
    if unsafe and status < 500 and not isinstance(exc, e.NotFound | e.Forbidden):
        back = safe_next(
            request.headers.get("referer", "").partition(request.url.netloc)[2] or None,
            default=request.url.path,
        )
        return page.redirect(back, error=_message(page, exc))
    if status >= 500:
        log.error("console page %s failed: %r", request.url.path, exc)
    if isinstance(exc, e.NotFound) or status == 404:
        title, message = page._("Not found"), page._("There is no such page, or it is not yours to see.")
    elif isinstance(exc, e.Forbidden) or status == 403:
        title, message = page._("Not allowed"), page._("Your role may not open this page.")
    elif status >= 500:
        title, message = (
            page._("Something went wrong"),
            page._("The error was logged. Try again in a moment."),
        )
    else:
        title, message = page._("Cannot do that"), _message(page, exc)
    return page.render("error.html", status=status, title=title, message=message)

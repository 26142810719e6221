"""The customer's rating page (phone first, no account): opened from the one-time link in the text message
sent when the visit was completed. Every feedback earns the same points, whatever the rating."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from shouhou.repairs import feedback
from shouhou.web.deps import AnyPage
from shouhou.web.labels import N_

router = APIRouter()

STARS = (
    (5, N_("5 stars: excellent")),
    (4, N_("4 stars: good")),
    (3, N_("3 stars: fair")),
    (2, N_("2 stars: poor")),
    (1, N_("1 star: very poor")),
)


@router.get("/feedback/{token}")
def form(page: AnyPage, token: str) -> Response:
    visit = feedback.visit_for_token(page.rt, token=token)
    return page.render(
        "feedback/form.html",
        title=page._("Thank you for your feedback") if visit.rated else page._("Rate the repair visit"),
        visit=visit,
        token=token,
        stars=STARS,
    )


@router.post("/feedback/{token}")
def rate(
    page: AnyPage,
    token: str,
    rating: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    back = f"/feedback/{token}"
    if rating not in {"1", "2", "3", "4", "5"}:
        feedback.visit_for_token(page.rt, token=token)  # an unknown link is a 404, not a form error
        return page.redirect(back, error=page._("Choose from 1 to 5 stars."))
    fb = feedback.rate_by_token(page.rt, token=token, rating=int(rating), comment=comment)
    return page.redirect(
        back,
        flash=page._("Thank you! %(points)d points were added to your account.")
        % {"points": fb.points_awarded},
    )

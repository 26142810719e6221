"""Every claim action through the HTTP API from every state a claim can be in: the legal ones move the claim,
every other one is refused with a 409 problem and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.conftest import World, forged_rgb, honest_rgb, jpeg
from tests.conftest import sample

# Distinct honest photos: the reuse index rightly flags a photo used in an earlier claim, even the buyer's.
HONEST = (
    [
        "coffee",
        "chelsea",
        "rocket",
        "motorcycle_left",
        "immunohistochemistry",
        "hubble_deep_field",
        "coins",
        "camera",
        "moon",
        "page",
    ]
)

# action → (who, method, path suffix, request kwargs)
ACTIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "accept": ("merchantA", "/merchant-response", {"data": {"action": "accept"}}),
    "dispute": ("merchantA", "/merchant-response", {"data": {"action": "dispute", "note": "完好发货"}}),
    "contest": ("merchantA", "/merchant-response", {"data": {"action": "contest", "note": "有异议"}}),
    "request_evidence": ("REV", "/evidence-request", {"json": {"message": "请补充照片"}}),
    "decide": (
        "REV",
        "/decision",
        {"json": {"outcome": "partial_refund", "refund_fen": 100, "reason": "部分"}},
    ),
    "appeal": ("buyer1", "/appeal", {"json": {"reason": "不服"}}),
    "withdraw": ("buyer1", "/withdraw", {"json": {"reason": "撤回"}}),
    "add_evidence": ("buyer1", "/evidence", {"files": "PHOTO"}),
}

# state → the actions that are legal there (with the state each leads to)
LEGAL: dict[str, dict[str, str]] = {
    "screening": {"withdraw": "withdrawn"},
    "awaiting_merchant": {"accept": "decided", "dispute": "in_review", "withdraw": "withdrawn"},
    "in_review": {"request_evidence": "awaiting_buyer", "decide": "decided", "withdraw": "withdrawn"},
    "awaiting_buyer": {"add_evidence": "screening", "withdraw": "withdrawn"},
    "decided": {"appeal": "appealed"},
    "decided_automated": {"appeal": "appealed", "contest": "in_review"},
    "appealed": {"decide": "closed", "withdraw": "withdrawn"},
    "closed": {},
    "withdrawn": {},
}


def _reviewer(w: World, cid: str) -> str:
    """Whoever holds the claim's open review (the appeal's reviewer while appealed)."""
    reviews = w.claim("admin", cid)["reviews"]
    if not reviews:
        return "admin"  # nobody reviews it yet; an admin sees every claim, so the refusal is about state
    current = [r for r in reviews if r["completed_at"] is None]
    rid = (current or reviews)[-1]["reviewer_id"]
    return "rev1" if rid == w.ids["rev1"] else "rev2"


def _to(w: World, state: str, photos: Iterator[str]) -> str:
    """A claim driven through the API into `state`."""
    if state == "decided_automated":
        w.client.put(
            f"/api/v1/shops/{w.ids['shopA']}/policy",
            headers=w.h("merchantA"),
            json={"fast_track": True, "fast_track_limit_fen": 50000},
        )
        cid = w.file_claim("buyer1", "order1", jpeg(sample(next(photos)))).json()["id"]
        w.run_jobs()
        assert w.claim("admin", cid)["state"] == "decided", w.claim("admin", cid)["risk"]
        return cid
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    steps: list[Callable[[], Any]] = []
    if state != "screening":
        steps.append(w.run_jobs)
    if state in ("in_review", "awaiting_buyer", "decided", "appealed", "closed"):
        steps.append(lambda: _act(w, cid, "dispute"))
    if state == "awaiting_buyer":
        steps.append(lambda: _act(w, cid, "request_evidence"))
    if state in ("decided", "appealed", "closed"):
        steps.append(lambda: _act(w, cid, "decide"))
    if state in ("appealed", "closed"):
        steps.append(lambda: _act(w, cid, "appeal"))
    if state == "closed":
        steps.append(lambda: _act(w, cid, "decide"))
    if state == "withdrawn":
        steps.append(lambda: _act(w, cid, "withdraw"))
    for step in steps:
        step()
    assert w.claim("admin", cid)["state"] == state
    return cid


def _act(w: World, cid: str, action: str) -> Any:
    who, suffix, kw = ACTIONS[action]
    if who == "REV":
        who = _reviewer(w, cid)
    if kw.get("files") == "PHOTO":
        kw = {"files": [("photos", ("more.jpg", jpeg(honest_rgb()), "image/jpeg"))]}
    return w.post(who, f"/api/v1/claims/{cid}{suffix}", **kw)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("state", list(LEGAL))
def test_every_action_from_every_state(world: World, state: str) -> None:
    w = world
    photos = iter(HONEST)
    for action in ACTIONS:
        cid = _to(w, state, photos)
        before = w.claim("admin", cid)
        r = _act(w, cid, action)
        after = w.claim("admin", cid)
        if action in LEGAL[state]:
            assert r.status_code == 200, (state, action, r.text)
            assert after["state"] == LEGAL[state][action], (state, action)
        else:
            assert r.status_code == 409, (state, action, r.status_code, r.text)
            assert r.json()["type"].rsplit("/", 1)[-1] in ("illegal-transition", "rule-violation")
            assert (after["state"], after["transitions"], after["decisions"]) == (
                before["state"],
                before["transitions"],
                before["decisions"],
            ), (state, action)

"""The two whole stories of the console in a real browser (Debian's chromium via Playwright) against a live
server, a screenshot per step under test-artifacts/stories/, each checked not blank.

1. A buyer files a claim whose photo is the merchant's listing photo with a crack drawn in; the merchant
   disputes with a packing photo; the assigned reviewer sees both photos side by side with the edited region
   outlined and rejects with a reason; the buyer appeals; a second reviewer decides.
2. An agent takes a repair request for an address in a listed service area; it is dispatched; the technician,
   on a phone-sized screen, accepts and completes it with a photo; the customer rates the visit."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from shouhou.accounts.roles import SYSTEM
from shouhou.claims import service as claims
from tests.api.conftest import forged_rgb, honest_rgb, jpeg
from tests.web.live import DESKTOP, PHONE, Live

pytestmark = [pytest.mark.browser, pytest.mark.live]


def wait_for(predicate: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def claim_state(live: Live, claim_id: str) -> str:
    return str(claims.get_claim(live.rt, actor=SYSTEM, claim_id=claim_id).claim.state)


def assigned_reviewer(live: Live, claim_id: str) -> str:
    view = claims.get_claim(live.rt, actor=SYSTEM, claim_id=claim_id)
    by_id = {v: k for k, v in live.api.ids.items()}
    open_reviews = [r for r in view.reviews if r.reviewer_id]
    return by_id[open_reviews[-1].reviewer_id]


def test_story_forged_claim_disputed_rejected_appealed(live: Live, chromium: Any, tmp_path: Path) -> None:
    live.story = "1-forged-claim"
    forged = tmp_path / "damage.jpg"
    forged.write_bytes(jpeg(forged_rgb(), quality=90))
    packing = tmp_path / "packing.jpg"
    packing.write_bytes(jpeg(honest_rgb(), quality=90))

    # 1. The buyer, on a phone, files a claim for order 1 with the forged photo.
    buyer = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
    live.sign_in(buyer, "buyer1")
    buyer.goto(live.url + f"/buyer/orders/{live.api.ids['order1']}/claim")
    live.shot(buyer, "buyer-claim-form")
    buyer.locator("[name=reason]").fill("收到时外壳已经裂开 the casing arrived cracked")
    buyer.locator("input[name=photos]").set_input_files(str(forged))
    buyer.locator("#claim-submit").click()
    buyer.wait_for_url(re.compile(r"/buyer/claims/"))
    claim_id = buyer.url.rstrip("/").rsplit("/", 1)[-1]
    live.shot(buyer, "buyer-claim-filed")

    # The in-process worker screens it; a forged photo goes to the merchant, not the fast track.
    wait_for(lambda: claim_state(live, claim_id) == "awaiting_merchant", "screening to finish")

    # 2. The merchant disputes with a packing photo.
    merchant = chromium.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    live.sign_in(merchant, "merchantA")
    merchant.goto(live.url + f"/merchant/claims/{claim_id}")
    live.shot(merchant, "merchant-claim")
    form = merchant.locator("#dispute-form")
    form.locator("[name=statement]").fill("发货前拍照确认完好 packed intact, see the packing photo")
    form.locator("input[name=photos]").set_input_files(str(packing))
    merchant.locator("#dispute-submit").click()
    merchant.wait_for_load_state()
    live.shot(merchant, "merchant-disputed")
    wait_for(lambda: claim_state(live, claim_id) == "in_review", "the claim to reach review")

    # 3. The assigned reviewer sees the claim photo and the aligned reference side by side, shows the outlined
    #    region, and rejects with a reason.
    first = assigned_reviewer(live, claim_id)
    reviewer = chromium.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    live.sign_in(reviewer, first)
    reviewer.goto(live.url + f"/review/claims/{claim_id}")
    for image in ("#claim-photo", "#reference-photo"):
        assert reviewer.locator(image).evaluate("img => img.complete && img.naturalWidth > 0"), image
    assert not reviewer.locator("#overlay").is_visible()
    reviewer.locator("#overlay-toggle").check()
    assert reviewer.locator("#overlay").is_visible()
    assert reviewer.locator("#overlay").evaluate("img => img.complete && img.naturalWidth > 0")
    live.shot(reviewer, "reviewer-side-by-side-outlined")
    decision = reviewer.locator("#decision-form")
    decision.locator("[name=outcome]").select_option("rejected")
    decision.locator("[name=reason]").fill(
        "照片由商家主图加裂纹合成，见对比图 the photo is the listing photo with a crack added"
    )
    decision.locator("button[type=submit]").click()
    reviewer.wait_for_load_state()
    live.shot(reviewer, "reviewer-rejected")
    assert claim_state(live, claim_id) == "decided"

    # 4. The buyer appeals.
    buyer.goto(live.url + f"/buyer/claims/{claim_id}")
    live.shot(buyer, "buyer-sees-decision")
    buyer.locator("#appeal-form [name=reason]").fill(
        "裂纹是真的，我可以寄回 the crack is real, I can send it back"
    )
    buyer.locator("#appeal-submit").click()
    buyer.wait_for_load_state()
    live.shot(buyer, "buyer-appealed")
    wait_for(lambda: claim_state(live, claim_id) == "appealed", "the appeal")

    # 5. A second reviewer decides the appeal.
    second = assigned_reviewer(live, claim_id)
    assert second != first
    reviewer2 = chromium.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    live.sign_in(reviewer2, second)
    reviewer2.goto(live.url + f"/review/claims/{claim_id}")
    live.shot(reviewer2, "second-reviewer-appeal")
    decision = reviewer2.locator("#decision-form")
    decision.locator("[name=outcome]").select_option("rejected")
    decision.locator("[name=reason]").fill("复核维持原判：对比图显示裂纹为后加 upheld on appeal")
    decision.locator("button[type=submit]").click()
    reviewer2.wait_for_load_state()
    live.shot(reviewer2, "second-reviewer-decided")
    assert claim_state(live, claim_id) in ("decided", "closed")
    assert len(live.steps) >= 9


STORY_AREA = "佛山市顺德区"  # listed in ../shared/data/places/service-areas.txt
STORY_ADDRESS = "广东省佛山市顺德区大良街道 凤山中路 8 号 3 座 1202"


def repair_state(live: Live, request_id: str) -> str:
    from shouhou.repairs import service as repairs

    return str(repairs.get(live.rt, actor=SYSTEM, request_id=request_id)[0].state)


def test_story_repair_dispatched_completed_rated(live: Live, chromium: Any, tmp_path: Path) -> None:
    from shouhou.accounts.roles import Role
    from shouhou.repairs import catalogue

    live.story = "2-repair-request"
    # A technician who covers the story's county around the clock, so the story runs at any hour.
    uid = live.api.user("tech_story", Role.TECHNICIAN, display_name="顺德 李师傅")
    catalogue.register_technician(
        live.rt,
        actor=SYSTEM,
        display_name="顺德 李师傅",
        phone="13711112222",
        home=STORY_AREA,
        coverage=[STORY_AREA],
        skills=[catalogue.Skill("washing_machine")],
        shift=("00:00", "00:00"),
        user_id=uid,
    )
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg(honest_rgb(), quality=88))

    # 1. The agent types the request while the customer talks.
    agent = chromium.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    live.sign_in(agent, "agent")
    agent.goto(live.url + "/agent")
    agent.locator("[name=customer_name]").fill("陈美玲")
    agent.locator("[name=phone]").fill("13698765432")
    agent.locator("[name=address]").fill(STORY_ADDRESS)
    agent.locator("[name=brand]").select_option("海尔 Haier")
    agent.locator("[name=category]").select_option("washing_machine")
    agent.locator("[name=description]").fill("洗衣机不脱水，显示 E4")
    live.shot(agent, "agent-intake-form")
    agent.locator("#intake-submit").click()
    agent.wait_for_url(re.compile(r"/agent/requests/"))
    request_id = agent.url.rstrip("/").rsplit("/", 1)[-1]
    live.shot(agent, "agent-request-dispatched")
    assert repair_state(live, request_id) == "dispatched"
    assert "13698765432" not in agent.content()

    # 2. The technician, on a phone, accepts, travels, arrives and completes with a photo.
    tech = chromium.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True).new_page()
    live.sign_in(tech, "tech_story")
    tech.goto(live.url + "/tech")
    live.shot(tech, "tech-my-jobs")
    tech.goto(live.url + f"/tech/jobs/{request_id}")
    for button, state in (
        ("#accept-btn", "accepted"),
        ("#enroute-btn", "en_route"),
        ("#onsite-btn", "on_site"),
    ):
        tech.locator(button).click()
        tech.wait_for_load_state()
        assert repair_state(live, request_id) == state
        live.shot(tech, f"tech-{state}")
    form = tech.locator("#complete-form")
    form.locator("[name=notes]").fill("更换排水泵，试机正常")
    form.locator("input[name=after]").set_input_files(str(photo))
    tech.locator("#complete-submit").click()
    tech.wait_for_load_state()
    live.shot(tech, "tech-completed")
    assert repair_state(live, request_id) == "completed"

    # 3. The customer rates the visit from the link in the SMS.
    sms = [
        m
        for m in live.notifier.sent
        if m.template == "repair.rate_visit" and m.params["request"] == request_id
    ]
    assert sms, "no rating SMS was sent"
    customer = chromium.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True).new_page()
    customer.goto(live.url + f"/feedback/{sms[-1].params['token']}")
    live.shot(customer, "customer-feedback-form")
    customer.locator("label[for=stars-5]").click()
    customer.locator("[name=comment]").fill("师傅很准时，讲解清楚")
    customer.locator("#feedback-submit").click()
    customer.wait_for_load_state()
    live.shot(customer, "customer-thanked")
    assert repair_state(live, request_id) == "rated"

"""Images behind console pages: display copies (orientation applied, downscaled, no metadata), explanation
pictures stored at screening, reference and counter-evidence photos, SKU photos; every one only for people who
may see its claim or SKU (others get 404), privately cacheable, and never audited as an original read."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from shouhou.accounts.roles import SYSTEM
from shouhou.claims import imaging, pictures, service
from shouhou.config import ImageLimits
from tests.api.conftest import EXIF_OWNER, forged_rgb, honest_rgb, jpeg
from tests.web.conftest import Browser, WebWorld


def _claim(web: WebWorld, photo: bytes, order: str = "order1", who: str = "buyer1") -> str:
    r = web.api.file_claim(who, order, photo)
    assert r.status_code == 201, r.text
    web.api.run_jobs()
    return str(r.json()["id"])


def _view(web: WebWorld, cid: str) -> service.ClaimView:
    return service.get_claim(web.rt, actor=SYSTEM, claim_id=cid)


def _image(b: Browser, url: str, media_type: str = "image/jpeg") -> Image.Image:
    r = b.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:200])
    assert r.headers["content-type"] == media_type
    assert r.headers["cache-control"] == "private, max-age=3600"
    assert r.headers["x-content-type-options"] == "nosniff"
    im = Image.open(io.BytesIO(r.content))
    im.load()
    return im


def _audited(web: WebWorld, action: str) -> int:
    with web.rt.uow(write=False) as uow:
        return sum(1 for e in uow.audit.iter_entries() if e.action == action)


def _rotated_phone_photo() -> bytes:
    """2000x1000 pixels stored sideways with EXIF Orientation 6 (shown 1000x2000), and an owner name."""
    rgb = np.zeros((1000, 2000, 3), np.uint8)
    rgb[:, :1000] = (200, 30, 30)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x013B] = EXIF_OWNER
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def test_evidence_display_copy_is_oriented_downscaled_stripped_and_not_audited(web: WebWorld) -> None:
    cid = _claim(web, _rotated_phone_photo())
    ev = _view(web, cid).evidence[0]
    b = web.browser("buyer1")
    reads = _audited(web, "evidence.read")
    im = _image(b, f"/media/claims/{cid}/evidence/{ev.id}")
    assert im.size == (640, 1280)  # upright (orientation applied), long side 1280
    assert not im.getexif() and "exif" not in im.info and "icc_profile" not in im.info
    assert _audited(web, "evidence.read") == reads  # a display copy is not the original
    # The original stays behind the audited API download.
    r = web.api.get("buyer1", f"/api/v1/claims/{cid}/evidence/{ev.id}/file")
    assert r.status_code == 200 and b"Wang Xiaoming" in r.content
    assert _audited(web, "evidence.read") == reads + 1


def test_display_copy_made_on_demand_matches_the_stored_one() -> None:
    made = imaging.display_copy(_rotated_phone_photo(), limits=ImageLimits())
    im = Image.open(io.BytesIO(made.data))
    assert (made.width, made.height) == im.size == (640, 1280) and im.format == "JPEG"
    assert not im.getexif()
    pixels = np.asarray(im.convert("RGB"))
    top, bottom = pixels[:100].mean(axis=(0, 1)), pixels[-100:].mean(axis=(0, 1))
    assert top[0] > 150 > bottom[0]  # the stored left (red) half is shown on top: turned 90° clockwise
    small = imaging.display_copy(jpeg(honest_rgb()), limits=ImageLimits())
    assert (small.width, small.height) == Image.open(io.BytesIO(jpeg(honest_rgb()))).size  # never enlarged


def test_screening_stores_pictures_and_they_are_served(web: WebWorld) -> None:
    cid = _claim(web, jpeg(forged_rgb(), owner=EXIF_OWNER))
    screening = service.screening_signals(web.rt, actor=SYSTEM, claim_id=cid)[0][0]
    pics = pictures.by_kind(screening)
    assert set(pics) == {"display", "reference", "overlay"}
    b = web.browser("buyer1")
    sizes = set()
    for kind, pic in pics.items():
        im = _image(b, f"/media/claims/{cid}/pictures/{pic.sha256}", pic.media_type)
        assert im.size == (pic.width, pic.height)
        sizes.add(im.size)
        assert EXIF_OWNER not in str(im.info)
        if kind == "overlay":
            assert im.mode == "RGBA" and pic.media_type == "image/png"
    assert len(sizes) == 1
    # Stored like evidence: a blob row for each picture.
    with web.rt.uow(write=False) as uow:
        assert all(uow.blobs.get(id=p.sha256) is not None for p in pics.values())
    # The evidence route serves the stored display copy.
    ev = _view(web, cid).evidence[0]
    r = b.get(f"/media/claims/{cid}/evidence/{ev.id}")
    assert r.content == web.rt.blobs.get(pics["display"].sha256)


def test_references_responses_and_sku_photos(web: WebWorld) -> None:
    cid = _claim(web, jpeg(forged_rgb()))
    r = web.api.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "dispute", "note": "见打包照片"},
        files=[("photos", ("packing.jpg", jpeg(honest_rgb()), "image/jpeg"))],
    )
    assert r.status_code == 200, r.text
    view = _view(web, cid)
    listing = next(r for r in view.references if r.kind == "listing")
    packing = next(r for r in view.references if r.claim_id == cid)
    sku = web.api.ids["sku"]
    for who in ("buyer1", "merchantA", "admin"):
        b = web.browser(who)
        _image(b, f"/media/claims/{cid}/references/{listing.id}")
        _image(b, f"/media/claims/{cid}/references/{packing.id}")
        _image(b, f"/media/claims/{cid}/responses/{packing.id}")
        # A listing photo is not counter-evidence sent with this claim.
        assert b.get(f"/media/claims/{cid}/responses/{listing.id}").status_code == 404
    merchant = web.browser("merchantA")
    im = _image(merchant, f"/media/skus/{sku}/photos/{listing.id}")
    assert max(im.size) <= imaging.DISPLAY_SIDE
    assert merchant.get(f"/media/skus/{sku}/photos/{packing.id}").status_code == 404


def test_another_persons_media_is_404(web: WebWorld) -> None:
    cid = _claim(web, jpeg(forged_rgb()))
    view = _view(web, cid)
    ev = view.evidence[0]
    listing = next(r for r in view.references if r.kind == "listing")
    pic = pictures.by_kind(view.screenings[0])["overlay"]
    sku = web.api.ids["sku"]
    urls = [
        f"/media/claims/{cid}/evidence/{ev.id}",
        f"/media/claims/{cid}/pictures/{pic.sha256}",
        f"/media/claims/{cid}/references/{listing.id}",
    ]
    for who in ("buyer2", "merchantB", "rev1", "agent"):
        b = web.browser(who)
        for url in urls:
            r = b.get(url)
            assert r.status_code == 404, (who, url, r.status_code)
            assert not r.headers["content-type"].startswith("image/")
    for who in ("merchantB", "buyer1", "rev1"):
        assert web.browser(who).get(f"/media/skus/{sku}/photos/{listing.id}").status_code == 404
    # A picture of another claim, or a name that is no picture, under a claim the caller may see.
    other = _claim(web, jpeg(honest_rgb()), order="order3")
    own = web.browser("buyer1")
    assert own.get(f"/media/claims/{other}/pictures/{pic.sha256}").status_code == 404
    assert own.get(f"/media/claims/{cid}/pictures/{'0' * 64}").status_code == 404
    assert own.get(f"/media/claims/{cid}/pictures/..%2F..%2Fetc").status_code == 404
    assert own.get(f"/media/claims/{cid}/evidence/{_view(web, other).evidence[0].id}").status_code == 404
    # Not signed in: to the sign-in page, no bytes.
    r = web.browser().client.get(urls[0], follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")

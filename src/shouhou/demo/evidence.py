"""Demo evidence cases: honest, forged, reused, labelled and broken claim photos, made from bundled samples.

Everything is generated from scikit-image's sample photos (shipped inside its wheel, ≤ 512 px) by the same
synth modules the tests and benchmarks use, so nothing is downloaded and `../shared/` is not read.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image
from skimage import data as skdata

from shouhou.evidence.image import RGB, encode_image
from shouhou.evidence.signals.watermark import SDXL
from shouhou.evidence.synth import labels, postprocess
from shouhou.evidence.synth.damage import DAMAGES
from shouhou.evidence.synth.watermark import embed_dwt_dct

SHANGHAI = timezone(timedelta(hours=8))
DELIVERED_AT = datetime(2026, 11, 20, 15, 30, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class DemoCase:
    file: str
    story: str
    expected: str  # the risk a correct screening gives, or "bad input"
    make: Callable[[], bytes]
    previous_claim: bool = False  # seeded into the reuse index as another buyer's earlier claim photo


def sample(name: str) -> RGB:
    if name in ("motorcycle_left", "motorcycle_right"):
        left, right, _ = skdata.stereo_motorcycle()  # type: ignore[no-untyped-call]
        return np.ascontiguousarray(left if name.endswith("left") else right)
    img = np.asarray(getattr(skdata, name)())
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3].astype(np.uint8))


def camera_jpeg(
    rgb: RGB, *, taken: datetime, quality: int = 90, make: str = "HUAWEI", model: str = "ALN-AL00"
) -> bytes:
    """A JPEG with the EXIF a phone camera writes (make, model, local capture time with offset)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = model
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
    sub[ExifTags.Base.OffsetTimeOriginal] = taken.strftime("%z")[:3] + ":" + taken.strftime("%z")[3:]
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


AFTER = DELIVERED_AT + timedelta(hours=20)
BEFORE = DELIVERED_AT - timedelta(days=3)


def references() -> dict[str, bytes]:
    """The merchant's listing photos (catalogue JPEGs without camera EXIF)."""
    return {
        "listing-cup.jpg": encode_image(sample("coffee"), "JPEG", quality=95),
        "listing-motorbike.jpg": encode_image(sample("motorcycle_left"), "JPEG", quality=95),
        "listing-rocket.jpg": encode_image(sample("rocket"), "JPEG", quality=95),
    }


def _forged_crack() -> bytes:
    edited = DAMAGES["crack"](sample("coffee"), seed=7, strength=0.9).image
    smaller = postprocess.resize(edited, 0.8).image
    return camera_jpeg(smaller, taken=AFTER, quality=85)


def _forged_stain_screenshot() -> bytes:
    edited = DAMAGES["stain"](sample("coffee"), seed=11, strength=0.9).image
    shot = postprocess.screenshot(edited, seed=2).image
    return encode_image(shot, "PNG")


def _reused_listing() -> bytes:
    cropped = postprocess.crop(sample("motorcycle_left"), 0.12, seed=4).image
    return encode_image(postprocess.jpeg(cropped, 80).image, "JPEG", quality=88)


def _recaptured() -> bytes:
    return encode_image(postprocess.recapture(sample("rocket"), seed=5).image, "JPEG", quality=90)


def _gb45438() -> bytes:
    return labels.add_gb45438_xmp(camera_jpeg(sample("astronaut"), taken=AFTER), label="1")


def _sdxl_watermark() -> bytes:
    return encode_image(embed_dwt_dct(sample("hubble_deep_field"), SDXL), "PNG")


def _before_delivery() -> bytes:
    return camera_jpeg(sample("chelsea"), taken=BEFORE)


def _earlier_claim() -> bytes:
    return camera_jpeg(sample("immunohistochemistry"), taken=AFTER - timedelta(days=40))


def _reused_from_other_claim() -> bytes:
    earlier = np.asarray(Image.open(io.BytesIO(_earlier_claim())).convert("RGB"))
    return encode_image(
        postprocess.resize(postprocess.crop(earlier, 0.1, seed=3).image, 0.7).image, "JPEG", quality=80
    )


def _truncated() -> bytes:
    whole = camera_jpeg(sample("coffee"), taken=AFTER)
    return whole[: len(whole) // 2]


CASES: tuple[DemoCase, ...] = (
    DemoCase(
        "01-honest-reshot.jpg",
        "A buyer's own photo of the motorbike from another camera (a real second capture)",
        "none",
        lambda: camera_jpeg(sample("motorcycle_right"), taken=AFTER),
    ),
    DemoCase(
        "02-forged-crack.jpg",
        "The merchant's cup photo with an AI-style crack added, resized and re-saved with camera EXIF",
        "high",
        _forged_crack,
    ),
    DemoCase(
        "03-forged-stain-in-screenshot.png",
        "The cup listing photo with a stain added, shown in a phone screenshot",
        "high",
        _forged_stain_screenshot,
    ),
    DemoCase(
        "04-reused-listing-photo.jpg",
        "The motorbike listing photo itself, cropped and recompressed",
        "medium",
        _reused_listing,
    ),
    DemoCase(
        "05-photo-of-the-screen.jpg",
        "The rocket listing photo photographed off a monitor",
        "medium",
        _recaptured,
    ),
    DemoCase(
        "06-aigc-label.jpg",
        "A photo carrying a GB 45438 implicit label (Label=1, AI-generated)",
        "high",
        _gb45438,
    ),
    DemoCase(
        "07-sdxl-watermark.png",
        "An image carrying Stable Diffusion XL's invisible watermark",
        "high",
        _sdxl_watermark,
    ),
    DemoCase(
        "08-taken-before-delivery.jpg",
        "A photo whose camera says it was taken 3 days before delivery",
        "medium",
        _before_delivery,
    ),
    DemoCase(
        "09-earlier-claim.jpg",
        "Another buyer's photo from a claim 40 days ago (already in the index)",
        "seeded",
        _earlier_claim,
        previous_claim=True,
    ),
    DemoCase(
        "10-reused-from-another-claim.jpg",
        "That earlier claim's photo, cropped and resized",
        "medium",
        _reused_from_other_claim,
    ),
    DemoCase(
        "11-truncated-upload.jpg", "An interrupted upload (the file ends half-way)", "bad input", _truncated
    ),
)


def write_cases(folder: Path) -> tuple[Path, dict[str, DemoCase]]:
    """Write the reference photos and the claim photos; return the references folder and cases by file."""
    ref_dir, case_dir = folder / "references", folder / "cases"
    ref_dir.mkdir(parents=True, exist_ok=True)
    case_dir.mkdir(parents=True, exist_ok=True)
    for name, raw in references().items():
        (ref_dir / name).write_bytes(raw)
    for case in CASES:
        (case_dir / case.file).write_bytes(case.make())
    return ref_dir, {c.file: c for c in CASES}

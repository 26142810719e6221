"""The capture signal: early EXIF times, screenshots and recaptures are findings; camera photos are not."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import pytest
from PIL import ExifTags, Image

from shouhou.evidence.image import load_image
from shouhou.evidence.item import Evidence, ScreenContext
from shouhou.evidence.signals.capture import CaptureOutput, CaptureParams, CaptureSignal
from tests.conftest import sample
from tests.evidence.signals.contract import SignalContract

SHANGHAI = timezone(timedelta(hours=8))
DELIVERED = datetime(2026, 5, 10, 12, 0, tzinfo=SHANGHAI)


def _camera_jpeg(taken: str | None = "2026:05:11 09:30:00", offset: str | None = None, *,
                 size: tuple[int, int] = (2592, 1944), make: str | None = "Xiaomi",
                 model: str | None = "23127PN0CC",
                 rgb: np.ndarray | None = None) -> bytes:
    """A camera-like JPEG built with Pillow's Exif: Make/Model in IFD0, times in the Exif sub-IFD."""
    base = rgb if rgb is not None else sample("astronaut")
    im = Image.fromarray(base).resize(size, Image.Resampling.BILINEAR)
    exif = Image.Exif()
    if make:
        exif[ExifTags.Base.Make] = make
    if model:
        exif[ExifTags.Base.Model] = model
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def _screenshot_png() -> bytes:
    w, h = 1170, 2532
    canvas = np.full((h, w, 3), 246, np.uint8)
    photo = cv2.resize(sample("coffee"), (w, 900))
    canvas[400:1300] = photo
    # The status bar's clock on a flat band.
    cv2.putText(canvas, "9:41", (60, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (20, 20, 20), 3)
    canvas[1400:1480, 60:700] = 30  # order-page text block
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, "PNG")
    return buf.getvalue()


def _recapture(rgb: np.ndarray, period: float = 3.0, angle: float = 20.0) -> np.ndarray:
    """A photo of a screen: the display's pixel grid at an angle, then lens blur and sensor noise."""
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.deg2rad(angle)
    u, v = xx * np.cos(a) + yy * np.sin(a), -xx * np.sin(a) + yy * np.cos(a)
    grid = (0.75 + 0.25 * np.cos(2 * np.pi * u / period)) * (0.75 + 0.25 * np.cos(2 * np.pi * v / period))
    out = cv2.GaussianBlur(rgb.astype(np.float32) * grid[..., None], (0, 0), 0.7)
    out += np.random.default_rng(0).normal(0, 3, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def _item(raw: bytes, name: str = "claim.jpg", delivered: datetime | None = DELIVERED) -> Evidence:
    return Evidence(image=load_image(raw, name=name), context=ScreenContext(delivered_at=delivered))


def _run(item: Evidence) -> CaptureOutput:
    return CaptureSignal().run(item, CaptureParams())


def _check(out: CaptureOutput, name: str) -> str:
    return next(c.verdict for c in out.checks if c.name == name)


class TestCaptureContract(SignalContract):
    signal_cls: ClassVar = CaptureSignal

    def flagged_example(self) -> Evidence:
        return _item(_camera_jpeg("2026:05:08 18:00:00"))

    def clean_example(self) -> Evidence:
        return _item(_camera_jpeg("2026:05:11 09:30:00"))


def test_capture_before_delivery_is_a_medium_finding() -> None:
    out = _run(_item(_camera_jpeg("2026:05:08 18:00:00")))
    assert out.flagged
    assert out.severity == "medium"
    assert _check(out, "capture_time") == "finding"
    assert out.capture_time == "2026-05-08T18:00:00+08:00"  # naive EXIF read as Asia/Shanghai


def test_capture_after_delivery_is_not_flagged() -> None:
    out = _run(_item(_camera_jpeg("2026:05:11 09:30:00")))
    assert not out.flagged
    assert _check(out, "capture_time") == "ok"
    assert out.camera == "Xiaomi 23127PN0CC"
    assert _check(out, "size") == "ok"


def test_clock_tolerance_absorbs_small_skew() -> None:
    out = _run(_item(_camera_jpeg("2026:05:10 10:30:00")))  # 1.5 h before delivery, tolerance 2 h
    assert _check(out, "capture_time") == "ok"


def test_offset_tag_overrides_the_default_zone() -> None:
    # 10:00 at UTC-05:00 is 23:00 Shanghai time, after the 12:00 delivery; read naively it would be early.
    out = _run(_item(_camera_jpeg("2026:05:10 10:00:00", "-05:00")))
    assert _check(out, "capture_time") == "ok"
    assert out.capture_time == "2026-05-10T10:00:00-05:00"
    early = _run(_item(_camera_jpeg("2026:05:10 08:00:00", "+14:00")))  # 02:00 Shanghai
    assert early.flagged
    assert _check(early, "capture_time") == "finding"


def test_without_delivery_time_the_time_check_is_not_checked() -> None:
    out = _run(_item(_camera_jpeg("2026:05:08 18:00:00"), delivered=None))
    assert _check(out, "capture_time") == "not_checked"
    assert not out.flagged


def test_screenshot_is_a_low_finding() -> None:
    out = _run(_item(_screenshot_png(), "order.png"))
    assert out.flagged
    assert out.severity == "low"
    assert _check(out, "screenshot") == "finding"
    assert _check(out, "capture_time") == "info"


def test_screenshot_tool_tag_is_enough() -> None:
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[ExifTags.Base.Software] = "Snipaste"
    Image.fromarray(sample("coffee")).save(buf, "JPEG", exif=exif)
    assert _check(_run(_item(buf.getvalue())), "screenshot") == "finding"


@pytest.mark.parametrize("photo", ["astronaut", "coffee", "chelsea"])
def test_stripped_jpeg_is_never_above_low(photo: str) -> None:
    buf = io.BytesIO()
    Image.fromarray(sample(photo)).save(buf, "JPEG", quality=85)
    out = _run(_item(buf.getvalue()))
    assert out.severity in ("info", "low")
    assert _check(out, "camera") == "info"
    assert _check(out, "size") == "info"


@pytest.mark.parametrize("photo", ["chelsea", "rocket"])
def test_screen_recapture_moire_is_detected_and_the_clean_photo_is_not(photo: str) -> None:
    rgb = sample(photo)
    recaptured = _run(_item(_camera_jpeg(rgb=_recapture(rgb), size=rgb.shape[1::-1])))
    clean = _run(_item(_camera_jpeg(rgb=rgb, size=rgb.shape[1::-1])))
    assert _check(recaptured, "recapture") == "finding"
    assert recaptured.severity == "low"
    assert _check(clean, "recapture") == "ok"


@pytest.mark.slow
@pytest.mark.shared
def test_honest_real_photos_show_no_screenshot_or_recapture_trait(shared_data: Path) -> None:
    real = shared_data / "real"
    files = sorted((real / "photos").iterdir()) + sorted((real / "pairs").iterdir())
    flagged = [p.name for p in files if _run(_item(p.read_bytes(), p.name, delivered=None)).flagged]
    # Measured at version 1: 0 of 105 (max moiré strength 2.52 against the 2.8 threshold).
    assert len(flagged) <= 0.05 * len(files), flagged

"""Capture plausibility: was the claim photo taken by a camera, after the order was delivered?"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from shouhou.errors import ConfigError
from shouhou.evidence.item import Evidence
from shouhou.evidence.model import SEVERITY_LEVEL, Need, Severity, SignalOutput, Tier
from shouhou.evidence.signal import Signal, SignalParams

Verdict = Literal["ok", "finding", "info", "not_checked"]

_SCREEN_SIZES = (
    (750, 1334), (828, 1792), (1125, 2436), (1170, 2532), (1179, 2556), (1242, 2688), (1284, 2778),
    (1290, 2796), (720, 1600), (1080, 1920), (1080, 2244), (1080, 2340), (1080, 2376), (1080, 2400),
    (1080, 2412), (1200, 2640), (1220, 2712), (1260, 2800), (1440, 2560), (1440, 3120), (1440, 3200),
)
_SCREENSHOT_TOOLS = ("screenshot", "screen shot", "截屏", "截图", "屏幕快照", "snipaste", "sharex",
                     "greenshot", "lightshot", "snipping", "flameshot")


class CaptureParams(SignalParams):
    """Provisional, hand-set values (no scorecard yet)."""

    # Phone clocks drift and delivery scans are stamped late: a capture this much early is tolerated.
    clock_tolerance_hours: float = Field(default=2.0, ge=0)
    # Naive EXIF times (no OffsetTime tag) are read in this zone: the platform's buyers are in China.
    exif_timezone: str = "Asia/Shanghai"
    min_camera_megapixels: float = Field(default=5.0, gt=0)
    camera_aspects: tuple[float, ...] = (4 / 3, 16 / 9, 1.0, 3 / 2)
    aspect_tolerance: float = Field(default=0.03, ge=0)
    screen_sizes: tuple[tuple[int, int], ...] = _SCREEN_SIZES
    screenshot_tools: tuple[str, ...] = _SCREENSHOT_TOOLS
    status_bar_frac: float = Field(default=0.035, gt=0, lt=0.5)  # top band height / image height
    status_bar_uniform: float = Field(default=0.7, gt=0, le=1)  # share of band pixels near its median colour
    moire_peak: float = Field(default=2.8, gt=0)  # log-magnitude excess of a peak over its surroundings
    moire_min_radius: float = Field(default=0.08, gt=0, lt=0.5)  # cycles/pixel where screen grids live


class CaptureCheck(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    verdict: Verdict
    severity: Severity = "info"
    value: str
    explanation: str


class CaptureOutput(SignalOutput):
    checks: tuple[CaptureCheck, ...]
    capture_time: str | None = None  # ISO 8601 with offset
    camera: str | None = None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip().strip("\x00").strip() if value is not None else ""


_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def parse_exif_time(value: Any, offset: Any, default_tz: tzinfo) -> datetime | None:
    """An EXIF 'YYYY:MM:DD HH:MM:SS' with its OffsetTime tag, or in `default_tz` when there is none."""
    raw = _text(value)
    try:
        naive = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    match = _OFFSET.match(_text(offset))
    if match:
        sign = -1 if match.group(1) == "-" else 1
        tz: tzinfo = timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    else:
        tz = default_tz
    return naive.replace(tzinfo=tz)


def status_bar_uniformity(rgb: npt.NDArray[np.uint8], band_frac: float) -> float:
    """Share of the top band's pixels within 12 levels of its median colour (a flat status bar is ~0.8+)."""
    band = rgb[: max(round(rgb.shape[0] * band_frac), 2)].reshape(-1, 3).astype(np.int16)
    median = np.median(band, axis=0)
    return float((np.abs(band - median).max(axis=1) <= 12).mean())


def moire_peak_strength(rgb: npt.NDArray[np.uint8], min_radius: float) -> float:
    """Largest log-magnitude excess of an isolated high-frequency peak over its local spectrum.

    Screen recaptures beat the display's pixel grid against the sensor's into strong, narrow spectral
    peaks; natural texture spreads its energy. JPEG 8x8 grid frequencies and the axes are ignored.
    """
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = gray.shape
    if min(h, w) < 64:
        return 0.0
    gray -= cv2.GaussianBlur(gray, (0, 0), 3.0)
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    spec = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(gray * window))).astype(np.float32))
    background = cv2.medianBlur(spec, 5)
    background = cv2.blur(background, (9, 9))
    excess = spec - background
    fy = np.fft.fftshift(np.fft.fftfreq(h))[:, None]
    fx = np.fft.fftshift(np.fft.fftfreq(w))[None, :]
    radius = np.hypot(fy, fx)
    mask = (radius >= min_radius) & (np.abs(fy) > 2.0 / h) & (np.abs(fx) > 2.0 / w)
    for k in range(1, 5):  # JPEG block grid harmonics at k/8 cycles per pixel
        mask &= np.abs(np.abs(fy) - k / 8) > 1.5 / h
        mask &= np.abs(np.abs(fx) - k / 8) > 1.5 / w
    return float(excess[mask].max()) if mask.any() else 0.0


class CaptureSignal(Signal[CaptureParams, CaptureOutput]):
    """Checks that the claim photo plausibly is a camera photo taken after the order was delivered.

    Checks: EXIF capture time (DateTimeOriginal, else DateTimeDigitized, with OffsetTimeOriginal /
    OffsetTimeDigitized / OffsetTime; naive times are read as Asia/Shanghai, `exif_timezone`) against
    `context.delivered_at` (a naive delivered_at is read as UTC, the storage convention) — a capture more
    than `clock_tolerance_hours` before delivery is a `medium` finding; camera make/model present or
    stripped (information only: chat apps strip EXIF); screenshot traits (screen resolution or PNG, no
    camera EXIF, a flat status bar, a screenshot tool's name) and screen-recapture moiré in the preview's
    spectrum — `low` findings; image size and aspect typical of a phone camera (information only).

    What it cannot tell: EXIF is written by the sender and is trivially edited or removed, so a plausible
    time or camera proves nothing, and a missing one is normal after WeChat/QQ; a wrong phone clock looks
    like an early capture; a recapture of a high-resolution screen with a defocused lens leaves no moiré.
    Thresholds are provisional and uncalibrated (a later benchmark will fit them).
    """

    name: ClassVar[str] = "capture"
    version: ClassVar[str] = "1"
    needs: ClassVar[frozenset[Need]] = frozenset({Need.METADATA, Need.PREVIEW})
    tier: ClassVar[Tier] = Tier.FULL
    params_model: ClassVar[type[SignalParams]] = CaptureParams
    output_model: ClassVar[type[SignalOutput]] = CaptureOutput

    def run(self, item: Evidence, params: CaptureParams) -> CaptureOutput:
        try:
            default_tz: tzinfo = ZoneInfo(params.exif_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"capture.exif_timezone {params.exif_timezone!r} is not a known zone") from exc
        exif = item.image.exif
        captured = self._capture_time(exif, default_tz)
        make, model = _text(exif.get("Make")), _text(exif.get("Model"))
        camera = " ".join(p for p in (make, model) if p) or None
        checks = (
            self._check_time(captured, item.context.delivered_at, params),
            self._check_camera(camera, exif),
            self._check_screenshot(item, camera, params),
            self._check_recapture(item, params),
            self._check_size(item, params),
        )
        findings = [c for c in checks if c.verdict == "finding"]
        severity: Severity = max((c.severity for c in findings), key=lambda s: SEVERITY_LEVEL[s],
                                 default="info")
        score = {"info": 0.0, "low": 0.35, "medium": 0.7, "high": 0.9}[severity]
        if findings:
            summary = "; ".join(c.explanation for c in findings)
        else:
            summary = ("Capture looks plausible: no early capture time, screenshot or screen-recapture "
                       "trait found.")
        return CaptureOutput(
            flagged=bool(findings), severity=severity, score=score, summary=summary, checks=checks,
            capture_time=captured.isoformat() if captured else None, camera=camera,
        )

    @staticmethod
    def _capture_time(exif: dict[str, Any], default_tz: tzinfo) -> datetime | None:
        for tag, offsets in (("DateTimeOriginal", ("OffsetTimeOriginal", "OffsetTime")),
                             ("DateTimeDigitized", ("OffsetTimeDigitized", "OffsetTime"))):
            if tag in exif:
                offset = next((exif[o] for o in offsets if _OFFSET.match(_text(exif.get(o)))), None)
                parsed = parse_exif_time(exif[tag], offset, default_tz)
                if parsed is not None:
                    return parsed
        return None

    @staticmethod
    def _check_time(captured: datetime | None, delivered: datetime | None,
                    params: CaptureParams) -> CaptureCheck:
        if captured is None:
            return CaptureCheck(name="capture_time", verdict="info", value="none",
                                explanation="No EXIF capture time (stripped or never written); not checked "
                                            "against delivery.")
        if delivered is None:
            return CaptureCheck(name="capture_time", verdict="not_checked", value=captured.isoformat(),
                                explanation="The order's delivery time was not given.")
        if delivered.tzinfo is None:
            delivered = delivered.replace(tzinfo=UTC)
        early = delivered - captured
        if early > timedelta(hours=params.clock_tolerance_hours):
            hours = early.total_seconds() / 3600
            return CaptureCheck(
                name="capture_time", verdict="finding", severity="medium", value=captured.isoformat(),
                explanation=f"The photo's EXIF capture time {captured.isoformat()} is {hours:.1f} h before "
                            f"the order was delivered ({delivered.isoformat()}): it shows something "
                            "photographed before the buyer received it (or a wrong camera clock).")
        return CaptureCheck(name="capture_time", verdict="ok", value=captured.isoformat(),
                            explanation="Captured after delivery (within the clock tolerance).")

    @staticmethod
    def _check_camera(camera: str | None, exif: dict[str, Any]) -> CaptureCheck:
        if camera:
            return CaptureCheck(name="camera", verdict="ok", value=camera,
                                explanation="Camera make/model present.")
        what = "no EXIF at all" if not exif else "EXIF without make/model"
        return CaptureCheck(name="camera", verdict="info", value="none",
                            explanation=f"Camera make/model stripped ({what}); common after chat apps, "
                                        "not a finding by itself.")

    @staticmethod
    def _check_screenshot(item: Evidence, camera: str | None, params: CaptureParams) -> CaptureCheck:
        image = item.image
        w, h = image.width, image.height
        size = (min(w, h), max(w, h))
        traits: list[str] = []
        labels = [_text(image.exif.get("Software")), _text(image.exif.get("UserComment")),
                  _text(image.exif.get("ImageDescription")), *image.text.values(),
                  *(x.decode("utf-8", "replace") for x in image.xmp)]
        tool = next((t for t in params.screenshot_tools for s in labels if t.lower() in s.lower()), None)
        if tool:
            traits.append(f"names a screenshot tool ({tool!r})")
        if size in params.screen_sizes:
            traits.append(f"{w}x{h} is a phone screen resolution")
        if image.format == "PNG":
            traits.append("PNG (phone cameras write JPEG/HEIF)")
        uniform = status_bar_uniformity(image.preview, params.status_bar_frac)
        if uniform >= params.status_bar_uniform:
            traits.append(f"flat status-bar band at the top ({uniform:.0%} uniform)")
        # A JPEG at 16:9 without EXIF is as likely a chat-app copy of a camera photo, so a JPEG needs a
        # tall (>= 19:10) screen size and a status bar; a PNG at any listed screen size is enough.
        tall = size[1] / size[0] >= 1.9
        flat_top = uniform >= params.status_bar_uniform
        if image.format == "PNG":
            geometry = size in params.screen_sizes or (tall and flat_top)
        else:
            geometry = size in params.screen_sizes and tall and flat_top
        screen_like = tool is not None or (camera is None and geometry)
        value = ", ".join(traits) or "none"
        if screen_like:
            return CaptureCheck(
                name="screenshot", verdict="finding", severity="low", value=value,
                explanation=f"Looks like a screenshot ({value}); a claim photo should be a camera photo of "
                            "the item.")
        return CaptureCheck(name="screenshot", verdict="ok", value=value, explanation="No screenshot traits.")

    @staticmethod
    def _check_recapture(item: Evidence, params: CaptureParams) -> CaptureCheck:
        peak = moire_peak_strength(item.image.preview, params.moire_min_radius)
        if peak >= params.moire_peak:
            return CaptureCheck(
                name="recapture", verdict="finding", severity="low", value=f"{peak:.2f}",
                explanation=f"Strong periodic peaks in the fine spectrum (moiré, {peak:.1f}): the photo may "
                            "be a picture of a screen.")
        return CaptureCheck(name="recapture", verdict="ok", value=f"{peak:.2f}",
                            explanation="No screen-grid moiré found.")

    @staticmethod
    def _check_size(item: Evidence, params: CaptureParams) -> CaptureCheck:
        w, h = item.image.width, item.image.height
        aspect = max(w, h) / min(w, h)
        mp = w * h / 1e6
        standard = any(abs(aspect - a) <= params.aspect_tolerance * a for a in params.camera_aspects)
        value = f"{w}x{h} ({mp:.1f} MP, aspect {aspect:.2f})"
        if mp >= params.min_camera_megapixels and standard:
            return CaptureCheck(name="size", verdict="ok", value=value,
                                explanation="Typical phone-camera size.")
        why = "small (low information, e.g. a chat-app copy)" if mp < params.min_camera_megapixels \
            else "an unusual aspect for a camera (cropped?)"
        return CaptureCheck(name="size", verdict="info", value=value,
                            explanation=f"Image is {why}; not a finding.")

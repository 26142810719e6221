"""Packing-video frames: container sniffing and evenly spread stills decoded with OpenCV's FFmpeg backend."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from shouhou.errors import DecompressionBomb, FileTooLarge, UnreadableVideo, ValidationFailed
from shouhou.evidence.image import sniff_format

BGR = npt.NDArray[np.uint8]

JPEG_QUALITY: Final = 95
# The first and last moments of a packing video are the phone being set up and put down.
EDGE_SKIP: Final = 0.05
# Brands of an ISO-BMFF file that make it audio, not video.
_AUDIO_BRANDS: Final = {b"M4A ", b"M4B ", b"M4P "}
# Pre-ftyp QuickTime files start with one of these atoms.
_QUICKTIME_ATOMS: Final = {b"moov", b"mdat", b"wide", b"pnot"}
_SUFFIXES: Final[dict[str, str]] = {
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/3gpp": ".3gp",
    "video/3gpp2": ".3g2",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/x-msvideo": ".avi",
    "video/x-flv": ".flv",
    "video/mp2t": ".ts",
    "video/mpeg": ".mpg",
}


@dataclass(frozen=True)
class VideoFrame:
    """One still of a video, as a JPEG; `index` counts decoded frames from 0, `seconds` is its timestamp."""

    index: int
    seconds: float
    width: int
    height: int
    jpeg: bytes = field(repr=False)


def sniff_video(head: bytes) -> str | None:
    """Media type of a video container from its first bytes (512 are enough), or None."""
    if sniff_format(head) is not None:  # HEIF and AVIF images are ISO-BMFF files too
        return None
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return None
        if brand == b"qt  ":
            return "video/quicktime"
        if brand.startswith(b"3g2"):
            return "video/3gpp2"
        if brand.startswith(b"3gp"):
            return "video/3gpp"
        return "video/mp4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML; the DocType element says which Matroska profile
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[:4] == b"FLV\x01":
        return "video/x-flv"
    if head[:4] == b"\x00\x00\x01\xba":
        return "video/mpeg"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:  # MPEG-TS sync byte every packet
        return "video/mp2t"
    return None


def extract_frames(
    data: bytes,
    *,
    count: int = 8,
    max_bytes: int,
    max_pixels: int = 40_000_000,
    tmp_dir: Path | None = None,
) -> list[VideoFrame]:
    """Up to `count` frames spread evenly over the video (the first and last 5 % skipped), in order.

    The video is decoded from a temporary file (mode 0600, in `tmp_dir` or the system's), always removed.
    """
    if count < 1:
        raise ValidationFailed(f"frame count must be at least 1, got {count}")
    if len(data) > max_bytes:
        raise FileTooLarge(f"packing video: {len(data)} bytes is over the {max_bytes}-byte limit")
    if not data:
        raise UnreadableVideo("packing video: the file is empty (0 bytes)")
    head = data[:512]
    image = sniff_format(head)
    if image is not None:
        raise UnreadableVideo(f"packing video: the file is a {image} image, not a video")
    kind = sniff_video(head)
    suffix = _SUFFIXES.get(kind or "", ".bin")
    fd, name = tempfile.mkstemp(prefix="shouhou-video-", suffix=suffix, dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        what = f"packing video ({kind or 'unknown container'}, {len(data)} bytes)"
        return _extract(name, what, count=count, max_pixels=max_pixels)
    finally:
        Path(name).unlink(missing_ok=True)


def _extract(path: str, what: str, *, count: int, max_pixels: int) -> list[VideoFrame]:
    with _capture(path, what) as cap:
        declared = _frame_count(cap)
        _check_declared_size(cap, what, max_pixels)
        if declared > 0:
            frames = _read_by_seeking(cap, spread(declared, count), what, max_pixels)
            if frames is not None:
                return frames
    # No frame count, or the container promised frames the data does not hold (a cut-off upload):
    # count what really decodes, then pick from that.
    with _capture(path, what) as cap:
        total = 0
        while cap.grab():
            total += 1
    if total == 0:
        raise UnreadableVideo(f"{what}: the container opens but no frame decodes")
    with _capture(path, what) as cap:
        return _read_sequentially(cap, spread(total, count), what, max_pixels)


def spread(total: int, count: int) -> list[int]:
    """Frame indices spread evenly over [5 %, 95 %] of `total` frames; fewer when the video is shorter."""
    skip = int(total * EDGE_SKIP)
    lo, hi = skip, total - 1 - skip
    if count == 1:
        return [(lo + hi) // 2]
    return sorted({round(lo + k * (hi - lo) / (count - 1)) for k in range(count)})


@contextmanager
def _capture(path: str, what: str) -> Iterator[cv2.VideoCapture]:
    try:
        cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    except cv2.error as exc:
        raise UnreadableVideo(f"{what}: the decoder failed to open it ({exc})") from exc
    try:
        if not cap.isOpened():
            raise UnreadableVideo(
                f"{what}: FFmpeg cannot open it (not a video, an unknown codec, or cut off before its index)"
            )
        yield cap
    finally:
        cap.release()


def _frame_count(cap: cv2.VideoCapture) -> int:
    # Raw streams report nonsense (negative, NaN or absurd estimates); treat those as unknown.
    value = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    if not math.isfinite(value) or value <= 0 or value > 2**31:
        return 0
    return int(value)


def _check_declared_size(cap: cv2.VideoCapture, what: str, max_pixels: int) -> None:
    width = cap.get(cv2.CAP_PROP_FRAME_WIDTH)
    height = cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    if math.isfinite(width) and math.isfinite(height) and width * height > max_pixels:
        raise DecompressionBomb(
            f"{what}: frames of {int(width)}×{int(height)} are over the {max_pixels}-pixel limit"
        )


def _read_by_seeking(
    cap: cv2.VideoCapture, indices: list[int], what: str, max_pixels: int
) -> list[VideoFrame] | None:
    """The frames at `indices`, or None when a seek lands elsewhere or a frame does not decode."""
    frames = []
    for index in indices:
        if not cap.set(cv2.CAP_PROP_POS_FRAMES, index):
            return None
        ok, bgr = _read(cap, what)
        if not ok or int(cap.get(cv2.CAP_PROP_POS_FRAMES)) != index + 1:
            return None
        frames.append(_frame(cap, index, bgr, what, max_pixels))
    return frames


def _read_sequentially(
    cap: cv2.VideoCapture, indices: list[int], what: str, max_pixels: int
) -> list[VideoFrame]:
    wanted = set(indices)
    frames = []
    for index in range(indices[-1] + 1):
        if not cap.grab():
            break  # pragma: no cover - the counting pass decoded this far
        if index in wanted:
            ok, bgr = cap.retrieve()
            if ok and bgr is not None:
                frames.append(_frame(cap, index, np.asarray(bgr, dtype=np.uint8), what, max_pixels))
    if not frames:  # pragma: no cover - the counting pass decoded at least one frame
        raise UnreadableVideo(f"{what}: no frame decodes")
    return frames


def _read(cap: cv2.VideoCapture, what: str) -> tuple[bool, BGR]:
    try:
        ok, bgr = cap.read()
    except cv2.error as exc:
        raise UnreadableVideo(f"{what}: the decoder failed ({exc})") from exc
    if not ok or bgr is None:
        return False, np.zeros((0, 0, 3), np.uint8)
    return True, np.asarray(bgr, dtype=np.uint8)


def _frame(cap: cv2.VideoCapture, index: int, bgr: BGR, what: str, max_pixels: int) -> VideoFrame:
    height, width = int(bgr.shape[0]), int(bgr.shape[1])
    if width * height > max_pixels:
        raise DecompressionBomb(f"{what}: frames of {width}×{height} are over the {max_pixels}-pixel limit")
    msec = cap.get(cv2.CAP_PROP_POS_MSEC)
    if not math.isfinite(msec) or msec < 0:
        fps = cap.get(cv2.CAP_PROP_FPS)
        msec = index * 1000 / fps if math.isfinite(fps) and fps > 0 else 0.0
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - encoding a decoded 8-bit frame does not fail
        raise UnreadableVideo(f"{what}: frame {index} could not be encoded as JPEG")
    return VideoFrame(index=index, seconds=msec / 1000, width=width, height=height, jpeg=buf.tobytes())

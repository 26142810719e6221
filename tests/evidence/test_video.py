"""Packing-video frames: real videos written and decoded by OpenCV/FFmpeg; every bad input gets its error."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from shouhou.errors import DecompressionBomb, FileTooLarge, UnreadableVideo, ValidationFailed
from shouhou.evidence.image import encode_image
from shouhou.evidence.video import extract_frames, sniff_video, spread
from tests.conftest import sample

WIDTH, HEIGHT, BAR_STEP = 320, 240, 7
LIMIT = 10 * 1024 * 1024


def _write_video(path: Path, fourcc: str, frames: int = 40, fps: float = 10) -> bytes:
    """Frame k shows a white bar (k + 1) × 7 pixels wide and its number, so a decoded frame names itself."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (WIDTH, HEIGHT))
    assert writer.isOpened(), f"this OpenCV build cannot write {fourcc} into {path.suffix}"
    for k in range(frames):
        frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        frame[10:40, : (k + 1) * BAR_STEP] = 255
        cv2.putText(frame, str(k), (60, 180), cv2.FONT_HERSHEY_SIMPLEX, 3, (0, 200, 255), 5)
        writer.write(frame)
    writer.release()
    return path.read_bytes()


def _saved(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _shown_index(jpeg: bytes) -> int:
    gray = np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"), dtype=float)
    bar_width = int((gray[18:32].mean(axis=0) > 128).sum())
    return round(bar_width / BAR_STEP) - 1


@pytest.fixture(scope="module")
def mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _write_video(tmp_path_factory.mktemp("video") / "packing.mp4", "mp4v")


def test_four_frames_are_spread_over_the_video_in_order(mp4: bytes) -> None:
    frames = extract_frames(mp4, count=4, max_bytes=LIMIT)

    assert [f.index for f in frames] == [2, 14, 25, 37]  # 5 % of 40 frames skipped at each end
    for frame in frames:
        with Image.open(io.BytesIO(frame.jpeg)) as im:
            assert (im.format, im.size) == ("JPEG", (WIDTH, HEIGHT))
        assert (frame.width, frame.height) == (WIDTH, HEIGHT)
        assert _shown_index(frame.jpeg) == frame.index  # the seek landed on the frame it claims
        assert frame.seconds == pytest.approx(frame.index / 10, abs=0.01)
    seconds = [f.seconds for f in frames]
    assert seconds == sorted(seconds) and len(set(seconds)) == 4


def test_the_default_takes_eight_distinct_frames_inside_the_margins(mp4: bytes) -> None:
    frames = extract_frames(mp4, max_bytes=LIMIT)
    shown = [_shown_index(f.jpeg) for f in frames]
    assert len(frames) == 8
    assert shown == sorted(set(shown)) == [f.index for f in frames]
    assert shown[0] >= 2 and shown[-1] <= 37


def test_a_video_shorter_than_the_count_gives_every_frame(tmp_path: Path) -> None:
    frames = extract_frames(_write_video(tmp_path / "short.mp4", "mp4v", frames=5), count=8, max_bytes=LIMIT)
    assert [_shown_index(f.jpeg) for f in frames] == [f.index for f in frames] == [0, 1, 2, 3, 4]


def _without_duration(matroska: bytes) -> bytes:
    """The file as a live recorder (a browser's MediaRecorder) writes it: no Duration in the segment info."""
    at = matroska.find(b"\x44\x89\x88")  # Duration element, an 8-byte float
    assert at > 0
    return matroska[:at] + b"\xec\x89" + bytes(9) + matroska[at + 11 :]  # a Void element of the same length


def test_a_video_without_a_frame_count_is_read_sequentially(tmp_path: Path) -> None:
    data = _without_duration(_write_video(tmp_path / "recorded.webm", "VP80", frames=20))
    cap = cv2.VideoCapture(str(_saved(tmp_path / "check.webm", data)), cv2.CAP_FFMPEG)
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) <= 0  # the premise: FFmpeg cannot tell how many frames
    cap.release()

    frames = extract_frames(data, count=3, max_bytes=LIMIT)

    assert [f.index for f in frames] == spread(20, 3) == [1, 10, 18]
    assert [_shown_index(f.jpeg) for f in frames] == [1, 10, 18]
    assert [f.seconds for f in frames] == pytest.approx([0.1, 1.0, 1.8], abs=0.01)


def test_a_cut_off_upload_gives_frames_from_the_part_that_decodes(tmp_path: Path) -> None:
    # Matroska declares 40 frames in its header; only the first half of the data arrives.
    data = _write_video(tmp_path / "packing.mkv", "MJPG")
    frames = extract_frames(data[: len(data) // 2], count=4, max_bytes=LIMIT)
    shown = [_shown_index(f.jpeg) for f in frames]
    assert len(frames) == 4
    assert shown == [f.index for f in frames] == sorted(set(shown))
    assert shown[-1] < 30


def test_avi_with_motion_jpeg_works_too(tmp_path: Path) -> None:
    frames = extract_frames(_write_video(tmp_path / "packing.avi", "MJPG"), count=2, max_bytes=LIMIT)
    assert [_shown_index(f.jpeg) for f in frames] == [f.index for f in frames] == [2, 37]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes(), "cannot open"),
        (b"\x00\x00\x00\x1cftypisom" + bytes(5000), "cannot open"),
        (encode_image(sample("coffee"), "JPEG"), "JPEG image, not a video"),
    ],
    ids=["empty", "garbage", "mp4-header-only", "photo"],
)
def test_unreadable_inputs_are_refused_precisely(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableVideo, match=message):
        extract_frames(data, max_bytes=LIMIT)


def test_an_mp4_cut_to_its_first_200_bytes_is_unreadable(mp4: bytes) -> None:
    with pytest.raises(UnreadableVideo, match=r"video/mp4, 200 bytes"):
        extract_frames(mp4[:200], max_bytes=LIMIT)


def test_the_byte_limit_is_enforced(mp4: bytes) -> None:
    with pytest.raises(FileTooLarge, match=str(len(mp4))):
        extract_frames(mp4, count=1, max_bytes=len(mp4) - 1)
    assert len(extract_frames(mp4, count=1, max_bytes=len(mp4))) == 1


def test_frames_over_the_pixel_limit_are_a_bomb(mp4: bytes) -> None:
    with pytest.raises(DecompressionBomb, match="320×240"):
        extract_frames(mp4, max_bytes=LIMIT, max_pixels=WIDTH * HEIGHT - 1)
    assert extract_frames(mp4, count=1, max_bytes=LIMIT, max_pixels=WIDTH * HEIGHT)


def test_a_frame_count_below_one_is_refused(mp4: bytes) -> None:
    with pytest.raises(ValidationFailed):
        extract_frames(mp4, count=0, max_bytes=LIMIT)


def test_the_temporary_copy_is_always_removed(tmp_path: Path, mp4: bytes) -> None:
    work = tmp_path / "work"
    work.mkdir()
    assert extract_frames(mp4, count=2, max_bytes=LIMIT, tmp_dir=work)
    for bad, error in [(b"\x00" * 300, UnreadableVideo), (mp4, DecompressionBomb)]:
        with pytest.raises(error):
            extract_frames(bad, max_bytes=LIMIT, max_pixels=100, tmp_dir=work)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2mp41", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "video/quicktime"),
        (b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat", "video/quicktime"),
        (b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x02\x00isom3gp4", "video/3gpp"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (b"RIFF\x00\x10\x00\x00AVI LIST", "video/x-msvideo"),
        (b"RIFF\x00\x10\x00\x00WEBPVP8 ", None),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", None),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom", None),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", None),
        (b"hello world, not a video", None),
    ],
)
def test_containers_are_named_by_their_signature(head: bytes, expected: str | None) -> None:
    assert sniff_video(head) == expected


def test_spread_skips_the_margins_and_never_repeats() -> None:
    assert spread(100, 2) == [5, 94]
    assert spread(100, 1) == [49]
    assert spread(3, 8) == [0, 1, 2]
    for total in range(1, 60):
        for count in range(1, 12):
            picked = spread(total, count)
            assert picked == sorted(set(picked)) and picked[0] >= 0 and picked[-1] < total
            skip = int(total * 0.05)
            assert len(picked) == min(total - 2 * skip, count)

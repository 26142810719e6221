"""Render screenings as a self-contained HTML page plus PNG pictures.

The pictures: the claim with flagged regions outlined, the aligned reference, the heat maps.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from jinja2 import Environment, PackageLoader, select_autoescape

from shouhou.evidence.image import encode_image
from shouhou.evidence.item import Evidence
from shouhou.evidence.pipeline import Screening

MAX_SIDE = 1600
_RISK_COLOURS = {"none": "#2e7d32", "low": "#9e9d24", "medium": "#ef6c00", "high": "#c62828"}


@dataclass(frozen=True)
class Picture:
    title: str
    file: str
    data_uri: str


@dataclass(frozen=True)
class ReportEntry:
    screening: Screening
    pictures: tuple[Picture, ...]
    anchor: str


def _fit(rgb: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], float]:
    h, w = rgb.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    if scale < 1.0:
        small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(small, dtype=np.uint8), scale
    return np.ascontiguousarray(rgb), scale


def outline_regions(rgb: npt.NDArray[np.uint8], screening: Screening) -> npt.NDArray[np.uint8]:
    """The claim photo with every flagged finding's regions outlined and labelled by signal."""
    canvas, scale = _fit(rgb)
    canvas = canvas.copy()
    thickness = max(2, round(max(canvas.shape[:2]) / 400))
    palette = [(230, 25, 75), (245, 130, 48), (145, 30, 180), (0, 130, 200), (60, 180, 75)]
    flagged = [f for f in screening.findings if f.status == "ok" and f.flagged and f.regions]
    for i, finding in enumerate(flagged):
        colour = palette[i % len(palette)]
        for x, y, w, h in finding.regions:
            p1 = (round(x * scale), round(y * scale))
            p2 = (round((x + w) * scale), round((y + h) * scale))
            cv2.rectangle(canvas, p1, p2, colour, thickness)
            cv2.putText(
                canvas,
                finding.signal,
                (p1[0], max(12, p1[1] - 4)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.4 + thickness * 0.1,
                colour,
                max(1, thickness // 2),
                cv2.LINE_AA,
            )
    return canvas


def heat_overlay(rgb: npt.NDArray[np.uint8], heat: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    """A [0,1] map (any size) blended over the photo in a perceptual colour map."""
    base, _ = _fit(rgb)
    h, w = base.shape[:2]
    hm = np.asarray(heat, dtype=np.float32)
    if hm.max() > 1.0:
        hm = hm / 255.0
    hm = np.asarray(cv2.resize(np.clip(hm, 0, 1), (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    coloured = cv2.applyColorMap((hm * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)
    coloured = np.asarray(cv2.cvtColor(coloured, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    alpha = (0.25 + 0.6 * hm)[..., None]
    out = base.astype(np.float32) * (1 - alpha) + coloured.astype(np.float32) * alpha
    blended: npt.NDArray[np.uint8] = np.clip(out, 0, 255).astype(np.uint8)
    return blended


def _slug(name: str) -> str:
    stem = Path(name).stem or "photo"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem)[:60] or "photo"


def _as_rgb(pic: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    arr = np.asarray(pic)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr.astype(np.float32), 0, 1) * 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    return np.ascontiguousarray(arr[..., :3])


def pictures_for(item: Evidence, screening: Screening) -> list[tuple[str, str, npt.NDArray[np.uint8]]]:
    """(title, file suffix, pixels) for every picture that helps explain the verdict."""
    rgb = item.image.pixels
    out: list[tuple[str, str, npt.NDArray[np.uint8]]] = [
        ("Claim photo, flagged regions outlined", "claim", outline_regions(rgb, screening)),
    ]
    aligned = item.artifacts.get("reference.aligned")
    if aligned is not None:
        title = f"Reference {screening.matched_reference or ''} aligned to the claim photo".replace("  ", " ")
        out.append((title, "reference", _fit(_as_rgb(aligned))[0]))
    for key, title in (
        ("reference.diff", "Difference from the aligned reference (heat map)"),
        ("forensics.anomaly", "Local-edit anomaly map (no reference)"),
    ):
        heat = item.artifacts.get(key)
        signal = key.split(".")[0]
        # A heat map explains a finding; an unflagged signal's map is noise for the reader.
        if heat is not None and any(f.signal == signal and f.flagged for f in screening.findings):
            out.append((title, key.replace(".", "-"), heat_overlay(rgb, heat)))
    return out


def write_report(
    entries: Sequence[tuple[Evidence, Screening]],
    out_dir: Path,
    *,
    failures: Sequence[tuple[str, str]] = (),
    title: str = "shouhou evidence screening",
) -> Path:
    """Write index.html (pictures embedded, so the page is self-contained) and the PNGs beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    rendered: list[ReportEntry] = []
    for item, screening in entries:
        slug = _slug(screening.source)
        base, n = slug, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        pictures = []
        for pic_title, suffix, pixels in pictures_for(item, screening):
            png = encode_image(pixels, "PNG")
            file = f"{slug}-{suffix}.png"
            (out_dir / file).write_bytes(png)
            uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            pictures.append(Picture(title=pic_title, file=file, data_uri=uri))
        rendered.append(ReportEntry(screening=screening, pictures=tuple(pictures), anchor=slug))
    env = Environment(
        loader=PackageLoader("shouhou.evidence", "templates"), autoescape=select_autoescape(["html"])
    )
    page = env.get_template("report.html").render(
        title=title,
        entries=rendered,
        failures=failures,
        colours=_RISK_COLOURS,
        escape=html.escape,
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path

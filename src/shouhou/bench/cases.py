"""Labelled benchmark cases: what to build (cheap specs, made in the parent) and how to build each one
(pixels, reference and true edit mask, made in a worker from the spec's seed).

Every claim photo, whatever its class, goes through the same random post-processing and the same final
JPEG save, and starts from the same stored form of its source (a JPEG as a shop serves it), so file
format or compression history cannot tell the classes apart by construction.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from shouhou.bench.sources import SourcePhoto, Split, pairs_of
from shouhou.evidence.image import encode_image
from shouhou.evidence.signals.watermark import SD_V1, SDXL
from shouhou.evidence.synth import labels
from shouhou.evidence.synth import postprocess as pp
from shouhou.evidence.synth.damage import DAMAGES, Damaged, splice
from shouhou.evidence.synth.watermark import embed_dwt_dct

RGB = npt.NDArray[np.uint8]
Kind = Literal["forged", "genuine", "unrelated", "reused", "provenance"]

FAMILIES: Final[tuple[str, ...]] = ("crack", "chip", "stain", "scratches", "inpaint", "copy_move", "splice")
# The post-processing a forger (or an honest buyer's phone and chat app) applies; drawn uniformly.
POSTS: Final[tuple[str, ...]] = (
    "none",
    "jpeg",
    "resize",
    "crop",
    "rotate",
    "perspective",
    "colour",
    "screenshot",
    "recapture",
)
SECOND_POSTS: Final[tuple[str, ...]] = ("jpeg", "resize", "colour")
STRENGTHS: Final[tuple[float, ...]] = (0.3, 0.6, 0.9)
LABELS: Final[tuple[str, ...]] = (
    "gb45438_xmp",
    "gb45438_xmp_attribute",
    "gb45438_png",
    "gb45438_exif",
    "iptc_dst",
    "sd_parameters",
    "comfyui",
    "novelai",
    "watermark_sd_v1",
    "watermark_sdxl",
)
REFERENCE_QUALITY: Final = 92  # how the shop's listing photo is stored and served
SOURCE_MAX_SIDE: Final = 1600
SCREEN_SIDE: Final = 800  # photo pixels a screen shows before a recapture (its sub-pixel grid multiplies)


@dataclass(frozen=True)
class CaseSpec:
    """What one case is; `build_case` turns it into files deterministically."""

    id: str
    split: Split
    kind: Kind
    family: str  # damage family, genuine kind (reshot/flat_reshoot), label name, or "none"
    source: str  # path of the photo the claim starts from
    reference: str | None  # path of the reference's source photo (None: no reference is given)
    seed: int
    strength: float = 0.0
    donor: str | None = None  # splice donor photo
    labelled: bool = False  # provenance: whether the label is present


@dataclass
class Case:
    """A built case: the claim file, the reference files and, for edits, the true mask in claim pixels."""

    spec: CaseSpec
    claim: bytes
    references: list[bytes]
    post: str
    mask: npt.NDArray[np.bool_] | None = None
    notes: dict[str, object] = field(default_factory=dict)


def _read_rgb(path: str) -> RGB:
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"), np.uint8)
    h, w = rgb.shape[:2]
    s = SOURCE_MAX_SIDE / max(h, w)
    if s < 1.0:
        rgb = np.asarray(
            cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA), np.uint8
        )
    return np.ascontiguousarray(rgb)


def _stored(rgb: RGB) -> tuple[RGB, bytes]:
    """The photo as a shop stores and serves it (JPEG), and its decoded pixels."""
    data = encode_image(rgb, "JPEG", quality=REFERENCE_QUALITY)
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), np.uint8), data


def _post_one(name: str, rgb: RGB, rng: np.random.Generator) -> pp.Processed:
    seed = int(rng.integers(1 << 30))
    if name == "none":
        return pp.Processed(rgb, np.eye(3))
    if name == "jpeg":
        return pp.jpeg(rgb, int(rng.integers(60, 96)))
    if name == "resize":
        return pp.resize(rgb, float(rng.uniform(0.3, 1.0)))
    if name == "crop":
        area = float(rng.uniform(0.05, 0.25))
        return pp.crop(rgb, 1.0 - math.sqrt(1.0 - area), seed=seed)
    if name == "rotate":
        deg = float(rng.uniform(1.0, 6.0)) * (1 if rng.random() < 0.5 else -1)
        return pp.rotate(rgb, deg)
    if name == "perspective":
        return pp.perspective(rgb, float(rng.uniform(0.02, 0.08)), seed=seed)
    if name == "colour":
        return pp.colour_filter(
            rgb,
            brightness=float(rng.uniform(-20, 20)),
            contrast=float(rng.uniform(0.85, 1.2)),
            saturation=float(rng.uniform(0.7, 1.4)),
            warmth=float(rng.uniform(-0.08, 0.08)),
            gamma=float(rng.uniform(0.8, 1.2)),
        )
    if name == "screenshot":
        return pp.screenshot(rgb, seed=seed, dark=bool(rng.random() < 0.3))
    if name == "recapture":
        # A screen shows the photo at its own resolution: scale it to a phone screen's width first.
        shown = pp.resize(rgb, min(1.0, SCREEN_SIDE / max(rgb.shape[:2])))
        return pp.then(
            shown,
            pp.recapture(
                shown.image,
                seed=seed,
                pitch=float(rng.choice([3.0, 4.0])),
                zoom=float(rng.uniform(0.3, 0.45)),
                tilt=float(rng.uniform(0.01, 0.05)),
                glare=float(rng.uniform(0.0, 0.4)),
            ),
        )
    raise ValueError(f"unknown post-processing {name!r}")


def post_process(rgb: RGB, rng: np.random.Generator) -> tuple[pp.Processed, str]:
    """The random post-processing chain every claim gets, then the final save every claim gets."""
    first = str(rng.choice(POSTS))
    out = _post_one(first, rgb, rng)
    names = [first]
    if rng.random() < 0.3:
        second = str(rng.choice(SECOND_POSTS))
        out = pp.then(out, _post_one(second, out.image, rng))
        names.append(second)
    return out, "+".join(names)


def final_save(rgb: RGB, rng: np.random.Generator) -> bytes:
    return encode_image(rgb, "JPEG", quality=int(rng.integers(80, 96)))


def _flat_reshoot(rgb: RGB, seed: int) -> RGB:
    """A new camera capture of the photo as a flat print (an honest re-shot of a flat object)."""
    h, w = rgb.shape[:2]
    return pp.reshoot(rgb, seed=seed, size=(w, h), tilt=0.06, lighting=0.2).image


def build_case(spec: CaseSpec) -> Case:
    rng = np.random.default_rng(spec.seed)
    if spec.kind == "provenance":
        return _provenance_case(spec, rng)
    src = _read_rgb(spec.source)
    ref_pixels: RGB | None = None
    ref_files: list[bytes] = []
    if spec.kind == "genuine" and spec.family == "flat_reshoot":
        ref_pixels, ref_file = _stored(_flat_reshoot(src, spec.seed + 1))
        start, _ = _stored(_flat_reshoot(src, spec.seed + 2))
        ref_files.append(ref_file)
    else:
        if spec.reference is not None:
            ref_pixels, ref_file = _stored(_read_rgb(spec.reference))
            ref_files.append(ref_file)
        start, _ = _stored(src)
    mask: npt.NDArray[np.bool_] | None = None
    if spec.kind == "forged":
        assert ref_pixels is not None  # forged cases start from their reference
        damaged = _damage(spec, ref_pixels, rng)
        start, mask = damaged.image, damaged.mask
    processed, post = post_process(start, rng)
    claim = final_save(processed.image, rng)
    true_mask = pp.map_mask(mask, processed.transform, processed.image.shape) if mask is not None else None
    return Case(spec, claim, ref_files, post, true_mask)


def _damage(spec: CaseSpec, rgb: RGB, rng: np.random.Generator) -> Damaged:
    seed = int(rng.integers(1 << 30))
    if spec.family == "splice":
        if spec.donor is None:
            raise ValueError(f"case {spec.id}: a splice needs a donor photo")
        donor, _ = _stored(_read_rgb(spec.donor))
        return splice(rgb, donor, seed=seed, strength=spec.strength)
    maker: Callable[..., Damaged] = DAMAGES[spec.family]
    return maker(rgb, seed=seed, strength=spec.strength)


def _provenance_case(spec: CaseSpec, rng: np.random.Generator) -> Case:
    """A real photo saved as a generator would save it (PNG for SD-family chunks and watermarks, JPEG for
    XMP/EXIF forms), with or without the label; the twin differs only in the label."""
    src = _read_rgb(spec.source)
    name = spec.family
    png = name in ("gb45438_png", "sd_parameters", "comfyui", "novelai") or name.startswith("watermark")
    pixels = src
    if spec.labelled and name.startswith("watermark"):
        pixels = embed_dwt_dct(src, SD_V1 if name == "watermark_sd_v1" else SDXL)
    data = (
        encode_image(pixels, "PNG")
        if png
        else encode_image(pixels, "JPEG", quality=int(rng.integers(85, 96)))
    )
    if spec.labelled:
        data = _label(name, data)
    return Case(spec, data, [], "none")


def _label(name: str, data: bytes) -> bytes:
    if name == "gb45438_xmp":
        return labels.add_gb45438_xmp(data)
    if name == "gb45438_xmp_attribute":
        return labels.add_gb45438_xmp(data, form="attribute")
    if name == "gb45438_png":
        return labels.add_gb45438_png_text(data)
    if name == "gb45438_exif":
        return labels.add_gb45438_exif_usercomment(data)
    if name == "iptc_dst":
        return labels.add_iptc_digital_source_type(data)
    if name == "sd_parameters":
        return labels.add_sd_parameters(data)
    if name == "comfyui":
        return labels.add_comfyui_workflow(data)
    if name == "novelai":
        return labels.add_novelai(data)
    if name.startswith("watermark"):
        return data  # the mark is in the pixels
    raise ValueError(f"unknown label {name!r}")


@dataclass(frozen=True)
class Plan:
    """How many cases of each class to build per source photo."""

    forged_per_photo: int = 2
    genuine_posts_per_pair: int = 4
    flat_reshoots_per_photo: int = 2
    unrelated_per_photo: int = 1
    reused_per_photo: int = 1
    provenance_photos: int = 12


def plan_cases(sources: list[SourcePhoto], split: Split, seed: int, plan: Plan) -> list[CaseSpec]:
    """The case list of one split (deterministic for a seed)."""
    mine = [s for s in sources if s.split == split]
    rng = np.random.default_rng([seed, 0 if split == "calibration" else 1])
    specs: list[CaseSpec] = []

    def nid(prefix: str) -> str:
        return f"{split[:3]}-{prefix}-{len(specs):05d}"

    def nseed() -> int:
        return int(rng.integers(1 << 31))

    for s in mine:
        donors = [d for d in mine if d.scene != s.scene]
        for family in FAMILIES:
            for k in range(plan.forged_per_photo):
                strength = STRENGTHS[(k + FAMILIES.index(family) + len(specs)) % len(STRENGTHS)]
                donor = str(donors[int(rng.integers(len(donors)))].path) if family == "splice" else None
                specs.append(
                    CaseSpec(
                        nid("forged"),
                        split,
                        "forged",
                        family,
                        str(s.path),
                        str(s.path),
                        nseed(),
                        strength=strength,
                        donor=donor,
                    )
                )
        for _ in range(plan.reused_per_photo):
            specs.append(CaseSpec(nid("reused"), split, "reused", "none", str(s.path), str(s.path), nseed()))
        for _ in range(plan.flat_reshoots_per_photo):
            specs.append(
                CaseSpec(nid("genuine"), split, "genuine", "flat_reshoot", str(s.path), str(s.path), nseed())
            )
        for _ in range(plan.unrelated_per_photo):
            other = [d for d in mine if d.scene != s.scene]
            ref = other[int(rng.integers(len(other)))]
            specs.append(
                CaseSpec(
                    nid("unrelated"), split, "unrelated", "unrelated", str(s.path), str(ref.path), nseed()
                )
            )
    for a, b in pairs_of(mine):
        for claim, ref in ((b, a), (a, b)):
            for _ in range(plan.genuine_posts_per_pair):
                specs.append(
                    CaseSpec(
                        nid("genuine"), split, "genuine", "reshot", str(claim.path), str(ref.path), nseed()
                    )
                )
    chosen = [mine[int(i)] for i in rng.permutation(len(mine))[: plan.provenance_photos]]
    for s in chosen:
        for name in LABELS:
            for labelled in (True, False):
                specs.append(
                    CaseSpec(
                        nid("prov"), split, "provenance", name, str(s.path), None, nseed(), labelled=labelled
                    )
                )
    return specs

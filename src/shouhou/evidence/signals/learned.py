"""Hook for an optional learned detector: an ONNX model described by a model card, run on CPU."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import Field

from shouhou.errors import ConfigError, DependencyUnavailable, SignalError, SignalInputMissing
from shouhou.evidence.item import Evidence
from shouhou.evidence.model import Need, SignalOutput, Tier
from shouhou.evidence.model_card import (
    CARD_FILE,
    MODEL_FILE,
    InputSpec,
    ModelCard,
    OutputSpec,
    load_model_card,
)
from shouhou.evidence.signal import Signal, SignalParams

_ORT_TYPES: Final = {"float32": "tensor(float)", "float16": "tensor(float16)", "uint8": "tensor(uint8)"}
# A "probability" output a hair outside [0, 1] is float rounding; further out, the card is wrong.
_PROBABILITY_SLACK: Final = 1e-4


class LearnedParams(SignalParams):
    """The decision threshold comes from the model card; set `threshold` here to override it
    (e.g. after a benchmark fits it on claim photos). Provisional: no benchmark has been run."""

    threshold: float | None = Field(default=None, gt=0.0, lt=1.0)


class LearnedResult(SignalOutput):
    model_name: str
    model_version: str
    probability: float = Field(ge=0.0, le=1.0)
    threshold: float = Field(gt=0.0, lt=1.0)
    threshold_source: Literal["card", "params"]


def _dim_ok(actual: object, expected: int) -> bool:
    # onnxruntime reports symbolic dimensions as strings (or None); only fixed ones are checked.
    return not isinstance(actual, int) or actual == expected


def check_card_against_model(card: ModelCard, inputs: list[Any], outputs: list[Any], path: Path) -> None:
    """Refuse a card whose tensor names, shapes or types disagree with the loaded model (ConfigError)."""
    names = [i.name for i in inputs]
    if card.input.name not in names:
        raise ConfigError(f"{path}: the model card names input {card.input.name!r} but the model's "
                          f"inputs are {names}")
    if len(inputs) != 1:
        raise ConfigError(f"{path}: the model has {len(inputs)} inputs {names}; the learned signal "
                          "feeds one image")
    node = inputs[0]
    if node.type != _ORT_TYPES[card.input.dtype]:
        raise ConfigError(f"{path}: the card says dtype {card.input.dtype} but input {node.name!r} "
                          f"is {node.type}")
    spec = card.input
    expected = (1, 3, spec.height, spec.width) if spec.layout == "NCHW" else (1, spec.height, spec.width, 3)
    shape = list(node.shape or [])
    if len(shape) != 4 or not all(_dim_ok(a, e) for a, e in zip(shape, expected, strict=True)):
        raise ConfigError(f"{path}: the card describes input {node.name!r} as {spec.layout} {list(expected)} "
                          f"but the model declares shape {shape}")
    out_names = [o.name for o in outputs]
    if card.output.name not in out_names:
        raise ConfigError(f"{path}: the model card names output {card.output.name!r} but the model's "
                          f"outputs are {out_names}")
    out_shape = list(next(o for o in outputs if o.name == card.output.name).shape or [])
    per_item = out_shape[1:]
    if per_item and all(isinstance(d, int) for d in per_item):
        size = math.prod(per_item)
        if card.output.positive_class >= size:
            raise ConfigError(f"{path}: positive_class {card.output.positive_class} is out of range for "
                              f"output {card.output.name!r} of shape {out_shape}")


def _resize(rgb: npt.NDArray[np.uint8], w: int, h: int) -> npt.NDArray[np.uint8]:
    shrinking = w < rgb.shape[1] or h < rgb.shape[0]
    out = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return np.asarray(out, dtype=np.uint8)


def prepare_input(rgb: npt.NDArray[np.uint8], spec: InputSpec) -> npt.NDArray[Any]:
    """The model's input tensor (batch of one) for an RGB uint8 photo, as the card describes it."""
    h0, w0 = rgb.shape[:2]
    W, H = spec.width, spec.height
    if spec.resize == "squash":
        img = _resize(rgb, W, H).astype(np.float32)
    elif spec.resize == "center-crop":
        s = max(W / w0, H / h0)
        rw, rh = max(W, math.ceil(w0 * s)), max(H, math.ceil(h0 * s))
        x0, y0 = (rw - W) // 2, (rh - H) // 2
        img = _resize(rgb, rw, rh)[y0 : y0 + H, x0 : x0 + W].astype(np.float32)
    else:
        s = min(W / w0, H / h0)
        rw, rh = max(1, min(W, round(w0 * s))), max(1, min(H, round(h0 * s)))
        x0, y0 = (W - rw) // 2, (H - rh) // 2
        img = np.full((H, W, 3), spec.pad_value, dtype=np.float32)
        img[y0 : y0 + rh, x0 : x0 + rw] = _resize(rgb, rw, rh)
    if spec.channel_order == "BGR":
        img = img[..., ::-1]
    mean, std = np.asarray(spec.mean, np.float32), np.asarray(spec.std, np.float32)
    x = (img * np.float32(spec.scale) - mean) / std
    if spec.layout == "NCHW":
        x = x.transpose(2, 0, 1)
    if spec.dtype == "uint8":
        return np.ascontiguousarray(np.clip(np.rint(x), 0, 255).astype(np.uint8)[None])
    return np.ascontiguousarray(x.astype(np.float16 if spec.dtype == "float16" else np.float32)[None])


def to_probability(raw: npt.NDArray[Any], spec: OutputSpec) -> float:
    """Read the positive class's probability from the model's output for one image."""
    values = np.asarray(raw, dtype=np.float64).reshape(-1)
    c = spec.positive_class
    if c >= values.size:
        raise ConfigError(f"positive_class {c} is out of range for output {spec.name!r} "
                          f"with {values.size} values")
    if not np.isfinite(values).all():
        raise SignalError(f"the model's output {spec.name!r} is not finite")
    if spec.kind == "sigmoid-logit":
        z = float(values[c])
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    if spec.kind == "softmax":
        e = np.exp(values - values.max())
        return float(e[c] / e.sum())
    p = float(values[c])
    if not -_PROBABILITY_SLACK <= p <= 1.0 + _PROBABILITY_SLACK:
        raise ConfigError(f"the card says output {spec.name!r} is a probability but the model gave {p:.4g}")
    return min(1.0, max(0.0, p))


@dataclass(frozen=True)
class _Loaded:
    card: ModelCard
    session: Any  # onnxruntime.InferenceSession; untyped so the optional extra stays optional


class LearnedSignal(Signal[LearnedParams, LearnedResult]):
    """Runs an optional learned AI-image / forgery detector (ONNX, CPU) described by its model card.

    It cannot tell why a photo scored high and marks no region; it knows only what its training
    data (named in the card) showed it, so new generators, recompression, resizing, screenshots and
    re-shot screens move its score unpredictably, and adversarial noise can push it either way. Its
    threshold is the card's (or a Params override) and is provisional: not calibrated on claim
    photos. For these reasons a flag is severity "medium" at most: a learned score alone never
    makes a high-risk verdict; it corroborates the explainable signals (watermark, provenance,
    reference match, reuse). Skipped when no model is configured or onnxruntime (the `ml` extra)
    is not installed; nothing is ever downloaded.
    """

    name: ClassVar[str] = "learned"
    version: ClassVar[str] = "1"
    needs: ClassVar[frozenset[Need]] = frozenset({Need.PIXELS, Need.MODEL})
    tier: ClassVar[Tier] = Tier.FULL
    params_model: ClassVar[type[SignalParams]] = LearnedParams
    output_model: ClassVar[type[SignalOutput]] = LearnedResult

    _loaded: _Loaded | None = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def _model_or_raise(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        folder = self.settings.learned_model_dir
        if folder is None:
            raise SignalInputMissing("no learned model configured")
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise DependencyUnavailable("onnxruntime is not installed (install shouhou[ml])") from exc
        with self._lock:
            if self._loaded is not None:
                return self._loaded
            model_path = folder / MODEL_FILE
            if not model_path.is_file():
                raise DependencyUnavailable(f"{model_path}: model file not found")
            card = load_model_card(folder)
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.log_severity_level = 3  # errors only: the library must not chat on stderr
            try:
                session = ort.InferenceSession(str(model_path), sess_options=options,
                                               providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
                raise ConfigError(f"{model_path}: onnxruntime cannot load the model: {exc}") from exc
            check_card_against_model(card, session.get_inputs(), session.get_outputs(), folder / CARD_FILE)
            self._loaded = _Loaded(card=card, session=session)
            return self._loaded

    def run(self, item: Evidence, params: LearnedParams) -> LearnedResult:
        loaded = self._model_or_raise()
        card = loaded.card
        tensor = prepare_input(item.image.pixels, card.input)
        try:
            (raw,) = loaded.session.run([card.output.name], {card.input.name: tensor})
        except Exception as exc:  # onnxruntime's runtime errors carry no common base class
            raise SignalError(f"model {card.name} {card.version} failed on this photo: {exc}") from exc
        p = to_probability(raw, card.output)
        threshold = params.threshold if params.threshold is not None else card.output.threshold
        source: Literal["card", "params"] = "params" if params.threshold is not None else "card"
        flagged = p >= threshold
        verb = "≥" if flagged else "<"
        summary = (f"learned model {card.name} {card.version} ({card.task}) scores {p:.2f} {verb} threshold "
                   f"{threshold:.2f}" + (": a learned score, not proof on its own" if flagged else ""))
        return LearnedResult(
            flagged=flagged, severity="medium" if flagged else "info", score=round(p, 6), summary=summary,
            model_name=card.name, model_version=card.version, probability=round(p, 6), threshold=threshold,
            threshold_source=source,
        )

"""The model card (`model-card.toml` next to `model.onnx`): what a learned detector expects and returns."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shouhou.errors import ConfigError, DependencyUnavailable

CARD_FILE: Final = "model-card.toml"
MODEL_FILE: Final = "model.onnx"


class InputSpec(BaseModel):
    """How to turn the claim photo (RGB uint8) into the model's input tensor.

    Pixel values are first multiplied by `scale`, then normalised per channel (in `channel_order`)
    as (value − mean) / std; `mean` and `std` are in the scaled units.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    layout: Literal["NCHW", "NHWC"] = "NCHW"
    width: int = Field(gt=0, le=4096)
    height: int = Field(gt=0, le=4096)
    # squash: resize ignoring aspect; center-crop: fill then crop the middle; letterbox: fit then pad.
    resize: Literal["squash", "center-crop", "letterbox"] = "squash"
    pad_value: float = Field(default=0.0, ge=0, le=255)  # letterbox padding, in 0–255 pixel units
    channel_order: Literal["RGB", "BGR"] = "RGB"
    scale: float = Field(default=1.0 / 255.0, gt=0)
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    dtype: Literal["float32", "float16", "uint8"] = "float32"

    @model_validator(mode="after")
    def _std_positive(self) -> InputSpec:
        if any(s <= 0 for s in self.std):
            raise ValueError("std values must be positive")
        return self


class OutputSpec(BaseModel):
    """Which output to read and how it becomes the probability that the photo is AI-made or forged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    # sigmoid-logit: a raw logit per class; softmax: logits over classes; probability: already in [0, 1].
    kind: Literal["sigmoid-logit", "softmax", "probability"]
    positive_class: int = Field(default=0, ge=0)
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)


class ModelCard(BaseModel):
    """One learned detector's card; every field the engine relies on is declared, nothing is guessed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    task: str = Field(min_length=1)  # what "positive" means, in words
    input: InputSpec
    output: OutputSpec
    training_data: str = Field(min_length=1)
    licence: str = Field(min_length=1)


def load_model_card(folder: Path) -> ModelCard:
    """Read and validate `folder/model-card.toml`; raises DependencyUnavailable or ConfigError."""
    path = folder / CARD_FILE
    if not path.is_file():
        raise DependencyUnavailable(f"{path}: model card not found (the learned model folder needs "
                                    f"{MODEL_FILE} and {CARD_FILE})")
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the model card: {exc}") from exc
    try:
        return ModelCard.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: invalid model card: {problems}") from exc

"""Learned-detector hook: a tiny ONNX "redness" model built here drives the card, preprocessing and errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from shouhou.config import Settings
from shouhou.errors import ConfigError, DependencyUnavailable, SignalInputMissing
from shouhou.evidence.image import encode_image, load_image
from shouhou.evidence.item import Evidence
from shouhou.evidence.model_card import InputSpec, ModelCard, load_model_card
from shouhou.evidence.pipeline import Screener
from shouhou.evidence.signals.learned import LearnedParams, LearnedResult, LearnedSignal, prepare_input
from tests.evidence.signals.contract import SignalContract

K = 8.0  # logit gain: a fully red 0..1-scaled input gives sigmoid(8)
RED = (220, 25, 25)
GREEN = (25, 220, 25)
BLUE = (25, 25, 220)


def write_model(folder: Path, *, side: int = 32) -> None:
    """sigmoid(K·(mean(channel 0) − mean(channel 1))) over a 1×3×side×side float input.

    Outputs: "logit" [1,1], "prob" [1,1] and "classes" [1,2] = (0, logit), so each output kind of the
    card reads the same probability.
    """
    nodes = [
        helper.make_node("ReduceMean", ["pixels"], ["means"], axes=[2, 3], keepdims=0),
        helper.make_node("Gather", ["means", "i0"], ["c0"], axis=1),
        helper.make_node("Gather", ["means", "i1"], ["c1"], axis=1),
        helper.make_node("Sub", ["c0", "c1"], ["diff"]),
        helper.make_node("Mul", ["diff", "k"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["prob"]),
        helper.make_node("Mul", ["logit", "zero"], ["nil"]),
        helper.make_node("Concat", ["nil", "logit"], ["classes"], axis=1),
    ]
    inits = [
        helper.make_tensor("i0", TensorProto.INT64, [1], [0]),
        helper.make_tensor("i1", TensorProto.INT64, [1], [1]),
        helper.make_tensor("k", TensorProto.FLOAT, [], [K]),
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
    ]
    graph = helper.make_graph(
        nodes, "redness",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, [1, 1]),
         helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 1]),
         helper.make_tensor_value_info("classes", TensorProto.FLOAT, [1, 2])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))


CARD = """
name = "redness"
version = "0.1"
task = "test model: is the picture red rather than green"
training_data = "none: a hand-built graph"
licence = "Apache-2.0"

[input]
name = "{input_name}"
layout = "NCHW"
width = {side}
height = {side}
resize = "{resize}"
channel_order = "{order}"
scale = 0.00392156862745098

[output]
name = "{output}"
kind = "{kind}"
positive_class = {positive}
threshold = {threshold}
"""


def write_card(folder: Path, *, input_name: str = "pixels", side: int = 32, resize: str = "squash",
               order: str = "RGB", output: str = "prob", kind: str = "probability", positive: int = 0,
               threshold: float = 0.6) -> None:
    (folder / "model-card.toml").write_text(CARD.format(
        input_name=input_name, side=side, resize=resize, order=order, output=output, kind=kind,
        positive=positive, threshold=threshold), "utf-8")


def model_dir(tmp: Path, **card: Any) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    write_model(tmp)
    write_card(tmp, **card)
    return tmp


def solid(colour: tuple[int, int, int], h: int = 240, w: int = 320) -> np.ndarray:
    rng = np.random.default_rng(7)
    noise = rng.integers(-10, 11, (h, w, 3))
    return np.clip(np.asarray(colour)[None, None, :] + noise, 0, 255).astype(np.uint8)


def item(rgb: np.ndarray) -> Evidence:
    return Evidence(image=load_image(encode_image(rgb, "PNG"), name="claim.png"))


def run(folder: Path, rgb: np.ndarray, params: LearnedParams | None = None) -> LearnedResult:
    return LearnedSignal(Settings(learned_model_dir=folder)).run(item(rgb), params or LearnedParams())


@pytest.fixture(scope="session")
def shared_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model_dir(tmp_path_factory.mktemp("learned-model"))


class TestLearnedContract(SignalContract):
    signal_cls = LearnedSignal

    @pytest.fixture(autouse=True)
    def _model(self, shared_model: Path) -> None:
        self.settings = Settings(learned_model_dir=shared_model)

    def make_signal(self) -> LearnedSignal:
        # The default builds the signal with default settings (no model); this one points at the test model.
        return LearnedSignal(self.settings)

    def flagged_example(self) -> Evidence:
        return item(solid(RED))

    def clean_example(self) -> Evidence:
        return item(solid(GREEN))


def test_red_is_flagged_green_is_not(shared_model: Path) -> None:
    red, green = run(shared_model, solid(RED)), run(shared_model, solid(GREEN))
    assert red.flagged
    assert red.severity == "medium"
    assert red.probability > 0.99
    assert not green.flagged
    assert green.severity == "info"
    assert green.probability < 0.01
    assert red.model_name == "redness"
    assert red.model_version == "0.1"
    assert "redness" in red.summary
    assert red.threshold == 0.6
    assert red.threshold_source == "card"
    expected = 1 / (1 + np.exp(-K * ((RED[0] - RED[1]) / 255)))
    assert red.probability == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(("output", "kind", "positive"), [
    ("prob", "probability", 0), ("logit", "sigmoid-logit", 0), ("classes", "softmax", 1)])
def test_every_output_kind_reads_the_same_probability(tmp_path: Path, output: str, kind: str,
                                                      positive: int) -> None:
    folder = model_dir(tmp_path, output=output, kind=kind, positive=positive)
    rgb = solid((140, 100, 60))
    expected = 1 / (1 + np.exp(-K * 40 / 255))
    assert run(folder, rgb).probability == pytest.approx(expected, abs=0.01)


def test_softmax_negative_class_flips_the_probability(tmp_path: Path) -> None:
    folder = model_dir(tmp_path, output="classes", kind="softmax", positive=0)
    assert run(folder, solid(RED)).probability < 0.01


def test_bgr_channel_order_flips_the_answer(tmp_path: Path) -> None:
    rgb_dir = model_dir(tmp_path / "rgb", order="RGB")
    bgr_dir = model_dir(tmp_path / "bgr", order="BGR")
    assert run(rgb_dir, solid(RED)).flagged
    assert not run(bgr_dir, solid(RED)).flagged
    assert run(bgr_dir, solid(BLUE)).flagged
    assert not run(rgb_dir, solid(BLUE)).flagged


def test_resize_policy_is_honoured(tmp_path: Path) -> None:
    # A wide picture: green | red | green. Only a centre crop sees mostly red.
    rgb = np.concatenate([solid(GREEN, 200, 200), solid(RED, 200, 200), solid(GREEN, 200, 200)], axis=1)
    assert run(model_dir(tmp_path / "crop", resize="center-crop"), rgb).flagged
    assert not run(model_dir(tmp_path / "squash", resize="squash"), rgb).flagged
    assert not run(model_dir(tmp_path / "box", resize="letterbox"), rgb).flagged


def test_prepare_input_letterbox_pads_and_normalises() -> None:
    spec = InputSpec(name="x", width=32, height=32, resize="letterbox", pad_value=255, mean=(0.5, 0.5, 0.5),
                     std=(0.5, 0.5, 0.5))
    x = prepare_input(solid(RED, 100, 200), spec)
    assert x.shape == (1, 3, 32, 32)
    assert x.dtype == np.float32
    assert np.allclose(x[0, :, 0, :], 1.0)  # padded rows: (255/255 − 0.5) / 0.5
    assert x[0, 0, 16, 16] > 0.5
    assert x[0, 1, 16, 16] < -0.5
    nhwc = prepare_input(solid(RED, 100, 200), spec.model_copy(update={"layout": "NHWC", "dtype": "uint8",
                                                                      "scale": 1.0, "mean": (0, 0, 0),
                                                                      "std": (1, 1, 1)}))
    assert nhwc.shape == (1, 32, 32, 3)
    assert nhwc.dtype == np.uint8


def test_params_threshold_overrides_the_card(shared_model: Path) -> None:
    rgb = solid((140, 100, 60))  # p ≈ 0.78
    assert run(shared_model, rgb).flagged
    out = run(shared_model, rgb, LearnedParams(threshold=0.9))
    assert not out.flagged
    assert out.threshold == 0.9
    assert out.threshold_source == "params"


def test_card_naming_a_missing_input_is_refused(tmp_path: Path) -> None:
    folder = model_dir(tmp_path, input_name="image")
    with pytest.raises(ConfigError, match=r"names input 'image' but the model's inputs are \['pixels'\]"):
        run(folder, solid(RED))


def test_card_with_wrong_size_or_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"NCHW \[1, 3, 64, 64\].*\[1, 3, 32, 32\]"):
        run(model_dir(tmp_path / "size", side=64), solid(RED))
    with pytest.raises(ConfigError, match="names output 'score'"):
        run(model_dir(tmp_path / "out", output="score"), solid(RED))
    with pytest.raises(ConfigError, match="positive_class 2 is out of range"):
        run(model_dir(tmp_path / "cls", output="classes", kind="softmax", positive=2), solid(RED))


def test_invalid_card_is_refused_with_the_field_named(tmp_path: Path) -> None:
    folder = model_dir(tmp_path, threshold=1.5)
    with pytest.raises(ConfigError, match=r"output\.threshold"):
        load_model_card(folder)
    (folder / "model-card.toml").write_text("name = [", "utf-8")
    with pytest.raises(ConfigError, match="cannot read the model card"):
        load_model_card(folder)


def test_missing_files_make_the_dependency_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DependencyUnavailable, match=r"model\.onnx"):
        run(tmp_path, solid(RED))
    write_model(tmp_path)
    with pytest.raises(DependencyUnavailable, match="model card not found"):
        run(tmp_path, solid(RED))


def test_corrupt_model_file_is_a_config_error(tmp_path: Path) -> None:
    folder = model_dir(tmp_path)
    (folder / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="cannot load the model"):
        run(folder, solid(RED))


def test_no_model_dir_raises_input_missing_and_the_pipeline_skips() -> None:
    settings = Settings(learned_model_dir=None)
    with pytest.raises(SignalInputMissing, match="no learned model configured"):
        LearnedSignal(settings).run(item(solid(RED)), LearnedParams())
    screening = Screener(settings, signals=[LearnedSignal]).screen(item(solid(RED)))
    (finding,) = screening.findings
    assert finding.status == "skipped"
    assert "no learned model configured" in (finding.error or "")
    assert screening.risk == "none"


def test_missing_onnxruntime_is_dependency_unavailable(shared_model: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` raise ImportError
    with pytest.raises(DependencyUnavailable, match=r"shouhou\[ml\]"):
        run(shared_model, solid(RED))


def test_session_is_loaded_once_per_instance(shared_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    made: list[object] = []
    real = onnxruntime.InferenceSession

    def counting(*args: Any, **kwargs: Any) -> Any:
        assert kwargs["providers"] == ["CPUExecutionProvider"]
        made.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting)
    signal = LearnedSignal(Settings(learned_model_dir=shared_model))
    outs = [signal.run(item(solid(c)), LearnedParams()) for c in (RED, GREEN, RED)]
    assert len(made) == 1
    assert outs[0] == outs[2]
    assert LearnedResult.model_validate_json(outs[0].model_dump_json()) == outs[0]


def test_model_card_round_trips(shared_model: Path) -> None:
    card = load_model_card(shared_model)
    assert ModelCard.model_validate_json(card.model_dump_json()) == card
    assert card.input.resize == "squash"
    assert card.output.kind == "probability"

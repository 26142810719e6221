"""The contract every signal passes: subclass `SignalContract` in the signal's test module."""

from __future__ import annotations

from typing import Any, ClassVar

from shouhou.evidence.item import Evidence
from shouhou.evidence.model import Need, SignalOutput, Tier
from shouhou.evidence.registry import all_signals
from shouhou.evidence.signal import Signal, SignalParams
from shouhou.evidence.thresholds import load_thresholds


class SignalContract:
    """Declares the examples; the shared tests check declaration, schema, determinism and behaviour."""

    signal_cls: ClassVar[type[Signal[Any, Any]]]

    def flagged_example(self) -> Evidence:
        """An item this signal must flag."""
        raise NotImplementedError

    def clean_example(self) -> Evidence:
        """The same kind of item without the trait; the signal must not flag it."""
        raise NotImplementedError

    def make_signal(self) -> Signal[Any, Any]:
        """The signal under test; override to pass settings (e.g. a model folder)."""
        return self.signal_cls()

    def _run(self, item: Evidence) -> SignalOutput:
        signal = self.make_signal()
        params = load_thresholds().params_for(signal)
        out: SignalOutput = signal.run(item, params)
        return out

    def test_declaration(self) -> None:
        cls = self.signal_cls
        assert cls.name and cls.name == cls.name.lower() and " " not in cls.name
        assert isinstance(cls.version, str) and cls.version
        assert cls.needs and all(isinstance(n, Need) for n in cls.needs)
        assert isinstance(cls.tier, Tier)
        assert issubclass(cls.params_model, SignalParams)
        assert issubclass(cls.output_model, SignalOutput)
        assert cls.__doc__ and "cannot" in cls.__doc__.lower(), (
            "docstring must say what the signal cannot tell"
        )

    def test_registered(self) -> None:
        assert all_signals(include_plugins=False)[self.signal_cls.name] is self.signal_cls

    def test_default_params_validate(self) -> None:
        params = load_thresholds().params_for(self.signal_cls)
        assert isinstance(params, self.signal_cls.params_model)
        assert type(params).model_validate_json(params.model_dump_json()) == params

    def test_schema_round_trip_and_determinism(self) -> None:
        for make in (self.flagged_example, self.clean_example):
            first, second = self._run(make()), self._run(make())
            assert isinstance(first, self.signal_cls.output_model)
            assert self.signal_cls.output_model.model_validate_json(first.model_dump_json()) == first
            assert first == second

    def test_flags_the_flagged_example(self) -> None:
        out = self._run(self.flagged_example())
        assert out.flagged, out.summary

    def test_does_not_flag_the_clean_example(self) -> None:
        out = self._run(self.clean_example())
        assert not out.flagged, out.summary

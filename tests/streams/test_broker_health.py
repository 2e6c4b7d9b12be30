"""The broker's health answer names the real cause when the process dies mid-probe."""

from __future__ import annotations

import pytest

import streams.broker as broker_mod
from streams.broker import EmbeddedBroker


def test_a_broker_killed_while_the_probe_waits_is_reported_as_exited(
        monkeypatch: pytest.MonkeyPatch) -> None:
    broker = EmbeddedBroker().start()
    try:
        assert broker.health(2.0) is None
        proc = broker.process
        assert proc is not None

        def killed_during_probe(host: str, port: int, timeout: float) -> bool:
            # The race CI met: alive when polled, SIGKILLed before the probe's answer.
            proc.kill()
            proc.wait(10)
            return False

        monkeypatch.setattr(broker_mod, "probe", killed_during_probe)
        assert broker.health(1.0) == "process exited with -9"
    finally:
        broker.stop()

"""`ioc up` refuses a UI port another program listens on, before starting anything."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ioc.settings import load_settings
from streams.supervisor import Supervisor, port_is_free


def test_busy_ui_port_stops_ioc_up_with_a_clear_message(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not port_is_free(port)
        monkeypatch.setenv("IOC_VAR_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("IOC_UI_PORT", str(port))
        sup = Supervisor(load_settings(), simulators=False, ui=True)
        with pytest.raises(SystemExit, match=f"port {port} is in use"):
            sup.start()
        assert sup.broker is None and not (tmp_path / "var").exists()  # nothing started
    assert port_is_free(port)

"""docker-compose.yml cannot run here (no Docker engine); check what can be checked: every
service's command exists in the `ioc` CLI and every IOC_* variable is one the settings read."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from connectors.registry import CONNECTORS
from ioc.cli.main import build_parser
from ioc.settings import ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
OURS = {n: s for n, s in COMPOSE["services"].items() if s.get("image", "").startswith("ioc")}


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_compose_has_the_product_services():
    assert {"kafka", "postgres", "ui", "aggregate"} <= set(COMPOSE["services"])
    assert any(n.startswith("connect-") for n in OURS)
    kafka_env = COMPOSE["services"]["kafka"]["environment"]
    assert "controller" in kafka_env["KAFKA_PROCESS_ROLES"]  # KRaft, no ZooKeeper
    assert COMPOSE["services"]["kafka"]["volumes"] and COMPOSE["services"]["postgres"]["volumes"]


def test_every_service_command_exists_in_the_cli():
    subs = _subcommands()
    for name, svc in OURS.items():
        cmd = svc["command"]
        assert cmd[0] in subs, f"{name}: `ioc {cmd[0]}` is not a CLI command"
        subs[cmd[0]].parse_args(cmd[1:])  # exits (fails the test) on unknown arguments
        if cmd[0] == "connect":
            assert cmd[1] in CONNECTORS, f"{name}: unknown connector {cmd[1]}"


def test_every_environment_name_is_read_by_settings():
    for name, svc in OURS.items():
        for var in svc.get("environment", {}):
            assert var in ENV_VARS, f"{name}: {var} is not read by ioc.settings"


def test_dockerfile_entrypoint_is_the_cli():
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["ioc"]' in text
    for path in ("ioc", "streams", "connectors", "pages", "app.py"):
        assert f"COPY {path}" in text

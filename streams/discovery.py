"""Where is the broker? IOC_KAFKA_BOOTSTRAP, else the embedded one `ioc up` announced."""

from __future__ import annotations

import json
from pathlib import Path

from ioc.settings import Settings, make_private_dir, make_private_file


def broker_file(settings: Settings) -> Path:
    return settings.var_dir / "broker.json"


def announce(settings: Settings, bootstrap: str, pid: int) -> None:
    path = broker_file(settings)
    make_private_dir(path.parent)
    make_private_file(path).write_text(json.dumps({"bootstrap": bootstrap, "pid": pid}))


def withdraw(settings: Settings) -> None:
    broker_file(settings).unlink(missing_ok=True)


def resolve_bootstrap(settings: Settings) -> str | None:
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    path = broker_file(settings)
    if path.exists():
        return str(json.loads(path.read_text())["bootstrap"])
    return None

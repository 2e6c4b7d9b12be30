"""The `ioc` command: one module per command group; the composition root, the only place in
`ioc/` that wires `streams/` and `connectors/` together."""

from ioc.cli.main import main

__all__ = ["main"]

"""The test suite mirrors the source tree: tests/ioc/<package>/, tests/streams/, tests/connectors/,
tests/pages/. Shared fixtures live in conftest.py files, shared helpers in helpers.py."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

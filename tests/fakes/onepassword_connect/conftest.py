"""Pytest fixtures: a fake 1Password Connect server with two vaults, served in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from connect_server import FakeConnect  # noqa: E402


@pytest.fixture()
def connect():
    server = FakeConnect(vaults=["keyway", "other"]).start()
    yield server
    server.stop()

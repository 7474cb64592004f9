"""Pytest fixtures: a fake Doppler API served in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import Controls  # noqa: E402
from server import FakeDoppler  # noqa: E402


@pytest.fixture()
def fake():
    server = FakeDoppler().start()
    yield server
    server.stop()


@pytest.fixture()
def controls(fake: FakeDoppler) -> Controls:
    return Controls(fake)

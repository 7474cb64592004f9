"""Pytest fixtures: a fake Secret Manager served in-process, and the official client pointed at it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import Controls  # noqa: E402
from server import FakeSecretManager  # noqa: E402


@pytest.fixture()
def fake(tmp_path: Path):
    server = FakeSecretManager(key_dir=tmp_path).start()
    yield server
    server.stop()


@pytest.fixture()
def controls(fake: FakeSecretManager) -> Controls:
    return Controls(fake)

"""Pytest fixtures: a fake Key Vault over HTTPS with a fresh test CA, served in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import Controls  # noqa: E402
from server import FakeKeyVault  # noqa: E402


@pytest.fixture()
def fake(tmp_path: Path):
    server = FakeKeyVault(cert_dir=tmp_path / "pki").start()
    yield server
    server.stop()


@pytest.fixture()
def controls(fake: FakeKeyVault) -> Controls:
    return Controls(fake)

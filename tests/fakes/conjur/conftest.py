"""Pytest fixtures: a fake Conjur over HTTPS with a fresh test CA, served in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from fakekit import Controls  # noqa: E402
from conjur_server import FakeConjur  # noqa: E402


@pytest.fixture()
def conjur(tmp_path: Path):
    server = FakeConjur(tmp_path / "pki", ldap_service="corp").start()
    yield server
    server.stop()


@pytest.fixture()
def conjur_controls(conjur: FakeConjur) -> Controls:
    return Controls(conjur)

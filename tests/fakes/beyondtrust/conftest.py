"""Pytest fixtures: a fake Password Safe over HTTPS with a fresh test CA, served in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from bt_server import FakePasswordSafe  # noqa: E402


@pytest.fixture()
def password_safe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    server = FakePasswordSafe(cert_dir=tmp_path / "pki").start()
    # `requests` prefers a CA bundle named in the environment over a session's own `verify`
    # whenever a call passes none, as the library's sign-in does: name the test CA there too.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_path))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    yield server
    server.stop()

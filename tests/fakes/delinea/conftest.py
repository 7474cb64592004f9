"""Pytest fixtures: a fake Secret Server over HTTPS with a fresh test CA, served in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # fakekit

from ss_server import FakeSecretServer  # noqa: E402


@pytest.fixture()
def secret_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    server = FakeSecretServer(cert_dir=tmp_path / "pki").start()
    # The SDK calls `requests` without `verify`: the CA bundle named in the environment is the one trusted.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_path))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    yield server
    server.stop()

"""Pytest fixtures: a fake Doppler API served in-process."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import FakeDoppler  # noqa: E402


class Controls:
    """Calls the fake's `/_fake/` test controls."""

    def __init__(self, fake: FakeDoppler) -> None:
        self.fake = fake

    def __call__(self, action: str, **body) -> dict:
        request = urllib.request.Request(
            f"{self.fake.url}/_fake/{action}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture()
def fake():
    server = FakeDoppler().start()
    yield server
    server.stop()


@pytest.fixture()
def controls(fake: FakeDoppler) -> Controls:
    return Controls(fake)

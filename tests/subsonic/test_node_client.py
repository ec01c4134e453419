"""The npm client ``subsonic-api`` (Node) against a live server: browse, search, star, a
playlist, stream and scrobble with an API key over POST; token auth with an app password.
The play is charged once and the ledger verifies.

Its dependency is pinned in ``node/package.json`` and ``node/package-lock.json`` and installed
with ``npm ci`` at test time. Without Node or the npm registry the test is skipped locally,
and fails in CI (``CI`` or ``ENCORE_TEST_REQUIRE_ALL`` set), where it must run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.resources import missing
from tests.streaming.streaming_helpers import audio_bytes
from tests.subsonic.test_clients import _charged, _listener, co_op  # noqa: F401 (the live server fixture)

pytestmark = pytest.mark.committing

NODE_DIR = Path(__file__).parent / "node"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"the Node Subsonic client must run in CI: {reason}")
    missing(reason)  # skipped locally, failed where ENCORE_TEST_REQUIRE_ALL is set


@pytest.fixture(scope="module")
def node_client():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are not installed")
    if not (NODE_DIR / "node_modules" / "subsonic-api").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            _unavailable(f"npm ci failed (registry unreachable?): {done.stderr[-500:]}")
    return node


def test_subsonic_api_from_npm(co_op, node_client):
    app, server, info = co_op
    user_id, email, key, password = _listener(app)
    config = {
        "url": server.url,
        "apiKey": key,
        "username": email,
        "password": password,
        "albumId": f"al-{info['release_id']}",
        "trackIds": [f"tr-{i}" for i in info["track_ids"]],
        "trackSize": len(audio_bytes(seed=1)),
    }
    done = subprocess.run(
        [node_client, "client.mjs", json.dumps(config)], cwd=NODE_DIR, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ok"
    count, plays, verified = _charged(app, user_id)
    assert count == 1 and len(plays) == 1 and verified

"""Jobs are never lost: real ``flask queue worker`` processes on a fresh database, a long
transcode, and the worker killed (-9) or stopped (SIGTERM) in the middle of it.

Each test is bounded: every wait has a deadline, and every process started here is ended
by its pid when the test ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests import media
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import bearer, make_artist, make_release, make_user, token_for
from tests.resources import fresh_database

ROOT = Path(__file__).resolve().parents[2]
LONG_SECONDS = 240  # a transcode that lasts a few seconds, long enough to be interrupted


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (children of each of its threads)."""
    out = ""
    for thread in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += " " + (thread / "children").read_text()
        except OSError:
            pass
    found = []
    for child in out.split():
        found.append(int(child))
        found.extend(_children(int(child)))
    return found


def _is_ffmpeg(pid: int) -> bool:
    try:
        return "ffmpeg" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Scene:
    """A fresh database with one long track uploaded and its job queued, and the means to
    start workers on it."""

    def __init__(self, url: str, tmp: Path):
        self.url, self.tmp = url, tmp
        self.media_dir = tmp / "media"
        self.work_dir = Path(f"{self.media_dir}-tmp")
        self.app = make_test_app(url, self.media_dir, QUEUE_IMMEDIATE=False)
        migrate_to_head(self.app)
        self.workers: list[subprocess.Popen] = []
        self.engine = create_engine(url)

    def upload_long_track(self) -> int:
        client = self.app.test_client()
        with self.app.app_context():
            user = make_user()
            release = make_release(artist=make_artist(manager=user))
            headers, release_id = bearer(token_for(user)), release.id
        path = media.make_audio(self.tmp / "long", "wav", seconds=LONG_SECONDS)
        with open(path, "rb") as handle:
            r = client.post(
                f"/api/v1/releases/{release_id}/tracks",
                data={"file": (handle, "long.wav")},
                headers=headers,
                content_type="multipart/form-data",
            )
        assert r.status_code == 202, r.json
        return r.json["tracks"][0]["id"]

    def start_worker(self, **config) -> subprocess.Popen:
        env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "ENCORE_DATABASE_URL": self.url,
            "ENCORE_STORAGE_URL": f"file://{self.media_dir}",
            "ENCORE_UPLOAD_TMP_DIR": str(self.work_dir),
            "ENCORE_SECRET_KEY": "test-secret-key",
            "ENCORE_QUEUE_LEASE_SECONDS": "2",
            "ENCORE_QUEUE_HEARTBEAT_SECONDS": "0.5",
            "ENCORE_QUEUE_WORKERS": "1",
        }
        env.update({f"ENCORE_{key}": str(value) for key, value in config.items()})
        flask = str(Path(sys.executable).with_name("flask"))
        proc = subprocess.Popen(
            [flask, "queue", "worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=open(self.tmp / f"worker-{len(self.workers)}.log", "wb"),  # noqa: SIM115 (open for the worker's life)
            stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        return proc

    def status(self, track_id: int) -> str:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT status FROM tracks WHERE id = :id"), {"id": track_id}).scalar()

    def ffmpeg_children(self, proc: subprocess.Popen) -> list[int]:
        return [pid for pid in _children(proc.pid) if _is_ffmpeg(pid)]

    def transcoding(self, proc: subprocess.Popen, track_id: int) -> list[int]:
        """Wait until ``proc`` runs the transcode (the pipeline's two ffmpeg at once)."""

        def running():
            assert proc.poll() is None, self.log(proc)
            pids = self.ffmpeg_children(proc)
            return pids if len(pids) >= 2 else None

        try:
            return _wait(running, 60, "the worker's transcode")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log(proc)}") from None

    def log(self, proc: subprocess.Popen) -> str:
        index = self.workers.index(proc)
        return (self.tmp / f"worker-{index}.log").read_text(errors="replace")[-4000:]

    def close(self):
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        self.engine.dispose()
        with self.app.app_context():
            from app.core.extensions import db

            db.engine.dispose()
        self.app.extensions["encore.queue"].storage.close()


@pytest.fixture
def scene(tmp_path):
    with fresh_database(tmp_path, "faults") as url:
        s = Scene(url, tmp_path)
        try:
            yield s
        finally:
            s.close()


def _work_folders(scene: Scene, pid: int) -> list[Path]:
    return list(scene.work_dir.glob(f"encore-process-{pid}-*"))


@pytest.mark.committing
def test_worker_killed_mid_transcode_leaves_the_job_to_the_next_worker(scene):
    track_id = scene.upload_long_track()
    first = scene.start_worker()
    ffmpeg = scene.transcoding(first, track_id)
    assert _work_folders(scene, first.pid)  # its work folder, with partial renditions

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # Its ffmpeg children die with it, not minutes later.
    _wait(lambda: not any(_alive(pid) for pid in ffmpeg), 5, "the orphaned ffmpeg to die")
    assert scene.status(track_id) == "processing"
    assert _work_folders(scene, first.pid)  # left behind by the killed worker...

    second = scene.start_worker()
    _wait(lambda: not _work_folders(scene, first.pid), 30, "the stale work folder's removal")  # ...cleaned at start
    _wait(lambda: scene.status(track_id) == "ready", 120, "the track to be processed again", interval=0.5)
    assert second.poll() is None, scene.log(second)
    with scene.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM durable_jobs")).scalar() == 0


@pytest.mark.committing
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_lets_the_running_job_finish(scene, stop):
    track_id = scene.upload_long_track()
    worker = scene.start_worker(QUEUE_SHUTDOWN_GRACE=120)
    ffmpeg = scene.transcoding(worker, track_id)

    worker.send_signal(stop)
    assert worker.wait(timeout=120) == 0, scene.log(worker)
    assert scene.status(track_id) == "ready", scene.log(worker)
    assert not any(_alive(pid) for pid in ffmpeg)
    with scene.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM durable_jobs")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM queue_workers")).scalar() == 0  # it said goodbye


@pytest.mark.committing
def test_sigterm_past_the_grace_leaves_the_job_to_the_next_worker(scene):
    track_id = scene.upload_long_track()
    worker = scene.start_worker(QUEUE_SHUTDOWN_GRACE=0.2)
    ffmpeg = scene.transcoding(worker, track_id)

    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    _wait(lambda: not any(_alive(pid) for pid in ffmpeg), 5, "the worker's ffmpeg to die")
    assert scene.status(track_id) == "processing"

    scene.start_worker()
    _wait(lambda: scene.status(track_id) == "ready", 120, "the track to be processed again", interval=0.5)

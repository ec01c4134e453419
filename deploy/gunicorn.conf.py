"""gunicorn settings for Encore (systemd: deploy/systemd/encore-web.service).

Reloads: ``kill -HUP <master>`` (``systemctl reload encore-web``) re-reads this file, starts
fresh workers and gracefully stops the old ones. With ``preload_app = False`` each new worker
imports the application itself, so a HUP after a code deploy serves the new code, and a
crashing import only fails the new workers, never the master. See docs/DEPLOY.md for the
stall a HUP still causes and the USR2/WINCH sequence that avoids it.
"""

import os

bind = os.environ.get("ENCORE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ENCORE_WEB_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("ENCORE_WEB_THREADS", "4"))
# Never preload: the master holds no app (no database pool, no open files to share wrongly
# across forks), and a reload loads new code in new workers.
preload_app = False
# A request may run this long before its worker is killed and replaced.
timeout = 60
# On SIGTERM or HUP, old workers get this long to finish their requests (systemd waits 40 s).
graceful_timeout = 30
keepalive = 5
# Behind nginx on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = "127.0.0.1"
# Recycle workers now and then (bounded memory), spread so they do not restart together.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"

"""The task queue (huey), shared by every kind of background work.

Storage follows the configuration: Redis when ``REDIS_URL`` is set, else the app's own
PostgreSQL database (huey's ``SqlStorage`` through peewee, on psycopg 3 like the app, in
tables named ``huey_*`` that the migrations leave alone); ``QUEUE_IMMEDIATE`` runs each task
inline as it is enqueued (tests). Workers run with ``flask queue worker``.

Delivery: huey deletes a message when a worker takes it (on every storage), so a worker
killed mid-task would lose it. Tasks declared ``durable=True`` (processing a track, a payout
run) are also rows in ``durable_jobs``, leased by their worker and swept back to the queue when
the lease expires (``app.core.jobs``): they are done at least once. Every task is idempotent.
Periodic tasks (governance housekeeping, rollups, payout retries) need no row: they come again
on their schedule and each run redoes whatever is left. The worker itself (heartbeat, sweeper,
graceful stop, stale work folders) is ``app.core.worker``.

Tasks are declared with ``@task(...)`` at import time but bound to a Huey instance per app in
``init_app``, so no configuration is read at import and every app (tests make several) gets
its own queue. Each task runs inside an app context and commits (or rolls back) its session.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import click
from flask import Flask, current_app, has_app_context
from huey import RedisHuey
from huey.contrib.sql_huey import SqlHuey, SqlStorage
from peewee import ModelIndex
from sqlalchemy import make_url

from app.core import jobs, metrics, observability
from app.core.extensions import db

log = logging.getLogger(__name__)


@dataclass
class TaskSpec:
    name: str
    func: Callable
    options: dict = field(default_factory=dict)
    schedule: Callable | None = None  # a huey crontab for periodic tasks
    durable: bool = False  # leased in durable_jobs, swept back when its worker dies


_SPECS: dict[str, TaskSpec] = {}


def task(name: str, *, durable: bool = False, **options):
    """Declare a background task; ``options`` go to ``huey.task`` (retries, retry_delay, ...).

    ``durable``: the job survives its worker's death (``app.core.jobs``); its arguments must
    be JSON values, and the requester should ``jobs.record`` it before committing.

    A task whose function takes ``retries_left`` is told how many retries remain, so it can
    give up cleanly (mark a track failed) on its last attempt instead of raising again.
    """

    def decorator(func):
        _SPECS[name] = TaskSpec(name, func, options, durable=durable)
        return func

    return decorator


def periodic(name: str, schedule: Callable, **options):
    """Declare a task the consumer runs on ``schedule`` (a ``huey.crontab``)."""

    def decorator(func):
        _SPECS[name] = TaskSpec(name, func, options, schedule)
        return func

    return decorator


def init_app(app: Flask) -> None:
    from app.core import domains

    domains.load_tasks()  # declares the tasks

    cfg = app.config
    immediate = cfg["QUEUE_IMMEDIATE"]
    if cfg["REDIS_URL"]:
        huey = RedisHuey("encore", url=cfg["REDIS_URL"], immediate=immediate)
    else:
        huey = SqlHuey(
            "encore", storage_class=PostgresStorage, database=_peewee_database(cfg["DATABASE_URL"]), immediate=immediate
        )
    huey.encore_tasks = {spec.name: _bind(huey, app, spec) for spec in _SPECS.values()}
    app.extensions["encore.queue"] = huey
    app.cli.add_command(queue_cli)


def _peewee_database(url: str):
    """A peewee database for the SQLAlchemy ``url`` (psycopg 3 both; a socket dir in ``host``)."""
    from peewee import PostgresqlDatabase

    parsed = make_url(url)
    params = {
        key: value
        for key, value in {
            "user": parsed.username,
            "password": parsed.password,
            "host": parsed.host or parsed.query.get("host"),
            "port": parsed.port or parsed.query.get("port"),
        }.items()
        if value
    }
    return PostgresqlDatabase(parsed.database, **params)


class PostgresStorage(SqlStorage):
    """huey's SQL storage in tables named ``huey_*``, created on first use (not at app start:
    creating an app must not need the database), once per process, under an advisory lock so
    workers starting together do not race on ``CREATE TABLE``."""

    TABLES: ClassVar[dict[str, str]] = {
        "KV": "huey_kv",
        "Schedule": "huey_schedule",
        "Task": "huey_task",
        "Counter": "huey_counter",
    }
    _LOCK_KEY = 0x6875657900  # "huey"

    def __init__(self, name="huey", database=None, **kwargs):
        self._tables_ready = False
        super().__init__(name, database=database, create_tables=False, **kwargs)

    def create_models(self):
        models = super().create_models()
        for model in models:
            model._meta.set_table_name(self.TABLES[model.__name__])
        # Indexes made before the rename name the old tables: make them again, with our prefix.
        _, schedule, task, _ = models
        schedule._meta.indexes = [
            ModelIndex(schedule, (schedule.queue, schedule.timestamp), name="huey_schedule_queue_timestamp")
        ]
        task._meta.indexes = [ModelIndex(task, (task.priority.desc(), task.id), name="huey_task_priority_id")]
        return models

    def ensure_tables(self) -> None:
        if self._tables_ready:
            return
        with self.database.connection_context(), self.database.atomic():
            self.database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (self._LOCK_KEY,))
            self.database.create_tables([self.KV, self.Schedule, self.Task, self.Counter], safe=True)
        self._tables_ready = True

    def check_conn(self):
        super().check_conn()
        self.ensure_tables()


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object`` filter (migrations/env.py): the queue's own tables
    (``huey_*``, created by the queue on first use) belong to no model and no migration."""
    return not (type_ == "table" and reflected and compare_to is None and name.startswith("huey_"))


def _bind(huey, app: Flask, spec: TaskSpec):
    wants_retries = "retries_left" in inspect.signature(spec.func).parameters

    def run(*args, task=None):
        # Inline (immediate) tasks run inside the request's app; worker threads use theirs.
        target = current_app._get_current_object() if has_app_context() else app
        kwargs = {"retries_left": task.retries if task is not None else 0} if wants_retries else {}
        job_id = getattr(task, "id", None)
        # Inline jobs keep the request's id on their lines; worker jobs are stamped with their own.
        inline = job_id is None or observability.request_id_var.get() is not None
        with contextlib.ExitStack() as stack:
            if not inline:
                stack.enter_context(observability.job_context(f"job-{job_id}"))
            fields = {"job": spec.name, "job_id": job_id}
            log.info("job %s started", spec.name, extra=fields)
            started = time.perf_counter()
            with target.app_context():
                durable = spec.durable and not target.config["QUEUE_IMMEDIATE"]
                if durable and not jobs.claim(spec.name, args):
                    log.info("job %s skipped: done already or running elsewhere", spec.name, extra=fields)
                    return None
                try:
                    result = spec.func(*args, **kwargs)
                    if durable:
                        jobs.finish(spec.name, args)
                    db.session.commit()
                except BaseException as exc:
                    db.session.rollback()
                    if durable:
                        try:
                            jobs.release(spec.name, args, give_up=not getattr(task, "retries", 0))
                        except Exception:
                            log.exception("job %s: its lease could not be released (it expires)", spec.name)
                    seconds = time.perf_counter() - started
                    metrics.record_job(spec.name, "failed", seconds)
                    log.warning(
                        "job %s failed after %.3f s: %s",
                        spec.name,
                        seconds,
                        type(exc).__name__,
                        extra={
                            **fields,
                            "duration_ms": round(seconds * 1000, 1),
                            "retries_left": getattr(task, "retries", None),
                        },
                        exc_info=True,
                    )
                    raise
            seconds = time.perf_counter() - started
            metrics.record_job(spec.name, "done", seconds)
            log.info(
                "job %s finished in %.3f s",
                spec.name,
                seconds,
                extra={**fields, "duration_ms": round(seconds * 1000, 1)},
            )
            return result

    run.__name__ = spec.name
    if spec.schedule is not None:
        return huey.periodic_task(spec.schedule, name=spec.name, context=True, **spec.options)(run)
    return huey.task(name=spec.name, context=True, **spec.options)(run)


def get_queue():
    """The current app's Huey instance."""
    return current_app.extensions["encore.queue"]


def enqueue(name: str, *args) -> None:
    """Queue task ``name`` with ``args`` (call after committing what the task will read).

    A durable task's message that cannot be sent (the queue unreachable) is logged, not
    raised: its row (``jobs.record``, or written here) brings it back with the next sweep.
    """
    huey = get_queue()
    if not _SPECS[name].durable or huey.immediate:
        huey.encore_tasks[name](*args)
        return
    jobs.ensure_recorded(name, args)
    try:
        send(name, args)
    except Exception as exc:
        log.warning(
            "job %s%s not queued now (%s: %s); the sweeper will queue it",
            name,
            list(args),
            type(exc).__name__,
            exc,
            extra={"job": name},
        )


def send(name: str, args) -> None:
    """Put a message for task ``name`` on the queue (no row written; the sweeper's way)."""
    get_queue().encore_tasks[name](*args)


queue_cli = click.Group("queue", help="The background task queue.")


@queue_cli.command("worker")
@click.option("--workers", type=int, default=None, help="worker threads (default QUEUE_WORKERS)")
def worker_command(workers: int | None):
    """Run a queue consumer until stopped (SIGTERM or Ctrl-C let running jobs finish)."""
    from app.core import worker

    huey = get_queue()
    if isinstance(huey.storage, PostgresStorage):
        huey.storage.ensure_tables()
    count = workers or current_app.config["QUEUE_WORKERS"]
    # Task logs (in development: each mail the console backend "sends") go to this console,
    # unless the deployment configured logging itself.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    worker.run(current_app._get_current_object(), huey, count, send)

"""The task queue (huey), shared by every kind of background work.

Storage follows the configuration: Redis when ``REDIS_URL`` is set, else a SQLite file in
the instance folder (no server needed); ``QUEUE_IMMEDIATE`` runs each task inline as it is
enqueued (tests). Workers run with ``flask queue worker``.

Tasks are declared with ``@task(...)`` at import time but bound to a Huey instance per app in
``init_app``, so no configuration is read at import and every app (tests make several) gets
its own queue. Each task runs inside an app context and commits (or rolls back) its session.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import click
from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey

from app.extensions import db

log = logging.getLogger(__name__)


@dataclass
class TaskSpec:
    name: str
    func: Callable
    options: dict = field(default_factory=dict)
    schedule: Callable | None = None  # a huey crontab for periodic tasks


_SPECS: dict[str, TaskSpec] = {}


def task(name: str, **options):
    """Declare a background task; ``options`` go to ``huey.task`` (retries, retry_delay, ...).

    A task whose function takes ``retries_left`` is told how many retries remain, so it can
    give up cleanly (mark a track failed) on its last attempt instead of raising again.
    """

    def decorator(func):
        _SPECS[name] = TaskSpec(name, func, options)
        return func

    return decorator


def periodic(name: str, schedule: Callable, **options):
    """Declare a task the consumer runs on ``schedule`` (a ``huey.crontab``)."""

    def decorator(func):
        _SPECS[name] = TaskSpec(name, func, options, schedule)
        return func

    return decorator


def init_app(app: Flask) -> None:
    importlib.import_module("app.tasks")  # declares the tasks

    cfg = app.config
    immediate = bool(cfg.get("QUEUE_IMMEDIATE"))
    if cfg.get("REDIS_URL"):
        huey = RedisHuey("encore", url=cfg["REDIS_URL"], immediate=immediate)
    else:
        path = cfg.get("QUEUE_SQLITE_PATH") or str(Path(app.instance_path) / "queue.db")
        huey = SqliteHuey("encore", filename=path, immediate=immediate)
    huey.encore_tasks = {spec.name: _bind(huey, app, spec) for spec in _SPECS.values()}
    app.extensions["encore.queue"] = huey
    app.cli.add_command(queue_cli)


def _bind(huey, app: Flask, spec: TaskSpec):
    wants_retries = "retries_left" in inspect.signature(spec.func).parameters

    def run(*args, task=None):
        # Inline (immediate) tasks run inside the request's app; worker threads use theirs.
        target = current_app._get_current_object() if has_app_context() else app
        kwargs = {"retries_left": task.retries if task is not None else 0} if wants_retries else {}
        with target.app_context():
            try:
                result = spec.func(*args, **kwargs)
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise

    run.__name__ = spec.name
    if spec.schedule is not None:
        return huey.periodic_task(spec.schedule, name=spec.name, context=True, **spec.options)(run)
    return huey.task(name=spec.name, context=True, **spec.options)(run)


def get_queue():
    """The current app's Huey instance."""
    return current_app.extensions["encore.queue"]


def enqueue(name: str, *args) -> None:
    """Queue task ``name`` with ``args`` (call after committing what the task will read)."""
    get_queue().encore_tasks[name](*args)


queue_cli = click.Group("queue", help="The background task queue.")


@queue_cli.command("worker")
@click.option("--workers", type=int, default=None, help="worker threads (default QUEUE_WORKERS)")
def worker_command(workers: int | None):
    """Run a queue consumer until interrupted (Ctrl-C or SIGTERM)."""
    huey = get_queue()
    count = workers or int(current_app.config.get("QUEUE_WORKERS") or 2)
    click.echo(f"Encore queue worker: {count} thread(s) on {type(huey.storage).__name__}")
    # Task logs (in development: each mail the console backend "sends") go to this console,
    # unless the deployment configured logging itself.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    huey.create_consumer(workers=count, worker_type="thread").run()

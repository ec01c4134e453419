"""Entry point of the task consumer: ``huey_consumer app.worker.huey``."""

from app import create_app

app = create_app()
huey = app.extensions["huey"]

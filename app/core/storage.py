"""The app's object store, opened once per process from ``STORAGE_URL`` and the ``S3_*`` keys."""

from __future__ import annotations

from flask import Flask, current_app

from app.core.deadlines import s3_timeouts
from audio.storage import open_store


def init_app(app: Flask) -> None:
    cfg = app.config
    app.extensions["encore.store"] = open_store(
        cfg["STORAGE_URL"],
        endpoint_url=cfg["S3_ENDPOINT_URL"],
        access_key_id=cfg["S3_ACCESS_KEY_ID"],
        secret_access_key=cfg["S3_SECRET_ACCESS_KEY"],
        region=cfg["S3_REGION"],
        addressing_style=cfg["S3_ADDRESSING_STYLE"],
        multipart_threshold=int(cfg["S3_MULTIPART_THRESHOLD_MB"] * 1024 * 1024),
        **s3_timeouts(cfg),
    )


def get_store():
    """The object store of the current app (``audio.storage.ObjectStore``)."""
    return current_app.extensions["encore.store"]

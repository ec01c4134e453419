"""The app's object store, opened once per process from ``STORAGE_URL``."""

from __future__ import annotations

from flask import Flask, current_app

from audio.storage import open_store


def init_app(app: Flask) -> None:
    app.extensions["encore.store"] = open_store(app.config["STORAGE_URL"])


def get_store():
    return current_app.extensions["encore.store"]

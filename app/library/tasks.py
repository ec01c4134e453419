"""Library tasks: tell followers (who asked for it) when an artist publishes a release.

A release becomes public when its first track is ready on or after its release date, which
happens in a processing task or simply when a date comes, so a periodic task looks for public
releases not yet announced (``library.services.announce_new_releases``: each release claimed
once, each mail with a dedupe key). The outbox is delivered by the mail housekeeping.
"""

from __future__ import annotations

from flask import current_app
from huey import crontab

from app.core.queue import periodic, task
from app.library import services as library


@task("library.announce_releases", retries=2, retry_delay=60)
def announce_releases() -> int:
    return library.announce_new_releases(current_app.config["BASE_URL"])


@periodic("library.announce_releases_periodic", crontab(minute="*/10"))
def announce_releases_periodic() -> int:
    return library.announce_new_releases(current_app.config["BASE_URL"])

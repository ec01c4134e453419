"""Object storage: where audio files, renditions and cover art live.

``open_store(url)`` picks the implementation from the URL: ``file:///path`` keeps objects as
files under a folder (the embedded default).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse


class StorageError(Exception):
    """The object store could not do what was asked (unreachable, misconfigured, ...)."""


class LocalFileStore:
    """Objects as files under ``root``; keys are relative paths."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def ping(self) -> None:
        """Raise ``StorageError`` unless the store can be written to."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create {self.root}: {exc}") from exc
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.root} is not writable")

    def describe(self) -> str:
        return f"local files in {self.root}"


def open_store(url: str, **options) -> LocalFileStore:
    """Open the object store that ``url`` names."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalFileStore(parsed.path)
    raise StorageError(f"unsupported storage URL {url!r} (use file:///path)")

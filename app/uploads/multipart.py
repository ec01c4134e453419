"""Receiving file uploads: the body is parsed as it streams in, each file spooled to a
temporary file on disk and hashed on the way, never held whole in memory.

Werkzeug's multipart parser does the parsing; we hand it a ``stream_factory`` that writes
every file part (small ones too) to our own hashing temporary file, and raise the request's
size limit to the upload limit for this request only.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from app.core.errors import PayloadTooLarge, ValidationFailed
from app.core.validation import check_form
from app.uploads.services.uploads import ReceivedFile, upload_limit_bytes

# Caps text fields, and also the parser's look-ahead buffer (it reads 64 kB at a time), so it
# must stay well above 64 kB; 500 kB is Werkzeug's own default.
MAX_FORM_FIELD_BYTES = 500 * 1024
MAX_FORM_PARTS = 200


class HashingTempFile:
    """A temporary file that hashes what is written to it (the parser's file container)."""

    def __init__(self, directory: str | None):
        fd, name = tempfile.mkstemp(prefix="encore-upload-", dir=directory)
        self.path = Path(name)
        self._file = os.fdopen(fd, "w+b")
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self._sha.update(data)
        self.size += len(data)
        return self._file.write(data)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def __getattr__(self, name):  # seek, read, tell, flush, close ... go to the file
        return getattr(self._file, name)

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


@contextmanager
def received_files(field: str = "file"):
    """Parse the multipart body; yield ``(form, [ReceivedFile])``; delete the temp files after.

    Over the upload limit -> ``PayloadTooLarge`` (413); not multipart -> 422.
    """
    limit = upload_limit_bytes()
    request.max_content_length = limit
    spooled: list[HashingTempFile] = []
    directory = current_app.config["UPLOAD_TMP_DIR"]

    def stream_factory(total_content_length, content_type, filename, content_length=None):
        container = HashingTempFile(directory)
        spooled.append(container)
        return container

    try:
        if request.mimetype != "multipart/form-data":
            raise ValidationFailed(
                "Send the files as multipart/form-data, in a field named 'file'.", code="not_multipart", field=field
            )
        parser = FormDataParser(
            stream_factory=stream_factory,
            max_form_memory_size=MAX_FORM_FIELD_BYTES,
            max_content_length=limit,
            max_form_parts=MAX_FORM_PARTS,
            silent=False,
        )
        try:
            _, form, files = parser.parse(
                request.stream, request.mimetype, request.content_length, request.mimetype_params
            )
        except RequestEntityTooLarge:
            raise PayloadTooLarge(
                f"The upload is larger than the limit of {current_app.config['MAX_UPLOAD_MB']} MB.", field=field
            ) from None
        except ValueError:
            raise ValidationFailed(
                "The upload was cut off or is not valid multipart/form-data.", code="bad_multipart", field=field
            ) from None
        check_form(form, files)  # the one input check (app/core/validation.py), on the fields read here
        received = []
        for storage in files.getlist(field):
            container = storage.stream
            if not isinstance(container, HashingTempFile):  # not produced by our factory
                continue
            container.flush()
            received.append(ReceivedFile(container.path, storage.filename or "", container.size, container.sha256))
        yield form, received
    finally:
        for container in spooled:
            container.discard()

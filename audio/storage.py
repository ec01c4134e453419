"""Object storage: where audio files, renditions and cover art live.

``open_store(url)`` picks the implementation from the URL:

- ``file:///path`` keeps objects as files under a folder (the embedded default);
- ``s3://bucket/prefix`` talks to any S3-compatible service through boto3 (AWS S3, MinIO,
  R2, ...), with the endpoint, keys, region and addressing style passed as options.

Both implement the same interface (``ObjectStore``). Keys are ``/``-separated relative paths
such as ``tracks/12/stream.mp3``. Failures raise ``StorageError``; the transient kind (the
service is unreachable or overloaded, worth retrying) raises ``StorageUnavailable``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote, urlparse

CHUNK = 1024 * 1024


class StorageError(Exception):
    """The object store could not do what was asked (misconfigured, refused, ...)."""


class StorageUnavailable(StorageError):
    """The object store is unreachable or overloaded right now; retrying later may work."""


class ObjectNotFound(StorageError):
    """There is no object under that key."""


class ObjectStore(Protocol):
    """What every store offers. ``end`` of a range is inclusive, as in HTTP."""

    def ping(self) -> None: ...
    def describe(self) -> str: ...
    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str | None = None) -> None: ...
    def put_stream(self, key: str, stream: BinaryIO, content_type: str | None = None) -> None: ...
    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None: ...
    def open(self, key: str) -> Iterator[bytes]: ...
    def get_range(self, key: str, start: int, end: int) -> bytes: ...
    def download(self, key: str, path: str | os.PathLike[str]) -> None: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def list_keys(self, prefix: str = "") -> list[str]: ...
    def presigned_get(
        self, key: str, expires: int = 300, download_name: str | None = None, content_type: str | None = None
    ) -> str | None: ...
    def local_path(self, key: str) -> Path | None: ...


def check_key(key: str) -> str:
    """Refuse keys that could escape the store's root or confuse S3 (``..``, absolute, empty)."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise StorageError(f"invalid object key {key!r}")
    return key


def content_disposition(download_name: str) -> str:
    """An ``attachment`` header value that survives non-ASCII names (RFC 6266 / 5987)."""
    ascii_name = download_name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"


class LocalFileStore:
    """Objects as files under ``root``. Writes land in a temporary file that is renamed into
    place, so a reader never sees half an object and a crash leaves no partial one."""

    def __init__(self, root: str | os.PathLike[str]):
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

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_stream(self, key: str, stream: BinaryIO, content_type: str | None = None) -> None:
        """Store what ``stream`` yields under ``key`` (replacing any object there)."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".put-")
            try:
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(stream, out, CHUNK)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:
            raise StorageError(f"cannot write {key}: {exc}") from exc

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str | None = None) -> None:
        """Store the file at ``path`` under ``key``."""
        with open(path, "rb") as stream:
            self.put_stream(key, stream, content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Store a small object held in memory (cover art, JSON)."""
        import io

        self.put_stream(key, io.BytesIO(data), content_type)

    def open(self, key: str) -> Iterator[bytes]:
        """Yield the object's bytes in chunks."""
        path = self._path(key)
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed by chunks() below, once read)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc}") from exc

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

        return chunks()

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` inclusive (clipped to the object's size)."""
        try:
            with open(self._path(key), "rb") as handle:
                handle.seek(start)
                return handle.read(max(0, end - start + 1))
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def download(self, key: str, path: str | os.PathLike[str]) -> None:
        """Copy the object to a local file."""
        try:
            shutil.copyfile(self._path(key), path)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error (as on S3)."""
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object whose key starts with ``prefix/``."""
        shutil.rmtree(self._path(prefix.rstrip("/")), ignore_errors=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (a folder-like prefix, or "" for all), sorted."""
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".put-")
        )

    def presigned_get(
        self, key: str, expires: int = 300, download_name: str | None = None, content_type: str | None = None
    ) -> str | None:
        """Local files have no URL of their own: the app serves them (see ``local_path``)."""
        return None

    def local_path(self, key: str) -> Path | None:
        """The file holding the object, for the app to serve with HTTP Range support."""
        path = self._path(key)
        return path if path.is_file() else None


class S3Store:
    """Objects in an S3 bucket under an optional key prefix.

    Large uploads go through boto3's managed transfer, which switches to a multipart upload
    above ``multipart_threshold`` bytes and streams the file part by part.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str | None = None,
        addressing_style: str = "auto",
        multipart_threshold: int = 16 * 1024 * 1024,
        connect_timeout: float = 5,
        read_timeout: float = 60,
        max_attempts: int = 3,
    ):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        config = Config(
            s3={"addressing_style": addressing_style},
            signature_version="s3v4",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
        )
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region or "us-east-1",
            config=config,
        )
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=max(multipart_threshold, 5 * 1024 * 1024),  # S3's minimum part size
            max_concurrency=4,
            use_threads=True,
        )

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3 bucket {self.bucket}{'/' + self.prefix if self.prefix else ''}{where}"

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise _translate(exc, what) from exc

    def ping(self) -> None:
        """Raise ``StorageError`` unless the bucket answers."""
        self._call(f"reach {self.describe()}", self.client.head_bucket, Bucket=self.bucket)

    def _extra(self, content_type: str | None) -> dict[str, str] | None:
        return {"ContentType": content_type} if content_type else None

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str | None = None) -> None:
        """Upload a local file; multipart above the threshold."""
        self._call(
            f"upload {key}",
            self.client.upload_file,
            str(path),
            self.bucket,
            self._key(key),
            ExtraArgs=self._extra(content_type),
            Config=self.transfer,
        )

    def put_stream(self, key: str, stream: BinaryIO, content_type: str | None = None) -> None:
        """Upload from a readable binary stream; multipart above the threshold."""
        self._call(
            f"upload {key}",
            self.client.upload_fileobj,
            stream,
            self.bucket,
            self._key(key),
            ExtraArgs=self._extra(content_type),
            Config=self.transfer,
        )

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Store a small object held in memory (cover art, JSON)."""
        kwargs = {"ContentType": content_type} if content_type else {}
        self._call(f"upload {key}", self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data, **kwargs)

    def open(self, key: str) -> Iterator[bytes]:
        """Yield the object's bytes in chunks, streamed from S3."""
        response = self._call(f"read {key}", self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        return response["Body"].iter_chunks(CHUNK)

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` inclusive, with an HTTP Range GET."""
        response = self._call(
            f"read {key}", self.client.get_object, Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end}"
        )
        return response["Body"].read()

    def download(self, key: str, path: str | os.PathLike[str]) -> None:
        """Copy the object to a local file (ranged, parallel GETs for big objects)."""
        self._call(
            f"download {key}", self.client.download_file, self.bucket, self._key(key), str(path), Config=self.transfer
        )

    def delete(self, key: str) -> None:
        self._call(f"delete {key}", self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object whose key starts with ``prefix/``."""
        keys = self.list_keys(prefix)
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            self._call(f"delete {prefix}", self.client.delete_objects, Bucket=self.bucket, Delete={"Objects": batch})

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            error = _translate(exc, f"read {key}")
            if isinstance(error, ObjectNotFound):
                return None
            raise error from exc

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise ObjectNotFound(key)
        return head["ContentLength"]

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (relative to the store's own prefix), sorted."""
        full = self._key(prefix.rstrip("/")) + "/" if prefix else (self.prefix + "/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        keys = []
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                keys += [item["Key"][strip:] for item in page.get("Contents", [])]
        except Exception as exc:
            raise _translate(exc, f"list {prefix}") from exc
        return sorted(keys)

    def presigned_get(
        self, key: str, expires: int = 300, download_name: str | None = None, content_type: str | None = None
    ) -> str | None:
        """A URL that lets anyone GET the object (with Range) for ``expires`` seconds."""
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if download_name:
            params["ResponseContentDisposition"] = content_disposition(download_name)
        if content_type:
            params["ResponseContentType"] = content_type
        return self._call(
            f"sign {key}", self.client.generate_presigned_url, "get_object", Params=params, ExpiresIn=expires
        )

    def local_path(self, key: str) -> Path | None:
        return None


def _translate(exc: Exception, what: str) -> StorageError:
    """Map botocore's exceptions onto ours: missing, transient, or plain failure."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in ("404", "NoSuchKey", "NotFound"):
            return ObjectNotFound(what)
        if status >= 500 or code in ("SlowDown", "RequestTimeout", "ServiceUnavailable", "InternalError"):
            return StorageUnavailable(f"cannot {what}: {code or status}")
        return StorageError(f"cannot {what}: {code} {exc.response.get('Error', {}).get('Message', '')}".strip())
    if isinstance(exc, (BotoConnectionError, ConnectionError, TimeoutError)):
        return StorageUnavailable(f"cannot {what}: the object store is unreachable ({exc})")
    if isinstance(exc, S3UploadFailedError):
        # boto3 wraps the transfer's cause in a message; unreachable endpoints show up there.
        text = str(exc)
        transient = any(w in text for w in ("Could not connect", "Connect timeout", "SlowDown", "503", "500"))
        return (StorageUnavailable if transient else StorageError)(f"cannot {what}: {text}")
    if isinstance(exc, BotoCoreError):
        return StorageError(f"cannot {what}: {exc}")
    if isinstance(exc, OSError):
        return StorageError(f"cannot {what}: {exc}")
    return StorageError(f"cannot {what}: {type(exc).__name__}: {exc}")


def open_store(url: str, **options: Any) -> LocalFileStore | S3Store:
    """Open the object store that ``url`` names (``file:///path`` or ``s3://bucket/prefix``).

    ``options`` go to ``S3Store`` (endpoint_url, access_key_id, secret_access_key, region,
    addressing_style, multipart_threshold); ``None`` values are ignored.
    """
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalFileStore(parsed.path)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise StorageError(f"storage URL {url!r} names no bucket (use s3://bucket/prefix)")
        return S3Store(parsed.netloc, parsed.path, **{k: v for k, v in options.items() if v is not None})
    raise StorageError(f"unsupported storage URL {url!r} (use file:///path or s3://bucket/prefix)")

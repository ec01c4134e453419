"""Both object stores behave alike; the S3 one is exercised over HTTP against moto's server and
against Ceph's RADOS Gateway."""

import io
import urllib.request

import pytest

from audio.storage import LocalFileStore, ObjectNotFound, S3Store, StorageError, StorageUnavailable, open_store
from tests.conftest import S3_SERVER_KINDS, S3_TEST_OPTIONS, make_s3_bucket, s3_endpoint


@pytest.fixture(params=["local", *(f"s3-{kind}" for kind in S3_SERVER_KINDS)])
def store(request, tmp_path):
    if request.param == "local":
        return LocalFileStore(tmp_path / "media")
    server = s3_endpoint(request, request.param.removeprefix("s3-"))
    return open_store(f"s3://{make_s3_bucket(server)}/some/prefix", endpoint_url=server, **S3_TEST_OPTIONS)


def test_put_get_range_exists_size_delete(store, tmp_path):
    data = bytes(range(256)) * 40
    store.put_stream("tracks/1/original", io.BytesIO(data), "audio/wav")
    assert store.exists("tracks/1/original")
    assert store.size("tracks/1/original") == len(data)
    assert b"".join(store.open("tracks/1/original")) == data
    assert store.get_range("tracks/1/original", 10, 19) == data[10:20]
    source = tmp_path / "file.bin"
    source.write_bytes(b"hello")
    store.put_file("tracks/1/x.txt", source, "text/plain")
    store.put_bytes("tracks/2/y.json", b"{}", "application/json")
    assert store.list_keys("tracks/1") == ["tracks/1/original", "tracks/1/x.txt"]
    target = tmp_path / "copy.bin"
    store.download("tracks/1/original", target)
    assert target.read_bytes() == data

    store.delete("tracks/1/x.txt")
    assert not store.exists("tracks/1/x.txt")
    store.delete("tracks/1/x.txt")  # deleting twice is fine
    store.delete_prefix("tracks/1")
    assert store.list_keys("tracks/1") == []
    assert store.list_keys() == ["tracks/2/y.json"]
    with pytest.raises(ObjectNotFound):
        store.size("tracks/1/original")
    with pytest.raises(ObjectNotFound):
        b"".join(store.open("nope"))


def test_keys_cannot_escape(store):
    for key in ("../etc/passwd", "/abs", "a//b", "a/../b", ""):
        with pytest.raises(StorageError):
            store.put_bytes(key, b"x")


def test_presigned_get_over_http_with_range_and_download_name(s3_server, s3_bucket):
    store = open_store(f"s3://{s3_bucket}", endpoint_url=s3_server, **S3_TEST_OPTIONS)
    store.put_bytes("a/song.mp3", b"0123456789" * 100, "audio/mpeg")
    url = store.presigned_get("a/song.mp3", expires=60, download_name="Café Song.mp3")
    assert url.startswith(s3_server) and "X-Amz-Expires=60" in url
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"0123456789" * 100
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''Caf%C3%A9%20Song.mp3" in disposition
    ranged = urllib.request.Request(store.presigned_get("a/song.mp3"), headers={"Range": "bytes=5-14"})
    with urllib.request.urlopen(ranged) as response:
        assert response.status == 206 and response.read() == b"5678901234"


def test_large_file_goes_up_in_parts(s3_server, s3_bucket, tmp_path):
    store = S3Store(s3_bucket, endpoint_url=s3_server, multipart_threshold=5 * 1024 * 1024, **S3_TEST_OPTIONS)
    big = tmp_path / "big.bin"
    with open(big, "wb") as out:
        for i in range(11):
            out.write(bytes([i]) * 1024 * 1024)
    store.put_file("big.bin", big)
    head = store.client.head_object(Bucket=s3_bucket, Key="big.bin")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart ETag names its part count
    assert store.size("big.bin") == 11 * 1024 * 1024
    assert store.get_range("big.bin", 6 * 1024 * 1024, 6 * 1024 * 1024 + 3) == bytes([6]) * 4


def test_small_file_is_a_single_put(s3_server, s3_bucket):
    store = S3Store(s3_bucket, endpoint_url=s3_server, multipart_threshold=5 * 1024 * 1024, **S3_TEST_OPTIONS)
    store.put_stream("small", io.BytesIO(b"x" * 1000))
    assert "-" not in store.client.head_object(Bucket=s3_bucket, Key="small")["ETag"]


def test_unreachable_endpoint_is_transient(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = open_store(
        "s3://bucket", endpoint_url=f"http://127.0.0.1:{port}", connect_timeout=1, max_attempts=1, **S3_TEST_OPTIONS
    )
    with pytest.raises(StorageUnavailable):
        store.ping()
    with pytest.raises(StorageUnavailable):
        store.put_bytes("k", b"x")
    with pytest.raises(StorageUnavailable):
        store.exists("k")


def test_missing_bucket_is_a_plain_error(s3_server):
    store = open_store("s3://no-such-bucket", endpoint_url=s3_server, **S3_TEST_OPTIONS)
    with pytest.raises(StorageError) as info:
        store.put_bytes("k", b"x")
    assert not isinstance(info.value, StorageUnavailable)


def test_open_store_urls(tmp_path):
    assert isinstance(open_store(f"file://{tmp_path}"), LocalFileStore)
    with pytest.raises(StorageError):
        open_store("ftp://x")
    with pytest.raises(StorageError):
        open_store("s3://")
    assert open_store(f"file://{tmp_path}").presigned_get("x") is None

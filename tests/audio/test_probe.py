"""Format by content, full-decode checks, and tags of every accepted format."""

import shutil

import pytest

from audio.errors import AudioTooLong, CorruptAudio, UnsupportedAudio
from audio.probe import identify, read_tags
from tests import media

KINDS = list(media.FORMATS)


@pytest.mark.parametrize("kind", KINDS)
def test_each_accepted_format_is_recognised_whatever_its_name(kind, tmp_path):
    path = media.make_audio(tmp_path / "song", kind, seconds=2)
    misnamed = tmp_path / "song.txt"
    shutil.copy(path, misnamed)
    for candidate in (path, misnamed):
        found = identify(str(candidate), max_seconds=7200)
        assert found.kind == kind
        assert 1900 <= found.duration_ms <= 2100


@pytest.mark.parametrize("kind", KINDS)
def test_tags_and_cover_of_each_format(kind, tmp_path):
    tagged = media.make_audio(tmp_path / "tagged", kind, seconds=1, tags=True, cover=True)
    tags = read_tags(str(tagged))
    assert (tags.title, tags.artist, tags.album, tags.track_number, tags.isrc) == (
        "Tidal Song",
        "Test Artist",
        "Test Album",
        3,
        "GBABC2612345",
    )
    assert tags.cover == media.png_bytes()
    plain = media.make_audio(tmp_path / "plain", kind, seconds=1)
    assert read_tags(str(plain)) == read_tags(str(plain)).__class__()


@pytest.mark.parametrize("kind", KINDS)
def test_disc_number_of_each_format(kind, tmp_path):
    tagged = media.make_audio(tmp_path / "disc", kind, seconds=1, tags={"track_number": 4, "disc_number": 2})
    tags = read_tags(str(tagged))
    assert (tags.disc_number, tags.track_number) == (2, 4)
    single = media.make_audio(tmp_path / "single", kind, seconds=1, tags=True)
    assert read_tags(str(single)).disc_number is None


@pytest.mark.parametrize(
    "make, error, words",
    [
        (media.zero_bytes, CorruptAudio, "empty"),
        (media.random_bytes, UnsupportedAudio, "not audio"),
        (media.text_file, UnsupportedAudio, "not audio"),
        (media.truncated_flac, CorruptAudio, "truncated"),
        (media.zero_frame_wav, CorruptAudio, "no audio"),
    ],
)
def test_broken_inputs(make, error, words, tmp_path):
    path = make(tmp_path / "broken.mp3")
    with pytest.raises(error) as info:
        identify(str(path), max_seconds=7200)
    assert words in str(info.value)


def test_malformed_id3_is_accepted_with_tags_ignored(tmp_path):
    path = media.malformed_id3_mp3(tmp_path / "bad-tag.mp3")
    found = identify(str(path), max_seconds=7200)
    assert found.kind == "mp3" and found.duration_ms > 2500
    assert read_tags(str(path)).title is None


def test_too_long(tmp_path):
    path = media.make_audio(tmp_path / "long", "flac", seconds=5)
    with pytest.raises(AudioTooLong) as info:
        identify(str(path), max_seconds=3)
    assert "limit" in str(info.value)


def test_unsupported_audio_format_is_named(tmp_path):
    path = tmp_path / "x.wv"
    media.ffmpeg("-f", "lavfi", "-i", "sine=d=1", "-c:a", "wavpack", str(path))
    with pytest.raises(UnsupportedAudio) as info:
        identify(str(path), max_seconds=7200)
    assert "we accept" in str(info.value)

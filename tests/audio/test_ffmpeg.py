"""Which ffmpeg runs and whether it is fit (checked at start), loudness measured on what is
played, and MP3 renditions at 44.1/48 kHz, on real ffmpeg runs of generated audio."""

from __future__ import annotations

import os
import re
import subprocess

import imageio_ffmpeg
import pytest

from audio.ffmpeg import FFmpegUnusable, check_ffmpeg, ffmpeg_exe, use_ffmpeg
from audio.loudness import EBUR128_FILTER, parse_ebur128_summary
from audio.pipeline import process_original
from tests import media

FILTERS = " ".join(
    ["aformat", "asplit", "atrim", "asetpts", "afade", "aresample", "ebur128", "aevalsrc", "aecho", "volume"]
)


@pytest.fixture(autouse=True)
def _wheel_ffmpeg_after():
    yield
    use_ffmpeg(None)


def fake_ffmpeg(tmp_path, version: str, filters: str = FILTERS, summary: bool = True):
    """A script that answers like an ffmpeg of ``version`` with ``filters``."""
    path = tmp_path / "ffmpeg"
    lines = "\n".join(f'echo " ... {name}  A->A  x"' for name in filters.split())
    path.write_text(f"""#!/bin/sh
case "$*" in
  *-version*) echo "ffmpeg version {version} Copyright (c) 2000-2022 the FFmpeg developers" ;;
  *-filters*) echo "Filters:"; {lines or "true"} ;;
  *-encoders*) echo " A....D libmp3lame  MP3"; echo " A....D libopus  Opus"; echo " A....D pcm_s16le  PCM" ;;
  *) {'echo "[Parsed_ebur128_0 @ 0x1] Summary:" >&2; echo "  I: -20.0 LUFS" >&2' if summary else "true"} ;;
esac
""")
    path.chmod(0o755)
    return str(path)


def test_the_wheels_ffmpeg_wins_over_the_one_on_path(tmp_path, monkeypatch):
    fake = fake_ffmpeg(tmp_path, "5.1.6-0+deb12u1")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    use_ffmpeg(None)
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe() != fake
    info = check_ffmpeg()
    assert info.path == ffmpeg_exe() and re.match(r"n?\d+\.\d+", info.version)


def test_a_named_ffmpeg_is_used_and_checked(tmp_path):
    use_ffmpeg(fake_ffmpeg(tmp_path, "7.1"))
    assert ffmpeg_exe() == str(tmp_path / "ffmpeg")
    assert check_ffmpeg().version == "7.1"


def test_too_old_an_ffmpeg_is_refused(tmp_path):
    with pytest.raises(FFmpegUnusable, match=r"5\.1\.6-0\+deb12u1 .* older than 6\.0"):
        check_ffmpeg(fake_ffmpeg(tmp_path, "5.1.6-0+deb12u1"))


def test_an_ffmpeg_without_the_filters_is_refused(tmp_path):
    with pytest.raises(FFmpegUnusable, match="lacks ebur128"):
        check_ffmpeg(fake_ffmpeg(tmp_path, "7.0", FILTERS.replace("ebur128", "")))


def test_an_ffmpeg_whose_loudness_cannot_be_read_is_refused(tmp_path):
    with pytest.raises(FFmpegUnusable, match="measures no loudness"):
        check_ffmpeg(fake_ffmpeg(tmp_path, "7.0", summary=False))


def test_the_app_refuses_to_start_with_an_unusable_ffmpeg(database_url, tmp_path):
    from app.core.config import ConfigurationError
    from tests.conftest import make_test_app

    with pytest.raises(ConfigurationError, match="ENCORE_FFMPEG"):
        make_test_app(database_url, tmp_path / "media", FFMPEG=str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(ConfigurationError, match="older than"):
        make_test_app(database_url, tmp_path / "media", FFMPEG=fake_ffmpeg(tmp_path, "5.1.6"))
    app = make_test_app(database_url, tmp_path / "media")  # the wheel's again
    assert app and ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()


def _stream_info(path) -> tuple[int, str]:
    """Sample rate and channel layout ffmpeg reads from a file's first audio stream."""
    banner = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    match = re.search(r"Audio: [^,]+, (\d+) Hz, ([^,]+),", banner)
    return int(match.group(1)), match.group(2)


def _loudness(path) -> float:
    proc = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-v",
            "info",
            "-i",
            str(path),
            "-filter_complex",
            f"[0:a:0]{EBUR128_FILTER}",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
    )
    return parse_ebur128_summary(proc.stderr).integrated_lufs


def test_surround_source_is_measured_after_its_downmix(tmp_path):
    """A 5.1 source with sound only in its surround channels: the stereo rendition mixes them
    down well below what a 5.1 measurement (which weighs surrounds up) says."""
    source = tmp_path / "surround.flac"
    media.ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "aevalsrc=0|0|0|0|0.3*sin(2*PI*220*t)|0.3*sin(2*PI*330*t):s=48000:d=8:c=5.1",
        "-c:a",
        "flac",
        str(source),
    )
    assert _stream_info(source)[1].startswith("5.1")
    work = tmp_path / "work"
    work.mkdir()
    result = process_original(source, work, duration_ms=8000)
    stream = work / "stream.mp3"
    assert _stream_info(stream)[1] == "stereo"
    played = _loudness(stream)
    assert abs(result.loudness.integrated_lufs - played) < 1.0, (result.loudness, played)
    assert _loudness(source) - played > 3  # measured before the downmix, it was this far off


@pytest.mark.parametrize("rate,expected", [(96_000, 48_000), (22_050, 44_100), (44_100, 44_100)])
def test_mp3_renditions_are_44k1_or_48k(tmp_path, rate, expected):
    source = media.make_audio(tmp_path / f"in{rate}", "flac", seconds=4, rate=rate)
    work = tmp_path / "work"
    work.mkdir()
    result = process_original(source, work, duration_ms=4000)
    for name in ("stream.mp3", "preview.mp3"):
        assert _stream_info(work / name)[0] == expected, name
    assert 3900 <= result.duration_ms <= 4100

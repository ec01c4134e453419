"""The processing pipeline on real ffmpeg runs of short generated audio."""

import subprocess

import pytest

from audio.artwork import SIZES, cover_renditions
from audio.errors import FFmpegError, ImageRejected
from audio.ffmpeg import decode_check, ffmpeg_exe
from audio.loudness import Loudness, parse_ebur128_summary, track_gain
from audio.pipeline import process_original
from audio.transcode import preview_window
from audio.waveform import PeakMeter
from tests import media


def test_process_original_makes_renditions_loudness_and_peaks(tmp_path):
    source = media.make_audio(tmp_path / "in", "flac", seconds=40, tags=True)
    work = tmp_path / "work"
    work.mkdir()
    result = process_original(source, work, duration_ms=40_000, points=1800)
    assert 39_900 <= result.duration_ms <= 40_100
    assert len(result.peaks) == 1800 and 0 < max(result.peaks) <= 1
    assert result.loudness.integrated_lufs is not None and -30 < result.loudness.integrated_lufs < -5
    assert result.gain_db == track_gain(result.loudness)
    assert result.tags.title == "Tidal Song"
    lengths = {}
    for rendition, path in result.files.items():
        lengths[rendition.name] = decode_check(str(path)).seconds
    assert abs(lengths["stream.mp3"] - 40) < 0.2 and abs(lengths["stream.opus"] - 40) < 0.2
    assert abs(lengths["preview.mp3"] - 30) < 0.2
    assert result.preview_start_ms == 10_000
    # 192 kb/s constant bit rate: the file size is what the bit rate says.
    assert (
        abs(result.files[next(r for r in result.files if r.name == "stream.mp3")].stat().st_size - 40 * 24000) < 20_000
    )
    banner = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(work / "stream.opus")], capture_output=True, text=True
    )
    assert "Audio: opus" in banner.stderr


def test_garbage_fails_with_ffmpeg_error(tmp_path):
    source = media.text_file(tmp_path / "x.wav")
    with pytest.raises(FFmpegError):
        process_original(source, tmp_path, duration_ms=1000)


def test_preview_window():
    assert preview_window(20) == (0.0, 20)
    assert preview_window(200) == (50.0, 30.0)
    assert preview_window(35) == (5.0, 30.0)


def test_ebur128_summary_and_gain():
    log = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:          -9.3 LUFS
    Threshold: -19.4 LUFS

  True peak:
    Peak:        0.4 dBFS
"""
    loud = parse_ebur128_summary(log)
    assert loud == Loudness(-9.3, 0.4)
    assert track_gain(loud) == -4.7  # down to -14 LUFS
    assert track_gain(Loudness(-20.0, -2.0)) == 1.0  # boost capped by the -1 dBTP ceiling
    assert track_gain(Loudness(None, None)) == 0.0
    assert parse_ebur128_summary(log.replace("-9.3", "-70.0")).integrated_lufs is None
    with pytest.raises(ValueError):
        parse_ebur128_summary("nothing here")


def test_peak_meter_is_bucketed_and_bounded():
    import struct

    meter = PeakMeter(expected_samples=1000, points=10)
    samples = [0] * 1000
    samples[150] = 16384
    samples[999] = -32768
    data = struct.pack("<1000h", *samples)
    for i in range(0, len(data), 7):  # odd chunk sizes split samples across reads
        meter.feed(data[i : i + 7])
    meter.finish()
    assert meter.peaks() == [0.0, 0.5, 0, 0, 0, 0, 0, 0, 0, 1.0]
    assert meter.samples == 1000


def test_cover_renditions(tmp_path):
    out = cover_renditions(media.png_bytes((1600, 1000)))
    import io

    from PIL import Image

    for name, size in SIZES.items():
        image = Image.open(io.BytesIO(out[name]))
        assert image.format == "JPEG" and image.size == (min(size, 1000), min(size, 1000))
    with pytest.raises(ImageRejected):
        cover_renditions(b"not an image")

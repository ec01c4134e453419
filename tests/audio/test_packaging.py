"""Cut points of real renditions: each head decodes to no more audio than its cut, and the
head followed by the rest is the rendition byte for byte."""

import re
import subprocess
import tempfile

import pytest

from audio.ffmpeg import ffmpeg_exe
from audio.packaging import STEP_MS, PackagingError, cut_points, cut_points_of, head_length


def decoded_seconds(data: bytes, suffix: str) -> float:
    with tempfile.NamedTemporaryFile(suffix=suffix) as f:
        f.write(data)
        f.flush()
        out = subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", f.name, "-f", "null", "-", "-progress", "pipe:1"],
            capture_output=True,
            text=True,
        ).stdout
    return int(re.findall(r"out_time_us=(\d+)", out)[-1]) / 1e6


@pytest.fixture(scope="module")
def renditions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("packaging")
    source = "aevalsrc=0.3*sin(2*PI*220*t)+0.05*(random(0)-0.5):s=44100:d=12.3"
    mp3, opus = tmp / "stream.mp3", tmp / "stream.opus"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "lavfi", "-i", source, "-ac", "2",
         "-c:a", "libmp3lame", "-b:a", "192k", "-map_metadata", "-1", str(mp3),
         "-c:a", "libopus", "-b:a", "128k", "-map_metadata", "-1", str(opus)],
        check=True,
    )  # fmt: skip
    return {"mp3": mp3, "opus": opus}


@pytest.mark.parametrize("kind", ["mp3", "opus"])
def test_heads_hold_at_most_their_cut_and_continue_into_the_rest(renditions, kind):
    data = renditions[kind].read_bytes()
    points = cut_points(renditions[kind], kind)
    assert points[0] == 0 and points[-1] == len(data) and points == sorted(points)
    assert len(points) in (14, 15)  # 0..12 s, the last partial second, the whole
    for seconds in (1, 4, 7):
        head = data[: head_length(points, seconds * STEP_MS)]
        got = decoded_seconds(head, "." + kind)
        assert seconds - 1.1 < got <= seconds, (seconds, got)
    assert head_length(points, 60_000) == len(data)  # more than the track: the whole
    assert decoded_seconds(data[: points[5]] + data[points[5] :], "." + kind) == pytest.approx(12.3, abs=0.1)


def test_what_is_not_a_rendition_is_refused(renditions):
    with pytest.raises(PackagingError):
        cut_points_of(b"\x00" * 5000, "mp3")
    with pytest.raises(PackagingError):
        cut_points_of(renditions["mp3"].read_bytes(), "opus")
    with pytest.raises(PackagingError):
        cut_points_of(renditions["opus"].read_bytes()[:-100], "opus")  # cut mid-page

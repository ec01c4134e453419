"""Transcoding benchmark: the whole processing pipeline vs one raw ffmpeg command.

    python bench/transcode_bench.py [--minutes 5] [--runs 3] [--long-minutes 60 | --skip-long]

1. Generates a 5-minute stereo 44.1 kHz WAV (music-like: tones, noise, a beat).
2. Times, interleaved and repeated (median of ``--runs``):
   - raw:      one ffmpeg command writing the same renditions (MP3 192k CBR, Opus 128k,
               30-s preview with fades), nothing else;
   - pipeline: what the worker does: ``audio.pipeline.process_original`` (tags, transcode,
               EBU R128 loudness + true peak, waveform peaks from a PCM pipe), metering's
               packaging (``audio.packaging.cut_points`` of both stream renditions) and
               storing the renditions in a local object store.
   Each run is a separate child process; its peak memory is the largest sum of RSS over the
   child and all its descendants (ffmpeg), sampled from /proc every 10 ms.
3. Processes a 60-minute WAV through the pipeline and reports the same peak memory
   (the target is < 250 MB).

The last line printed is one JSON object with every figure, including ``ratio``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio.ffmpeg import ffmpeg_exe  # noqa: E402
from audio.transcode import transcode_command  # noqa: E402

OUT = ROOT / "bench" / "out"


def make_wav(path: Path, minutes: float) -> None:
    """Music-like test audio: two detuned tones, pink-ish noise and a kick, stereo 44.1 kHz."""
    if path.exists():
        return
    seconds = minutes * 60
    expr = (
        "0.25*sin(2*PI*220*t)+0.18*sin(2*PI*331*t)+0.05*(random(0)-0.5)+0.4*sin(2*PI*60*mod(t,0.5))*exp(-mod(t,0.5)*12)"
    )
    subprocess.run(
        [
            ffmpeg_exe(),
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc='{expr}':s=44100:d={seconds}",
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
            str(path),
        ],
        check=True,
    )


def _tree_rss_kb(pid: int) -> int:
    """RSS of ``pid`` and its descendants, in kB (0 for processes already gone)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            with open(f"/proc/{current}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def measure(args: list[str], *, memory: bool = False) -> dict:
    """Run a command; return its wall time and, with ``memory``, the peak RSS of its process
    tree. Timing runs are not sampled: walking /proc every few ms costs CPU the runs need.
    A child that prints ``elapsed=<seconds>`` on stderr reports its own processing time
    (a long-lived worker does not pay the interpreter's start-up per track)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def poll():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.02)

    watcher = threading.Thread(target=poll, daemon=True)
    if memory:
        watcher.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    if memory:
        watcher.join()
    text = err.decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args[:3])}\n{text[-2000:]}")
    for line in text.splitlines():
        if line.startswith("elapsed="):
            wall = float(line[8:])
    return {"wall_s": wall, "peak_mb": peak / 1024}


def raw_args(source: Path, out: Path, duration_s: float) -> list[str]:
    """The reference: the renditions only, one ffmpeg command (the pipeline's own encoder
    settings, so both produce identical files)."""
    out.mkdir(parents=True, exist_ok=True)
    return transcode_command(source, out, duration_s)


PIPELINE_CHILD = """
import sys, tempfile, time
sys.path.insert(0, {root!r})
from audio.packaging import cut_points
from audio.pipeline import process_original
from audio.storage import LocalFileStore
from audio.transcode import STREAM_MP3, STREAM_OPUS
store = LocalFileStore({store!r})
start = time.perf_counter()
with tempfile.TemporaryDirectory(dir={work!r}) as work:
    result = process_original({source!r}, work, duration_ms={duration_ms})
    # metering's packaging, as the worker does it: the stream renditions' cut points
    cuts = {{"mp3": cut_points(result.files[STREAM_MP3], "mp3"), "opus": cut_points(result.files[STREAM_OPUS], "opus")}}
    for rendition, path in result.files.items():
        store.put_file(f"tracks/1/{{rendition.name}}", path, rendition.content_type)
print(f"elapsed={{time.perf_counter() - start}}", file=sys.stderr)
print(result.duration_ms, result.gain_db, len(result.peaks), file=sys.stderr)
"""


def pipeline_args(source: Path, duration_s: float, work: Path) -> list[str]:
    code = PIPELINE_CHILD.format(
        root=str(ROOT),
        store=str(work / "store"),
        work=str(work),
        source=str(source),
        duration_ms=int(duration_s * 1000),
    )
    return [sys.executable, "-c", code]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--long-minutes", type=float, default=60)
    parser.add_argument("--skip-long", action="store_true")
    opts = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"bench-{opts.minutes:g}min.wav"
    make_wav(source, opts.minutes)
    duration = opts.minutes * 60
    raw, pipe = [], []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        work = Path(tmp)
        for i in range(opts.runs):
            raw.append(measure(raw_args(source, work / f"raw{i}", duration)))
            pipe.append(measure(pipeline_args(source, duration, work)))
            print(f"run {i + 1}: raw {raw[-1]['wall_s']:.2f} s, pipeline {pipe[-1]['wall_s']:.2f} s", flush=True)
        raw_memory = measure(raw_args(source, work / "raw-memory", duration), memory=True)
        pipe_memory = measure(pipeline_args(source, duration, work), memory=True)

    raw_wall = statistics.median(r["wall_s"] for r in raw)
    pipe_wall = statistics.median(r["wall_s"] for r in pipe)
    figures = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "audio_minutes": opts.minutes,
        "runs": opts.runs,
        "raw_ffmpeg_s": round(raw_wall, 3),
        "pipeline_s": round(pipe_wall, 3),
        "ratio": round(pipe_wall / raw_wall, 3),
        "target_ratio": 1.25,
        "raw_peak_mb": round(raw_memory["peak_mb"], 1),
        "pipeline_peak_mb": round(pipe_memory["peak_mb"], 1),
        "realtime_factor": round(duration / pipe_wall, 1),
    }
    print(f"raw ffmpeg {raw_wall:.2f} s, pipeline {pipe_wall:.2f} s: ratio {figures['ratio']:.2f} (target <= 1.25)")

    if not opts.skip_long:
        long_source = OUT / f"bench-{opts.long_minutes:g}min.wav"
        make_wav(long_source, opts.long_minutes)
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            long = measure(pipeline_args(long_source, opts.long_minutes * 60, Path(tmp)), memory=True)
        long_source.unlink()  # 600 MB: not worth keeping around
        figures.update(
            {
                "long_minutes": opts.long_minutes,
                "long_pipeline_s": round(long["wall_s"], 2),
                "long_peak_mb": round(long["peak_mb"], 1),
                "long_peak_target_mb": 250,
            }
        )
        print(
            f"{opts.long_minutes:g}-minute WAV: {long['wall_s']:.1f} s, peak memory {long['peak_mb']:.0f} MB (target < 250)"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

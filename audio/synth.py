"""Pleasant demo music from ffmpeg alone: a chord pad, an arpeggio, bass, kick and hi-hat.

Used by the demo seed so the demo catalog plays real audio through the real pipeline. Each
song is one ``aevalsrc`` expression (evaluated at a modest rate, then echoed for some space)
over a four-chord progression; the key, tempo and progression vary with the seed.
"""

from __future__ import annotations

import random
from pathlib import Path

from audio.ffmpeg import run_ffmpeg

RATE = 22050  # plenty for these timbres, and half the cost of evaluating the expression
PROGRESSIONS = [  # semitone offsets from the key's root, one triad per chord
    [(0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)],  # I  V  vi IV
    [(9, 12, 16), (5, 9, 12), (0, 4, 7), (7, 11, 14)],  # vi IV I  V
    [(0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14)],  # I  vi IV V
    [(2, 5, 9), (7, 11, 14), (0, 4, 7), (0, 4, 7)],  # ii V  I  I
]


def _pick(index: str, values: list[float]) -> str:
    """An ffmpeg expression choosing ``values[index]`` (index 0..3)."""
    a, b, c, d = (f"{v:.3f}" for v in values)
    return f"if(lt({index},2),if(lt({index},1),{a},{b}),if(lt({index},3),{c},{d}))"


def song_expression(seed: int) -> tuple[str, float]:
    """The ``aevalsrc`` expression of song ``seed`` and its tempo in beats per minute."""
    rng = random.Random(seed)
    root = 110.0 * 2 ** (rng.randrange(0, 12) / 12)  # somewhere between A2 and G#3
    bpm = rng.choice([84, 92, 100, 108, 116])
    progression = rng.choice(PROGRESSIONS)
    beat = 60.0 / bpm
    bar = 4 * beat

    def note(semitones: int) -> float:
        return root * 2 ** (semitones / 12)

    notes = [[note(chord[i]) for chord in progression] for i in range(3)]
    bass = [note(chord[0] - 12) for chord in progression]
    # Variables: 0 = chord index, 1 = time in chord, 2 = time in beat, 3 = time in half beat,
    # 4 = arpeggio step. st()/ld() keep the expression from recomputing them.
    parts = [
        f"st(0,mod(floor(t/{2 * bar:.4f}),4))",
        f"st(1,mod(t,{2 * bar:.4f}))",
        f"st(2,mod(t,{beat:.4f}))",
        f"st(3,mod(t,{beat / 2:.4f}))",
        f"st(4,mod(floor(t/{beat / 2:.4f}),3))",
    ]
    pad_env = "(1-exp(-ld(1)*6))*(0.55+0.45*exp(-ld(1)*0.7))"
    pad = "+".join(f"sin(2*PI*{_pick('ld(0)', notes[i])}*t)" for i in range(3))
    arp_freq = f"2*if(lt(ld(4),1),{_pick('ld(0)', notes[0])},if(lt(ld(4),2),{_pick('ld(0)', notes[1])},{_pick('ld(0)', notes[2])}))"
    arp = f"sin(2*PI*{arp_freq}*t)*exp(-ld(3)*9)"
    bass_line = f"sin(2*PI*{_pick('ld(0)', bass)}*t)*(0.6+0.4*exp(-ld(2)*4))"
    # The kick is a sine sweeping from 150 Hz down to 50 Hz; its phase is the integral.
    kick = "sin(2*PI*(50*ld(2)+100*(1-exp(-ld(2)*30))/30))*exp(-ld(2)*9)"
    hat = f"(random(0)-0.5)*exp(-mod(t+{beat / 2:.4f},{beat:.4f})*60)"
    mix = f"0.07*({pad})*{pad_env}+0.12*{arp}+0.16*{bass_line}+0.45*{kick}+0.10*{hat}"
    return "(" + ";".join(parts) + f";{mix})", bpm


def synthesize_song(path: str | Path, seconds: float, seed: int) -> Path:
    """Write a ``seconds``-long stereo 44.1 kHz WAV of song ``seed`` to ``path``."""
    expression, _ = song_expression(seed)
    fade = min(3.0, seconds / 4)
    graph = (
        f"aevalsrc='{expression.replace(';', chr(92) + ';')}':s={RATE}:d={seconds},"
        "aecho=0.8:0.6:83|127:0.25|0.18,volume=6dB,"
        f"afade=t=in:d=0.05,afade=t=out:st={seconds - fade:.2f}:d={fade:.2f},"
        "aresample=44100,aformat=sample_fmts=s16:channel_layouts=stereo"
    )
    run_ffmpeg(["-v", "error", "-filter_complex", graph, "-c:a", "pcm_s16le", "-f", "wav", "-y", str(path)])
    return Path(path)

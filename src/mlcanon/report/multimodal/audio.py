"""语音特征 · Audio features: our STFT, iSTFT, log-mel and MFCC beside librosa on FSDD recordings, and their speed.

Live (seconds): six FSDD test recordings (one per speaker, different digits), each feature computed by
``mlcanon.audio`` and by librosa 0.11 with the same options; the row is the largest difference relative
to the reference matrix's largest entry, max|ours - librosa| / max|librosa| — the issue's "equal to 1e-4
relative" (float32 rounding errors scale with the largest entries, so entries near zero can only be
matched to that level; see tests/foundations/test_audio.py). From ``benchmarks/results/audio.json``
(``python -m benchmarks.audio``, with its date): the time of ours and librosa's over all 3,000 FSDD
recordings; the goal is at least librosa's speed (ratio ours/librosa <= 1).
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from mlcanon._paths import results_dir
from mlcanon.report.core import Note, Row, check

_RESULTS = results_dir() / "audio.json"
_RTOL = 1e-4  # the tolerance
_SPEECH = {"n_fft": 256, "hop_length": 80}  # 32 ms windows, 10 ms hop at 8 kHz (what the tasks use)


def _max_rel(ours, ref) -> float:
    ours, ref = np.asarray(ours), np.asarray(ref)
    if ours.shape != ref.shape:
        return float("inf")
    return float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))


def _recordings() -> tuple[list[np.ndarray], str]:
    from mlcanon import data

    fsdd = data.load("fsdd", "test")
    speakers = sorted({f.split("_")[1] for f in fsdd.files})
    picked = [next(i for i, f in enumerate(fsdd.files) if f.split("_")[1] == s and f.startswith(f"{d}_"))
              for d, s in enumerate(speakers)]
    return [fsdd.signals[i] for i in picked], ", ".join(fsdd.files[i] for i in picked)


def _features(y: np.ndarray, lib, ours) -> dict[str, tuple]:
    """(ours, librosa) for each feature of one recording."""
    mel = {"sr": 8000, **_SPEECH, "n_mels": 40}
    htk = {"sr": 8000, "n_fft": 512, "hop_length": 128, "win_length": 400, "window": "hamming", "n_mels": 64,
           "fmin": 50.0, "fmax": 3800.0, "htk": True, "norm": None}
    S_o, S_r = ours.stft(y, **_SPEECH), lib.stft(y, **_SPEECH)
    M_o, M_r = ours.melspectrogram(y=y, **mel), lib.feature.melspectrogram(y=y, **mel)
    return {
        "stft (n_fft 256, hop 80, hann)": (S_o, S_r),
        "istft of that stft": (ours.istft(S_o, hop_length=80, length=len(y)), lib.istft(S_r, hop_length=80, length=len(y))),
        "melspectrogram (40 Slaney mels)": (M_o, M_r),
        "power_to_db of it (ref=max, top_db 80)": (ours.power_to_db(M_o, ref=np.max), lib.power_to_db(M_r, ref=np.max)),
        "melspectrogram (64 HTK mels, 50-3800 Hz, hamming 400/512, norm None)":
            (ours.melspectrogram(y=y, **htk), lib.feature.melspectrogram(y=y, **htk)),
        "mfcc (13, DCT-II ortho)": (ours.mfcc(y=y, n_mfcc=13, n_mels=40, sr=8000, **_SPEECH),
                                    lib.feature.mfcc(y=y, n_mfcc=13, n_mels=40, sr=8000, **_SPEECH)),
        "mfcc (12, DCT-III, lifter 12)": (ours.mfcc(y=y, n_mfcc=12, dct_type=3, lifter=12, n_mels=26, sr=8000, **_SPEECH),
                                          lib.feature.mfcc(y=y, n_mfcc=12, dct_type=3, lifter=12, n_mels=26, sr=8000,
                                                           **_SPEECH)),
    }


@check("语音特征 — STFT, log-mel and MFCC equal to librosa on FSDD")
def audio_vs_librosa(ctx):
    """Our short-time Fourier transform, mel spectrogram, decibels and MFCC give librosa's numbers on spoken
    digits, to 1e-4 of the largest entry."""
    try:
        import librosa
    except ImportError:
        return [Note("librosa is not installed (`pip install librosa`): the audio parity rows are skipped.")]
    from mlcanon import audio

    signals, names = _recordings()
    worst: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_fft longer than the shortest recordings: both libraries warn
        for y in signals:
            for name, (o, r) in _features(y, librosa, audio).items():
                worst[name] = max(worst.get(name, 0.0), _max_rel(o, r))
    rows = [Row(f"{name}: max|ours - librosa| / max|librosa| over {len(signals)} FSDD recordings", value, 0.0,
                f"librosa {librosa.__version__}", tolerance=_RTOL) for name, value in worst.items()]
    return rows + [Note(f"Recordings: {names} (8 kHz).")]


@check("语音特征 — speed against librosa on all 3,000 FSDD recordings")
def audio_speed(ctx):
    """Our log-mel and MFCC over the whole FSDD set take a fraction of librosa's time (cached window and
    filter bank, strided frames, one matrix product)."""
    if not _RESULTS.is_file():
        return [Note("The speed rows appear after `python -m benchmarks.audio`.")]
    bench = json.loads(_RESULTS.read_text())
    rows = []
    for c in bench["comparisons"]:
        rows.append(Row(f"{c['name']}: seconds, median of {bench['repeats']} (benchmark of {bench['date'][:10]}; "
                        f"max rel. |Δ| {c['params']['max_rel_diff']:.1e})", c["ours_median_s"],
                        c["reference_median_s"], f"librosa {c['params'].get('librosa', '')}".strip(),
                        tolerance=c["goal"], kind="speed"))
    notes = {c.get("notes", "") for c in bench["comparisons"]} - {""}
    return rows + [Note(n) for n in sorted(notes)]

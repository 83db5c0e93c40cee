"""Audio features: mlcanon.audio vs librosa, log-mel and MFCC of every FSDD recording (3,000).

Two settings: librosa's defaults (n_fft=2048, hop 512, 128 mels, 20 MFCCs) and a speech front
end at 8 kHz (n_fft=256, hop 80 (10 ms), 40 mels, 13 MFCCs). Each timed call runs the public
per-recording function over the whole list (recordings differ in length, so no batching is
assumed of the user), ours and librosa alternating in every repeat. Goal: ratio <= 1.0.
Before timing, the outputs are compared: max over recordings of max|ours - librosa| / max|librosa|.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from benchmarks.harness import compare
from mlcanon._threads import single_thread

SETTINGS = {
    "librosa defaults": dict(),
    "speech (n_fft=256, hop=80, 40 mels)": dict(n_fft=256, hop_length=80, n_mels=40),
}


def run(repeats: int = 5, quick: bool = False):
    # One thread for both: tiny FFTs and matrix products, on a machine shared with others.
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short recordings: both warn that n_fft=2048 exceeds them
        return _run(repeats, quick)


def _max_rel(ours, theirs) -> float:
    return max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(ours, theirs))


def _run(repeats: int, quick: bool):
    import librosa

    from mlcanon import audio, data

    signals = data.load("fsdd", "train").signals + data.load("fsdd", "test").signals
    if quick:
        signals = signals[::20]
    sr = 8000
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    notes = (f"measured on a shared {os.cpu_count()}-core machine under load by other users (1-min load average "
             f"{load:.1f} at the start); ours and librosa alternate in each repeat, medians reported")
    out = []
    for label, opts in SETTINGS.items():
        n_mfcc = 13 if opts else 20

        def logmel_ours(opts=opts):
            return [audio.power_to_db(audio.melspectrogram(y=y, sr=sr, **opts)) for y in signals]

        def logmel_ref(opts=opts):
            return [librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, **opts)) for y in signals]

        def mfcc_ours(opts=opts, n_mfcc=n_mfcc):
            return [audio.mfcc(y=y, sr=sr, n_mfcc=n_mfcc, **opts) for y in signals]

        def mfcc_ref(opts=opts, n_mfcc=n_mfcc):
            return [librosa.feature.mfcc(y=y, sr=sr, n_mfcc=n_mfcc, **opts) for y in signals]

        for case, ours, ref in (("log-mel", logmel_ours, logmel_ref), ("MFCC", mfcc_ours, mfcc_ref)):
            params = {"recordings": len(signals), "sr": sr, **opts, "librosa": librosa.__version__,
                      "max_rel_diff": _max_rel(ours(), ref())}
            if case == "MFCC":
                params["n_mfcc"] = n_mfcc
            out.append(compare(f"{case}, {label}, all FSDD recordings", ours, ref, reference_name="librosa",
                               repeats=repeats, warmup=1, goal=1.0, params=params, notes=notes))
    return out

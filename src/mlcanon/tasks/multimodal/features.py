"""The AV-MNIST protocol, rebuilt from the raw files: digit images paired with spoken digits.

AV-MNIST (Vielzeuf et al. 2018, "CentralNet"; MultiBench, Liang et al. 2021) pairs each MNIST image
with a recording of the same digit and degrades both so that neither modality alone suffices. Here,
from the bundled MNIST (10,000 images) and FSDD (3,000 recordings, 8 kHz):

* splits — images 0-6,999 train, 7,000-7,999 dev, 8,000-9,999 test (the brief's "first 8,000 /
  last 2,000", with the dev set carved from the training images); recordings: FSDD's own split,
  indices 0-4 of each speaker and digit test, 5-9 dev, 10-49 train — no recording is in two splits;
* pairs — image i of a split gets a recording of the same digit from the same split, drawn with
  ``numpy.random.default_rng([seed, split])``; recordings repeat (2,400 train recordings, 7,000 images);
* image degradation — projection onto the principal components of the training images (our
  ``mlcanon.decompose.PCA``, fitted on the 7,000 training images) that keep ``energy`` = 25% of
  the variance, and back to pixels: x' = μ + (x - μ) V_kᵀ V_k;
* audio degradation — white Gaussian noise at ``snr_db`` (default 0 dB) over the 1 s window:
  σ² = P_signal / 10^(snr_db / 10), P_signal the mean power of the recording itself;
* audio features — the first second (zero-padded), log-mel: n_fft 256 (32 ms), hop 80 (10 ms), 40
  Slaney mel bands, 10 log10(max(S, 1e-10)) (``mlcanon.audio``, equal to librosa), standardised
  with the training mean and standard deviation -> (40, 101).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from mlcanon.validation import check_option, check_scalar

__all__ = [
    "N_SAMPLES",
    "SAMPLE_RATE",
    "SPLITS",
    "AVPairs",
    "Degradation",
    "add_noise",
    "degrade_images",
    "fit_length",
    "image_split",
    "log_mel",
    "noise_images",
    "noise_log_mels",
    "pairs",
    "pca_components",
    "recording_split",
]

SPLITS = ("train", "dev", "test")
SAMPLE_RATE = 8000
N_SAMPLES = 8000  # one second
_IMAGES = {"train": (0, 7000), "dev": (7000, 8000), "test": (8000, 10000)}
_SPLIT_ID = {"train": 0, "dev": 1, "test": 2}
MEL = {"n_fft": 256, "hop_length": 80, "n_mels": 40}


@dataclass(frozen=True)
class Degradation:
    """How AV-MNIST degrades its inputs; ``Degradation.clean()`` turns both off."""

    image_energy: float | None = 0.25  # None: clean images
    snr_db: float | None = 0.0  # None: clean audio

    def __post_init__(self) -> None:
        if self.image_energy is not None:
            check_scalar(self.image_energy, "image_energy", minimum=0, maximum=1, include_minimum=False)
        if self.snr_db is not None:
            check_scalar(self.snr_db, "--snr-db", minimum=-60, maximum=100)

    @classmethod
    def clean(cls) -> Degradation:
        return cls(None, None)


@lru_cache(maxsize=1)
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    from mlcanon import data

    images, labels = data.load("mnist", "test")
    return (np.asarray(images, dtype=np.float32) / 255.0), np.asarray(labels, dtype=np.int64)


def image_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Pixels in [0, 1] (n, 28, 28) float32 and digits (n,) of an AV-MNIST split."""
    check_option(split, "--split", SPLITS)
    images, labels = _mnist()
    lo, hi = _IMAGES[split]
    return images[lo:hi], labels[lo:hi]


@lru_cache(maxsize=2)
def _fsdd(split: str):
    from mlcanon import data

    return data.load("fsdd", split)


def recording_split(split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The first second of each recording of a split (n, 8000) float32 (zero-padded), digits, file names."""
    check_option(split, "--split", SPLITS)
    audio = _fsdd("test" if split == "test" else "train")
    keep = [i for i, f in enumerate(audio.files)
            if split == "test" or (int(f.rsplit("_", 1)[1][:-4]) < 10) == (split == "dev")]
    signals = np.stack([fit_length(audio.signals[i]) for i in keep])
    return signals, np.asarray([audio.labels[i] for i in keep], dtype=np.int64), [audio.files[i] for i in keep]


def fit_length(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)[:N_SAMPLES]
    return np.pad(y, (0, N_SAMPLES - len(y)))


def add_noise(signals: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White noise at ``snr_db`` relative to each row's own mean power. (n, N) -> (n, N)."""
    power = np.mean(signals.astype(np.float64) ** 2, axis=1, keepdims=True)  # (n, 1)
    sigma = np.sqrt(power / 10.0 ** (snr_db / 10.0))
    return (signals + sigma * rng.standard_normal(signals.shape)).astype(np.float32)


def log_mel(signals: np.ndarray, chunk: int = 1000) -> np.ndarray:
    """(n, 8000) signals -> (n, 40, 101) log-mel (dB), float32, in chunks to bound memory."""
    from mlcanon.audio import melspectrogram, power_to_db

    out = [power_to_db(melspectrogram(y=signals[i:i + chunk], sr=SAMPLE_RATE, **MEL), top_db=None)
           for i in range(0, len(signals), chunk)]
    return np.concatenate(out).astype(np.float32)


@lru_cache(maxsize=2)
def _pca(energy: float):
    from mlcanon.decompose import PCA

    train, _ = image_split("train")
    # the 784 x 784 covariance's eigenvectors: the full SVD's components (to float32 rounding), ~3x faster
    return PCA(n_components=energy, svd_solver="covariance_eigh").fit(train.reshape(len(train), -1))


def degrade_images(images: np.ndarray, energy: float | None) -> np.ndarray:
    if energy is None:
        return images
    pca = _pca(energy)
    flat = images.reshape(len(images), -1)
    return pca.inverse_transform(pca.transform(flat)).reshape(images.shape).astype(np.float32)


def pca_components(energy: float) -> int:
    """How many principal components keep ``energy`` of the training images' variance."""
    return int(_pca(energy).n_components_)


class AVPairs(torch.utils.data.Dataset):
    """The pairs of one split as tensors: ``image`` (n, 28, 28), ``audio`` (n, 40, 101) raw log-mel dB,
    ``label`` (n,), and which recording each image was paired with (``recording``, index into the
    split's recordings)."""

    def __init__(self, image: np.ndarray, audio: np.ndarray, label: np.ndarray, recording: np.ndarray) -> None:
        self.image = torch.from_numpy(np.ascontiguousarray(image))
        self.audio = torch.from_numpy(np.ascontiguousarray(audio))
        self.label = torch.from_numpy(label)
        self.recording = recording

    def __len__(self) -> int:
        return len(self.label)

    def __getitem__(self, i: int):
        return self.image[i], self.audio[i], self.label[i]

    def standardise(self, mean: float, std: float) -> AVPairs:
        self.audio = (self.audio - mean) / std
        return self

    def replace(self, modality: str, rng: np.random.Generator) -> AVPairs:
        """Replace one modality by noise (robustness check): pixels uniform in [0, 1], audio the
        log-mel of white noise of σ 0.1 (~8 dB above the recordings' mean power, RMS 0.040)."""
        check_option(modality, "--corrupt", ("image", "audio"))
        if modality == "image":
            self.image = torch.from_numpy(noise_images(len(self), rng))
        else:
            self.audio = torch.from_numpy(noise_log_mels(len(self), rng))
        return self


def noise_images(n: int, rng: np.random.Generator) -> np.ndarray:
    """A failed camera: (n, 28, 28) pixels uniform in [0, 1], float32."""
    return rng.random((n, 28, 28), dtype=np.float32)


def noise_log_mels(n: int, rng: np.random.Generator) -> np.ndarray:
    """A failed microphone: (n, 40, 101) log-mel (dB) of white noise of standard deviation 0.1, float32."""
    return log_mel((0.1 * rng.standard_normal((n, N_SAMPLES))).astype(np.float32))


def pairs(split: str, seed: int, degradation: Degradation, limit: int | None = None) -> AVPairs:
    """The AV-MNIST pairs of ``split`` (the first ``limit`` images), degraded as asked.

    The arrays are cached (a benchmark trains every model on the same seed's pairs); AVPairs never
    writes into them (``standardise`` and ``replace`` make new tensors)."""
    return AVPairs(*_pair_arrays(split, seed, degradation, limit))


@lru_cache(maxsize=4)
def _pair_arrays(split: str, seed: int, degradation: Degradation, limit: int | None):
    images, labels = image_split(split)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    signals, rec_labels, _ = recording_split(split)
    rng = np.random.default_rng([seed, _SPLIT_ID[split]])
    by_digit = {d: np.flatnonzero(rec_labels == d) for d in range(10)}
    chosen = np.array([rng.choice(by_digit[int(d)]) for d in labels], dtype=np.int64)
    audio = signals[chosen]
    if degradation.snr_db is not None:
        audio = add_noise(audio, degradation.snr_db, rng)
    return degrade_images(images, degradation.image_energy), log_mel(audio), labels, chosen

"""Audio features: WAV reading, short-time Fourier transform, mel filter banks, log-mel, MFCC.

Papers: Allen (1977, "Short term spectral analysis, synthesis, and modification by discrete
Fourier transform") and Griffin & Lim (1984) — the STFT and its least-squares inverse;
Stevens, Volkmann & Newman (1937) — the mel scale; Davis & Mermelstein (1980) — mel-frequency
cepstral coefficients; Slaney (1998, Auditory Toolbox) — the mel scale linear below 1 kHz and
the area-normalised triangles; Young et al. (HTK book) — the HTK mel scale and the liftering.

Reference whose numbers this matches: librosa 0.11 (``librosa.stft``, ``istft``,
``feature.melspectrogram``, ``feature.mfcc``, ``power_to_db``, ``amplitude_to_db``,
``filters.mel``, ``hz_to_mel``, ``mel_to_hz``; ``librosa.load(path, sr=None)`` for reading),
option for option, with the same dtypes (float32 signals give complex64 / float32 features).

    STFT:   X[f, t] = sum_n w[n] y[t * hop + n - c] exp(-2 pi i f n / n_fft),  f = 0 .. n_fft/2
            (c = n_fft // 2 with the signal padded by ``pad_mode`` when ``center``, else c = 0;
             w = the ``win_length`` window, zero-padded to n_fft in the middle)
    iSTFT:  y = sum_t w * irfft(X[:, t]) shifted by t * hop  /  sum_t w² shifted by t * hop
    mel:    Slaney: m = 3 f / 200 below 1 kHz, m = 15 + 27 ln(f / 1000) / ln 6.4 above
            HTK:    m = 2595 log10(1 + f / 700)
    filter i: triangle over FFT-bin frequencies, rising from mel point i to i+1, falling to
            i+2 (n_mels + 2 points equally spaced in mel between fmin and fmax);
            norm='slaney' scales it by 2 / (f_{i+2} - f_i) (unit area in Hz)
    mel spectrogram:  M = W |X|^power            (W: (n_mels, 1 + n_fft // 2))
    power_to_db:      10 log10(max(amin, S)) - 10 log10(max(amin, ref)),
                      then floored at (its max - top_db)
    MFCC:             DCT-II (orthonormal) of power_to_db(M) over the mel axis, first n_mfcc,
                      liftered by 1 + (L / 2) sin(pi (k + 1) / L), k = 0 .. n_mfcc - 1

Arithmetic follows librosa's: the window (float64, from ``scipy.signal.get_window`` as librosa
takes it) multiplies the frames in float64, the FFT runs in float64 and the spectrum is
stored at the input's complex precision; the filter bank is float32 by default. Speed comes
from caching the window and the filter bank (librosa rebuilds both on every call), taking the
frames as a strided view and keeping them time-major, so the mel projection is one BLAS
matrix product.
"""

from __future__ import annotations

import functools
import numbers
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.fft

from mlcanon.validation import check_array, check_int, check_option, check_scalar, describe

__all__ = [
    "read_wav",
    "get_window",
    "stft",
    "istft",
    "fft_frequencies",
    "hz_to_mel",
    "mel_to_hz",
    "mel_frequencies",
    "mel_filters",
    "melspectrogram",
    "power_to_db",
    "amplitude_to_db",
    "mfcc",
]

_PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric", "empty")


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def read_wav(path, *, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read a PCM or IEEE-float WAV file as float32 samples in [-1, 1).

    Integer samples are scaled as libsndfile (and so ``librosa.load(path, sr=None)``) scales
    them: 8-bit unsigned ``(x - 128) / 128``, 16-bit ``x / 2**15``, 32-bit ``x / 2**31`` (24-bit
    files arrive from scipy left-justified in 32-bit integers and scale the same way); float
    files are kept as they are.

    Parameters
    ----------
    path : str or Path
    mono : bool, default=True
        Average the channels (librosa's ``to_mono``); if False a multi-channel file gives an
        array of shape (n_channels, n_samples), librosa's layout.

    Returns
    -------
    y : ndarray of shape (n_samples,) or (n_channels, n_samples), float32
    sr : int
        The sample rate.

    Examples
    --------
    >>> from mlcanon import data
    >>> from mlcanon.audio import read_wav
    >>> y, sr = read_wav(data.path("fsdd") / "recordings" / "0_george_0.wav")
    >>> sr, y.dtype.name
    (8000, 'float32')
    """
    import scipy.io.wavfile

    path = Path(path)
    try:
        sr, x = scipy.io.wavfile.read(path)
    except FileNotFoundError:
        raise
    except (ValueError, EOFError, OSError) as exc:
        raise ValueError(f"{path}: could not be read as a WAV file ({exc})") from None
    if x.dtype == np.uint8:
        y = (x.astype(np.float32) - 128.0) / 128.0
    elif x.dtype in (np.int16, np.int32):
        y = x.astype(np.float32) * np.float32(1.0 / 2 ** (8 * x.dtype.itemsize - 1))
    elif x.dtype in (np.float32, np.float64):
        y = x.astype(np.float32)
    else:
        raise ValueError(
            f"{path}: expected 8-bit unsigned, 16- or 32-bit integer or 32/64-bit float samples, "
            f"got {x.dtype} samples"
        )
    if y.ndim == 2:  # scipy: (n_samples, n_channels)
        y = y.T  # (C, N), librosa's layout
        if mono:
            y = y.mean(axis=0)
    return np.ascontiguousarray(y), int(sr)


# --------------------------------------------------------------------------------------------
# Windows and frequencies
# --------------------------------------------------------------------------------------------
def get_window(window, n: int) -> np.ndarray:
    """The analysis window of length ``n`` (periodic, as for an FFT), as librosa takes it.

    ``window`` is a name or tuple for ``scipy.signal.get_window`` ('hann', 'hamming',
    ('kaiser', 8.0), ...), a callable ``window(n)``, or an array of length ``n``.
    """
    if callable(window):
        return np.asarray(window(n))
    if isinstance(window, (str, tuple)) or np.isscalar(window):
        try:
            return _scipy_window(window, n).copy()
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"window: expected a window known to scipy.signal.get_window, got {window!r} ({exc})"
            ) from None
    if isinstance(window, (np.ndarray, list)):
        if len(window) != n:
            raise ValueError(f"window: expected an array of length {n} (win_length), got length {len(window)}")
        return np.asarray(window)
    raise TypeError(f"window: expected a name, tuple, callable or array, got {describe(window)}")


@functools.lru_cache(maxsize=64)
def _scipy_window(window, n: int) -> np.ndarray:
    import scipy.signal  # on first use: it costs a few hundred ms at import

    w = scipy.signal.get_window(window, n, fftbins=True)
    w.setflags(write=False)
    return w


def _fft_window(window, win_length: int, n_fft: int) -> np.ndarray:
    """The window zero-padded to ``n_fft`` in the middle (librosa's ``pad_center``), float64 unless
    the caller's array says otherwise; cached for named windows."""
    if isinstance(window, (str, tuple)) or (np.isscalar(window) and not callable(window)):
        try:
            return _padded_named_window(window, win_length, n_fft)
        except TypeError:  # an unhashable tuple: build it uncached
            pass
    return _pad_center(get_window(window, win_length), n_fft)


@functools.lru_cache(maxsize=64)
def _padded_named_window(window, win_length: int, n_fft: int) -> np.ndarray:
    w = _pad_center(get_window(window, win_length), n_fft)
    w.setflags(write=False)
    return w


def _pad_center(w: np.ndarray, size: int) -> np.ndarray:
    lpad = (size - w.shape[-1]) // 2
    return np.pad(w, (lpad, size - w.shape[-1] - lpad))


def fft_frequencies(*, sr: float = 22050, n_fft: int = 2048) -> np.ndarray:
    """Centre frequencies (Hz) of the ``1 + n_fft // 2`` bins of an ``n_fft``-point real FFT."""
    return np.fft.rfftfreq(n=n_fft, d=1.0 / sr)


# Slaney's mel scale (Auditory Toolbox): linear below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3  # Hz per mel in the linear part
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP  # 15 mel
_LOGSTEP = np.log(6.4) / 27.0  # 27 mel per factor 6.4 in frequency


def hz_to_mel(frequencies, *, htk: bool = False):
    """Hz to mel: HTK's ``2595 log10(1 + f / 700)`` or Slaney's (linear below 1 kHz).

    >>> round(float(hz_to_mel(1000.0)), 6), round(float(hz_to_mel(1000.0, htk=True)), 4)
    (15.0, 999.9855)
    """
    f = np.asanyarray(frequencies)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    mels = f / _F_SP
    if f.ndim:
        high = f >= _MIN_LOG_HZ
        mels[high] = _MIN_LOG_MEL + np.log(f[high] / _MIN_LOG_HZ) / _LOGSTEP
    elif f >= _MIN_LOG_HZ:
        mels = _MIN_LOG_MEL + np.log(f / _MIN_LOG_HZ) / _LOGSTEP
    return mels


def mel_to_hz(mels, *, htk: bool = False):
    """Mel to Hz, the inverse of :func:`hz_to_mel`.

    >>> round(float(mel_to_hz(15.0)), 6)
    1000.0
    """
    m = np.asanyarray(mels)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    freqs = _F_SP * m
    if m.ndim:
        high = m >= _MIN_LOG_MEL
        freqs[high] = _MIN_LOG_HZ * np.exp(_LOGSTEP * (m[high] - _MIN_LOG_MEL))
    elif m >= _MIN_LOG_MEL:
        freqs = _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL))
    return freqs


def mel_frequencies(n_mels: int = 128, *, fmin: float = 0.0, fmax: float = 11025.0, htk: bool = False) -> np.ndarray:
    """``n_mels`` frequencies (Hz) equally spaced on the mel scale from ``fmin`` to ``fmax``."""
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return mel_to_hz(mels, htk=htk)


def mel_filters(*, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
                htk: bool = False, norm="slaney", dtype=np.float32) -> np.ndarray:
    """The mel filter bank: ``n_mels`` triangles over the FFT bins (librosa's ``filters.mel``).

    Parameters
    ----------
    sr : float
        Sample rate (Hz).
    n_fft : int
        FFT size; the bank has ``1 + n_fft // 2`` columns.
    n_mels : int, default=128
    fmin, fmax : float
        Frequency range (Hz); ``fmax=None`` means ``sr / 2``.
    htk : bool, default=False
        HTK mel scale instead of Slaney's.
    norm : 'slaney', None or a number
        'slaney': each triangle divided by its width in Hz (constant energy per channel);
        a number p: each row scaled to unit L_p norm (``np.inf`` for the max); None: peak 1.
    dtype : default=np.float32

    Returns
    -------
    ndarray of shape (n_mels, 1 + n_fft // 2)

    Examples
    --------
    >>> from mlcanon.audio import mel_filters
    >>> mel_filters(sr=8000, n_fft=256, n_mels=40).shape
    (40, 129)
    """
    sr = check_scalar(sr, "sr", minimum=0, include_minimum=False)
    n_fft = check_int(n_fft, "n_fft", minimum=1)
    n_mels = check_int(n_mels, "n_mels", minimum=1)
    fmin = check_scalar(fmin, "fmin", minimum=0)
    fmax = sr / 2 if fmax is None else check_scalar(fmax, "fmax", minimum=0)
    if fmax <= fmin:
        raise ValueError(f"fmax: expected a frequency above fmin={fmin}, got {fmax}")
    _check_norm(norm)
    return _mel_basis(sr, n_fft, n_mels, fmin, fmax, bool(htk), norm, np.dtype(dtype)).copy()


def _check_norm(norm) -> None:
    if norm is None or norm == "slaney":
        return
    if isinstance(norm, str) or isinstance(norm, bool) or not isinstance(norm, numbers.Real) or not norm > 0:
        raise ValueError(f"norm: expected 'slaney', None or a number > 0 (an L_p norm), got {norm!r}")


@functools.lru_cache(maxsize=32)
def _mel_basis(sr: float, n_fft: int, n_mels: int, fmin: float, fmax: float, htk: bool, norm,
               dtype: np.dtype) -> np.ndarray:
    fftfreqs = fft_frequencies(sr=sr, n_fft=n_fft)  # (F,)
    mel_f = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)  # (M + 2,) triangle corners, Hz
    fdiff = np.diff(mel_f)  # (M + 1,)
    ramps = mel_f[:, None] - fftfreqs[None, :]  # (M + 2, F)
    lower = -ramps[:-2] / fdiff[:-1, None]  # rising edge of triangle i, (M, F)
    upper = ramps[2:] / fdiff[1:, None]  # falling edge
    weights = np.maximum(0.0, np.minimum(lower, upper)).astype(dtype)  # (M, F)
    if norm == "slaney":
        weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    elif norm is not None:
        weights = _normalize_rows(weights, norm)
    if not np.all((mel_f[:-2] == 0) | (weights.max(axis=1) > 0)):
        warnings.warn(
            "Empty filters detected in mel frequency basis. Some channels will produce empty responses. "
            "Try increasing your sampling rate (and fmax) or reducing n_mels.",
            UserWarning,
            stacklevel=4,
        )
    weights.setflags(write=False)
    return weights


def _normalize_rows(w: np.ndarray, p: float) -> np.ndarray:
    """Each row divided by its L_p norm; rows whose norm is below the dtype's tiny are left alone."""
    mag = np.abs(w).astype(w.dtype)
    if np.isinf(p):
        length = mag.max(axis=1, keepdims=True)
    else:
        length = np.sum(mag**p, axis=1, keepdims=True) ** (1.0 / p)
    length[length < np.finfo(w.dtype).tiny] = 1.0
    return w / length


# --------------------------------------------------------------------------------------------
# STFT and its inverse
# --------------------------------------------------------------------------------------------
def _check_signal(y) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind != "f":
        raise TypeError(f"y: expected a floating-point signal (float32 or float64), got dtype {y.dtype}")
    return check_array(y, "y", dtype=None, ndim=None if y.ndim else 1)


def _frame_params(n_fft, hop_length, win_length) -> tuple[int, int, int]:
    n_fft = check_int(n_fft, "n_fft", minimum=1)
    win_length = n_fft if win_length is None else check_int(win_length, "win_length", minimum=1, maximum=n_fft)
    hop_length = win_length // 4 if hop_length is None else check_int(hop_length, "hop_length", minimum=1)
    if hop_length < 1:
        raise ValueError(
            f"hop_length: expected an int >= 1, got {hop_length} (win_length // 4 with win_length={win_length})"
        )
    return n_fft, hop_length, win_length


def _frames(y: np.ndarray, n_fft: int, hop_length: int, center: bool, pad_mode: str) -> np.ndarray:
    """The frames of ``y`` as a strided view, time-major: (..., n_frames, n_fft)."""
    if center:
        check_option(pad_mode, "pad_mode", _PAD_MODES)
        if n_fft > y.shape[-1]:
            warnings.warn(f"n_fft={n_fft} is too large for input signal of length={y.shape[-1]}", UserWarning,
                          stacklevel=3)
        pad = [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        y = np.pad(y, pad, mode=pad_mode)
    elif n_fft > y.shape[-1]:
        raise ValueError(
            f"n_fft: expected at most the signal length {y.shape[-1]} when center=False, got {n_fft}"
        )
    return np.lib.stride_tricks.sliding_window_view(y, n_fft, axis=-1)[..., ::hop_length, :]


def _stft_time_major(y, n_fft, hop_length, win_length, window, center, pad_mode) -> np.ndarray:
    """rfft of the windowed frames in float64: (..., n_frames, 1 + n_fft // 2), complex128."""
    w = _fft_window(window, win_length, n_fft)  # (n_fft,)
    frames = _frames(y, n_fft, hop_length, center, pad_mode)  # (..., T, n_fft), a view
    return scipy.fft.rfft(frames * w, axis=-1)  # (..., T, F)


def stft(y, *, n_fft: int = 2048, hop_length: int | None = None, win_length: int | None = None,
         window="hann", center: bool = True, dtype=None, pad_mode: str = "constant") -> np.ndarray:
    """Short-time Fourier transform, equal to ``librosa.stft``.

    Parameters
    ----------
    y : ndarray of shape (..., n_samples), floating point
    n_fft : int, default=2048
        FFT size (frame length after zero-padding the window).
    hop_length : int, default=win_length // 4
    win_length : int, default=n_fft
    window : str, tuple, callable or array, default='hann'
        See :func:`get_window`.
    center : bool, default=True
        Pad ``n_fft // 2`` samples on both sides so frame t is centred on ``y[t * hop_length]``.
    dtype : complex dtype, default: complex64 for float32 input, complex128 for float64
    pad_mode : str, default='constant'
        ``np.pad`` mode for ``center``: 'constant', 'edge', 'linear_ramp', 'reflect', 'symmetric'.

    Returns
    -------
    ndarray of shape (..., 1 + n_fft // 2, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.audio import stft
    >>> stft(np.zeros(8000, dtype=np.float32), n_fft=256, hop_length=80).shape
    (129, 101)
    """
    y = _check_signal(y)
    n_fft, hop_length, win_length = _frame_params(n_fft, hop_length, win_length)
    if dtype is None:
        dtype = np.complex64 if y.dtype == np.float32 else np.complex128
    X = _stft_time_major(y, n_fft, hop_length, win_length, window, center, pad_mode)  # (..., T, F)
    return np.swapaxes(X.astype(dtype, copy=False), -1, -2)  # (..., F, T)


def istft(stft_matrix, *, hop_length: int | None = None, win_length: int | None = None, n_fft: int | None = None,
          window="hann", center: bool = True, dtype=None, length: int | None = None) -> np.ndarray:
    """Inverse STFT by weighted overlap-add (Griffin & Lim 1984), equal to ``librosa.istft``.

    The frames' inverse FFTs, multiplied by the window, are overlap-added and divided by the
    overlap-added squared window wherever it exceeds the dtype's ``tiny``.

    Parameters
    ----------
    stft_matrix : complex ndarray of shape (..., 1 + n_fft // 2, n_frames)
    hop_length, win_length, window, center
        As for :func:`stft`.
    n_fft : int, default=2 * (stft_matrix.shape[-2] - 1)
    dtype : real dtype, default: float32 for complex64 input, float64 for complex128
    length : int, optional
        Zero-pad or trim the output to exactly this many samples.

    Returns
    -------
    ndarray of shape (..., n_samples)

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.audio import stft, istft
    >>> y = np.random.default_rng(0).standard_normal(4000)
    >>> bool(np.allclose(istft(stft(y, n_fft=256), n_fft=256, length=4000), y))
    True
    """
    S = np.asarray(stft_matrix)
    if S.ndim < 2:
        raise ValueError(
            f"stft_matrix: expected an array of shape (..., 1 + n_fft // 2, n_frames), got shape {S.shape}"
        )
    if n_fft is None:
        n_fft = 2 * (S.shape[-2] - 1)
    n_fft, hop_length, win_length = _frame_params(n_fft, hop_length, win_length)
    if S.shape[-2] != 1 + n_fft // 2:
        raise ValueError(f"stft_matrix: expected {1 + n_fft // 2} frequency rows for n_fft={n_fft}, got {S.shape[-2]}")
    if length is not None:
        length = check_int(length, "length", minimum=1)
    if dtype is None:
        dtype = np.float32 if S.dtype == np.complex64 else np.float64
    n_frames = S.shape[-1]
    if length:  # frames past the requested length do not reach the output
        padded = length + 2 * (n_fft // 2) if center else length
        n_frames = min(n_frames, int(np.ceil(padded / hop_length)))
    w = _fft_window(window, win_length, n_fft)  # (n_fft,)
    frames = scipy.fft.irfft(np.swapaxes(S[..., :n_frames], -1, -2), n=n_fft, axis=-1) * w  # (..., T, n_fft)
    n_total = n_fft + hop_length * (n_frames - 1)
    y = _overlap_add(frames, hop_length, n_total, dtype)  # (..., n_total)
    wss = _overlap_add(np.broadcast_to(w**2, (n_frames, n_fft)), hop_length, n_total, dtype)  # (n_total,)
    start = n_fft // 2 if center else 0
    n_out = length if length else n_total - 2 * start
    y, wss = _fix_length(y[..., start:], n_out), _fix_length(wss[start:], n_out)
    nonzero = wss > np.finfo(wss.dtype).tiny
    y[..., nonzero] /= wss[nonzero]
    return y


def _overlap_add(frames: np.ndarray, hop: int, n_total: int, dtype) -> np.ndarray:
    """sum_t frames[..., t, :] placed at t * hop: (..., T, n) -> (..., n_total)."""
    *lead, T, n = frames.shape
    out = np.zeros((*lead, n_total), dtype=dtype)
    stride = -(-n // hop)  # frames this many apart do not overlap: add each such group in one slice
    for first in range(min(T, stride)):
        group = frames[..., first::stride, :]  # (..., G, n)
        G = group.shape[-2]
        block = np.zeros((*lead, G, stride * hop), dtype=frames.dtype)  # each frame in its own slot
        block[..., :n] = group
        flat = block.reshape(*lead, G * stride * hop)
        start = first * hop
        end = min(n_total, start + flat.shape[-1])
        out[..., start:end] += flat[..., : end - start]
    return out


def _fix_length(x: np.ndarray, size: int) -> np.ndarray:
    n = x.shape[-1]
    if n >= size:
        return x[..., :size]
    return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, size - n)])


# --------------------------------------------------------------------------------------------
# Mel spectrogram, decibels, MFCC
# --------------------------------------------------------------------------------------------
def melspectrogram(*, y=None, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                   win_length: int | None = None, window="hann", center: bool = True, pad_mode: str = "constant",
                   power: float = 2.0, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
                   htk: bool = False, norm="slaney", dtype=np.float32) -> np.ndarray:
    """Mel-scaled spectrogram ``W |STFT(y)|^power``, equal to ``librosa.feature.melspectrogram``.

    Parameters
    ----------
    y : ndarray of shape (..., n_samples), optional
        The signal; or give ``S``.
    sr : float, default=22050
    S : ndarray of shape (..., 1 + n_fft // 2, n_frames), optional
        A precomputed (power) spectrogram; ``n_fft`` is then taken from its rows.
    n_fft, hop_length, win_length, window, center, pad_mode
        As for :func:`stft` (note librosa's default hop of 512 here).
    power : float, default=2.0
        Exponent of the magnitude (1: energy, 2: power).
    n_mels, fmin, fmax, htk, norm, dtype
        As for :func:`mel_filters`.

    Returns
    -------
    ndarray of shape (..., n_mels, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.audio import melspectrogram
    >>> y = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype(np.float32)
    >>> melspectrogram(y=y, sr=8000, n_fft=256, hop_length=80, n_mels=40).shape
    (40, 101)
    """
    power = check_scalar(power, "power", minimum=0, include_minimum=False)
    if S is None:
        if y is None:
            raise ValueError("y: expected a signal (or give S, a spectrogram), got None")
        y = _check_signal(y)
        n_fft, hop_length, win_length = _frame_params(n_fft, hop_length, win_length)
        X = _stft_time_major(y, n_fft, hop_length, win_length, window, center, pad_mode)  # (..., T, F)
        cdtype = np.complex64 if y.dtype == np.float32 else np.complex128
        P = _magnitude_power(X.astype(cdtype, copy=False), power)  # (..., T, F)
        basis = _checked_basis(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype)  # (M, F)
        return np.swapaxes(P @ basis.T, -1, -2)  # (..., M, T)
    S = check_array(S, "S", dtype=None)
    if S.ndim < 2:
        raise ValueError(f"S: expected a spectrogram of shape (..., 1 + n_fft // 2, n_frames), got shape {S.shape}")
    if n_fft is None or n_fft // 2 + 1 != S.shape[-2]:
        n_fft = 2 * (S.shape[-2] - 1)
    basis = _checked_basis(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype)  # (M, F)
    return np.einsum("...ft,mf->...mt", S, basis, optimize=True)


def _magnitude_power(X: np.ndarray, power: float) -> np.ndarray:
    mag = np.abs(X)
    if power == 2.0:
        return np.square(mag, out=mag)
    if power == 1.0:
        return mag
    return mag**power


def _checked_basis(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype) -> np.ndarray:
    """The cached filter bank after the cheap argument checks."""
    sr = check_scalar(sr, "sr", minimum=0, include_minimum=False)
    n_mels = check_int(n_mels, "n_mels", minimum=1)
    fmax = float(sr) / 2 if fmax is None else check_scalar(fmax, "fmax", minimum=0)
    fmin = check_scalar(fmin, "fmin", minimum=0)
    if fmax <= fmin:
        raise ValueError(f"fmax: expected a frequency above fmin={fmin}, got {fmax}")
    _check_norm(norm)
    return _mel_basis(sr, n_fft, n_mels, fmin, fmax, bool(htk), norm, np.dtype(dtype))


def power_to_db(S, *, ref: float | Callable = 1.0, amin: float = 1e-10, top_db: float | None = 80.0) -> np.ndarray:
    """Power to decibels, ``10 log10(S / ref)`` made safe, equal to ``librosa.power_to_db``.

    Parameters
    ----------
    S : array-like
        Power values (complex input is reduced to its magnitude, with a warning, as librosa does).
    ref : float or callable, default=1.0
        The 0 dB level; a callable (e.g. ``np.max``) is applied to ``S``.
    amin : float, default=1e-10
        Floor applied to ``S`` and ``ref`` before the log.
    top_db : float or None, default=80.0
        Floor the output at ``max - top_db``.

    Examples
    --------
    >>> from mlcanon.audio import power_to_db
    >>> power_to_db([1.0, 10.0, 100.0]).tolist()
    [0.0, 10.0, 20.0]
    """
    S = np.asarray(S)
    amin = check_scalar(amin, "amin", minimum=0, include_minimum=False)
    if top_db is not None:
        top_db = check_scalar(top_db, "top_db", minimum=0)
    if np.iscomplexobj(S):
        warnings.warn("power_to_db was called on complex input so phase information will be discarded. "
                      "To suppress this warning, call power_to_db(np.abs(D)**2) instead.", UserWarning, stacklevel=2)
        S = np.abs(S)
    ref_value = ref(S) if callable(ref) else np.abs(ref)
    log_spec = 10.0 * np.log10(np.maximum(amin, S))
    log_spec -= 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def amplitude_to_db(S, *, ref: float | Callable = 1.0, amin: float = 1e-5, top_db: float | None = 80.0) -> np.ndarray:
    """Amplitude to decibels, ``power_to_db(|S|², ref=ref², amin=amin², top_db)``, equal to
    ``librosa.amplitude_to_db``.

    >>> from mlcanon.audio import amplitude_to_db
    >>> amplitude_to_db([1.0, 10.0]).tolist()
    [0.0, 20.0]
    """
    S = np.asarray(S)
    if np.iscomplexobj(S):
        warnings.warn("amplitude_to_db was called on complex input so phase information will be discarded. "
                      "To suppress this warning, call amplitude_to_db(np.abs(S)) instead.", UserWarning, stacklevel=2)
    magnitude = np.abs(S)
    ref_value = ref(magnitude) if callable(ref) else np.abs(ref)
    amin = check_scalar(amin, "amin", minimum=0, include_minimum=False)
    return power_to_db(np.square(magnitude), ref=ref_value**2, amin=amin**2, top_db=top_db)


def mfcc(*, y=None, sr: float = 22050, S=None, n_mfcc: int = 20, dct_type: int = 2, norm: str | None = "ortho",
         lifter: float = 0, mel_norm="slaney", n_fft: int = 2048, hop_length: int = 512,
         win_length: int | None = None, window="hann", center: bool = True, pad_mode: str = "constant",
         power: float = 2.0, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
         htk: bool = False) -> np.ndarray:
    """Mel-frequency cepstral coefficients (Davis & Mermelstein 1980), equal to ``librosa.feature.mfcc``.

    Parameters
    ----------
    y : ndarray of shape (..., n_samples), optional
    sr : float, default=22050
    S : ndarray of shape (..., n_mels, n_frames), optional
        A log-power mel spectrogram (e.g. ``power_to_db(melspectrogram(...))``) instead of ``y``.
    n_mfcc : int, default=20
    dct_type : {1, 2, 3, 4}, default=2
    norm : {'ortho', None}, default='ortho'
        Normalisation of the DCT (``scipy.fft.dct``).
    lifter : float, default=0
        Cepstral liftering ``1 + (lifter / 2) sin(pi (k + 1) / lifter)``; 0 turns it off.
    mel_norm : 'slaney', None or a number
        ``norm`` of the mel filter bank.
    n_fft, hop_length, win_length, window, center, pad_mode, power, n_mels, fmin, fmax, htk
        As for :func:`melspectrogram`.

    Returns
    -------
    ndarray of shape (..., n_mfcc, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.audio import mfcc
    >>> y = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype(np.float32)
    >>> mfcc(y=y, sr=8000, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40).shape
    (13, 101)
    """
    n_mfcc = check_int(n_mfcc, "n_mfcc", minimum=1)
    check_option(dct_type, "dct_type", (1, 2, 3, 4))
    check_option(norm, "norm", ("ortho", None))
    lifter = check_scalar(lifter, "lifter", minimum=0)
    if S is None:
        S = power_to_db(melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                                       window=window, center=center, pad_mode=pad_mode, power=power,
                                       n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=mel_norm))
    else:
        S = check_array(S, "S", dtype=None)
        if S.ndim < 2:
            raise ValueError(f"S: expected a log-mel spectrogram of shape (..., n_mels, n_frames), got shape {S.shape}")
    M = scipy.fft.dct(S, axis=-2, type=dct_type, norm=norm)[..., :n_mfcc, :]  # (..., n_mfcc, T)
    if lifter > 0:
        k = np.arange(1, 1 + M.shape[-2], dtype=M.dtype)
        M *= (1 + lifter / 2 * np.sin(np.pi * k / lifter))[:, None]
    return M

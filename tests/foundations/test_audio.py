"""mlcanon.audio against librosa on the FSDD recordings and random signals; WAV reading against
libsndfile (soundfile, what librosa.load uses); the FSDD registry against its README.

Tolerance ("equal to 1e-4 relative"): for every feature matrix, max|ours - librosa| / max|librosa|
<= 1e-4, with shapes and dtypes equal. Relative to the matrix's maximum, not entry by entry:
float32 rounding (storage of the spectrum as complex64, float32 BLAS sums in a different order)
produces errors proportional to the largest entries, so entries near zero (an STFT bin between
harmonics, a dB value near 0 dB) can only be matched to that level, while an entrywise rtol
would fail on them for no fault of the formula. Measured differences are ~1e-7, float32's eps.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import audio, data

librosa = pytest.importorskip("librosa")
soundfile = pytest.importorskip("soundfile")
wavfile = pytest.importorskip("scipy.io.wavfile")

RTOL = 1e-4


def assert_close(ours, ref, rtol=RTOL):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype
    scale = np.max(np.abs(ref))
    assert np.max(np.abs(ours - ref)) <= rtol * scale, np.max(np.abs(ours - ref)) / scale


@pytest.fixture(scope="module")
def fsdd_test():
    return data.load("fsdd", "test")


@pytest.fixture(scope="module")
def recordings(fsdd_test):
    """12 test recordings: two per speaker, different digits, the shortest and the longest included."""
    lengths = np.array([len(s) for s in fsdd_test.signals])
    picked = list(range(0, 300, 27)) + [int(lengths.argmin()), int(lengths.argmax())]
    return [fsdd_test.signals[i] for i in sorted(set(picked))]


# ---------------------------------------------------------------------------------------------
# The data set
# ---------------------------------------------------------------------------------------------
def test_fsdd_counts_match_the_readme():
    train, test = data.load("fsdd", "train"), data.load("fsdd", "test")
    assert (len(train), len(test)) == (2700, 300)
    assert data.splits("fsdd") == ("train", "test")
    labels = list(train.labels) + list(test.labels)
    speakers = train.speakers + test.speakers
    assert Counter(labels) == {d: 300 for d in range(10)}
    assert Counter(speakers) == {s: 500 for s in ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")}
    assert train.sample_rate == test.sample_rate == 8000
    seconds = np.array([len(s) for s in train.signals + test.signals]) / 8000
    # README: min 0.14 s, mean 0.44 s, max 2.28 s
    assert (round(seconds.min(), 2), round(seconds.mean(), 2), round(seconds.max(), 2)) == (0.14, 0.44, 2.28)
    assert all(s.dtype == np.float32 and s.ndim == 1 for s in test.signals)
    # the split: indices 0-4 of every speaker and digit are the test set
    assert all(int(f[:-4].split("_")[2]) < 5 for f in test.files)
    assert all(int(f[:-4].split("_")[2]) >= 5 for f in train.files)
    assert test.files[0] == "0_george_0.wav" and test.labels[0] == 0 and test.speakers[0] == "george"


def test_fsdd_signals_equal_librosa_load(fsdd_test):
    # int16 / 2**15 is exact in float32, so the samples are bit-identical on any CPU
    folder = data.path("fsdd") / "recordings"
    for i in range(0, 300, 37):
        ref, sr = librosa.load(folder / fsdd_test.files[i], sr=None)
        assert sr == 8000
        np.testing.assert_array_equal(fsdd_test.signals[i], ref)


# ---------------------------------------------------------------------------------------------
# WAV reading
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("channels", [1, 2])
def test_read_wav_formats_equal_soundfile(tmp_path, dtype, channels):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (500, channels)).squeeze()
    if dtype == np.uint8:
        raw = np.round(x * 127 + 128).astype(np.uint8)
    elif np.issubdtype(dtype, np.integer):
        raw = np.round(x * (np.iinfo(dtype).max - 1)).astype(dtype)
    else:
        raw = x.astype(dtype)
    path = tmp_path / "x.wav"
    wavfile.write(path, 16000, raw)
    ref, sr = soundfile.read(path, dtype="float32", always_2d=True)  # (N, C)
    y, sr_ours = audio.read_wav(path, mono=False)
    assert sr_ours == sr == 16000 and y.dtype == np.float32
    # 32-bit integers do not fit float32's 24-bit mantissa: libsndfile may round differently by 1 ulp
    atol = 1.2e-7 if dtype == np.int32 else 0.0
    np.testing.assert_allclose(y, ref.T.squeeze(), rtol=0, atol=atol)
    mono, _ = audio.read_wav(path)
    lib, _ = librosa.load(path, sr=None)
    np.testing.assert_allclose(mono, lib, rtol=0, atol=atol + 1e-7)  # the channel mean rounds in float32


def test_read_wav_errors_name_the_file(tmp_path):
    bad = tmp_path / "not_audio.wav"
    bad.write_bytes(b"hello, this is not RIFF")
    with pytest.raises(ValueError, match=r"not_audio\.wav: could not be read as a WAV file"):
        audio.read_wav(bad)
    big = tmp_path / "int64.wav"
    wavfile.write(big, 8000, np.arange(10, dtype=np.int64))
    with pytest.raises(ValueError, match=r"int64\.wav: expected 8-bit unsigned, 16- or 32-bit integer .* got int64"):
        audio.read_wav(big)
    with pytest.raises(FileNotFoundError):
        audio.read_wav(tmp_path / "missing.wav")


# ---------------------------------------------------------------------------------------------
# Mel scale and filter bank
# ---------------------------------------------------------------------------------------------
def test_mel_scale_by_hand_and_against_librosa():
    assert audio.hz_to_mel(1000.0) == pytest.approx(15.0) and audio.mel_to_hz(15.0) == pytest.approx(1000.0)
    assert audio.hz_to_mel(200.0) == pytest.approx(3.0)  # 3 mel per 200 Hz below 1 kHz
    assert audio.hz_to_mel(700.0, htk=True) == pytest.approx(2595 * np.log10(2))
    f = np.array([0.0, 50.0, 440.0, 999.9, 1000.0, 4000.0, 11025.0])
    for htk in (False, True):
        np.testing.assert_allclose(audio.hz_to_mel(f, htk=htk), librosa.hz_to_mel(f, htk=htk), rtol=1e-14)
        m = audio.hz_to_mel(f, htk=htk)
        np.testing.assert_allclose(audio.mel_to_hz(m, htk=htk), f, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(audio.mel_to_hz(m, htk=htk), librosa.mel_to_hz(m, htk=htk), rtol=1e-14)
        np.testing.assert_allclose(audio.mel_frequencies(40, fmin=20, fmax=4000, htk=htk),
                                   librosa.mel_frequencies(40, fmin=20, fmax=4000, htk=htk), rtol=1e-14)


@pytest.mark.parametrize("sr, n_fft, n_mels, fmin, fmax", [
    (8000, 256, 40, 0.0, None), (8000, 2048, 128, 0.0, None), (16000, 512, 80, 20.0, 7600.0),
    (22050, 2048, 128, 0.0, None), (8000, 200, 23, 300.0, 3400.0),
])
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None, 1, 2.0, np.inf])
def test_mel_filters_equal_librosa(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_mels=128 at 8 kHz has empty filters; both warn
        ours = audio.mel_filters(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
        ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
    assert_close(ours, ref, rtol=1e-6)  # float32 entries, both computed in float64 first


def test_mel_filters_float64_and_empty_filter_warning():
    ours = audio.mel_filters(sr=22050, n_fft=1024, n_mels=64, dtype=np.float64)
    ref = librosa.filters.mel(sr=22050, n_fft=1024, n_mels=64, dtype=np.float64)
    assert_close(ours, ref, rtol=1e-13)
    with pytest.warns(UserWarning, match="Empty filters detected in mel frequency basis"):
        audio.mel_filters(sr=8000, n_fft=64, n_mels=100)


# ---------------------------------------------------------------------------------------------
# STFT and iSTFT
# ---------------------------------------------------------------------------------------------
STFT_OPTIONS = [
    dict(),
    dict(n_fft=256, hop_length=80),
    dict(n_fft=512, win_length=400, hop_length=160, window="hamming"),
    dict(n_fft=256, hop_length=64, window="blackman", center=False),
    dict(n_fft=255, hop_length=33, pad_mode="reflect"),
    dict(n_fft=512, hop_length=128, window=("kaiser", 8.0), pad_mode="edge"),
    dict(n_fft=400, hop_length=100, window=np.bartlett(400)),
]


@pytest.mark.parametrize("options", STFT_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()
                                                                         if k != "window" or isinstance(v, str)))
def test_stft_istft_equal_librosa_on_fsdd(recordings, options):
    for y in recordings[:6]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # n_fft=2048 is longer than the shortest recording: both warn
            ours, ref = audio.stft(y, **options), librosa.stft(y, **options)
        assert_close(ours, ref)
        inv = {k: v for k, v in options.items() if k != "pad_mode"}
        assert_close(audio.istft(ours, **inv), librosa.istft(ref, **inv))
        assert_close(audio.istft(ours, length=len(y), **inv), librosa.istft(ref, length=len(y), **inv))


def test_stft_float64_multichannel_and_dtype():
    rng = np.random.default_rng(1)
    y = rng.standard_normal((2, 3000))  # (channels, samples)
    ours, ref = audio.stft(y, n_fft=512, hop_length=100), librosa.stft(y, n_fft=512, hop_length=100)
    assert ours.dtype == np.complex128
    assert_close(ours, ref, rtol=1e-12)
    inv = audio.istft(ours, hop_length=100)  # (2, n); librosa per channel (its 2-D path JIT-compiles for ~20 s)
    for c in range(2):
        assert_close(inv[c], librosa.istft(ref[c], hop_length=100), rtol=1e-12)
    assert audio.stft(y[0], n_fft=256, dtype=np.complex64).dtype == np.complex64
    with pytest.warns(UserWarning, match="n_fft=2048 is too large for input signal of length=1000"):
        audio.stft(y[0, :1000])


def test_istft_inverts_stft():
    # hann at hop n_fft/4 satisfies the overlap-add condition: the original comes back
    y = np.random.default_rng(2).standard_normal(5000)
    np.testing.assert_allclose(audio.istft(audio.stft(y, n_fft=512), length=5000), y, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(300, 3000), n_fft=st.integers(16, 300), hop=st.integers(1, 120), center=st.booleans(),
       window=st.sampled_from(["hann", "hamming", "blackman", "boxcar"]), seed=st.integers(0, 2**16))
def test_stft_equals_librosa_on_random_signals(n, n_fft, hop, center, window, seed):
    y = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    assert_close(audio.stft(y, n_fft=n_fft, hop_length=hop, window=window, center=center),
                 librosa.stft(y, n_fft=n_fft, hop_length=hop, window=window, center=center))


# ---------------------------------------------------------------------------------------------
# Mel spectrogram, dB, MFCC
# ---------------------------------------------------------------------------------------------
MEL_OPTIONS = [
    dict(),
    dict(n_fft=256, hop_length=80, n_mels=40),
    dict(n_fft=512, hop_length=128, win_length=400, window="hamming", n_mels=64, fmin=50.0, fmax=3800.0,
         htk=True, norm=None),
    dict(n_fft=256, hop_length=64, n_mels=32, center=False, power=1.0, norm=2.0),
    dict(n_fft=400, hop_length=160, n_mels=40, pad_mode="reflect"),
]


@pytest.mark.parametrize("options", MEL_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_logmel_equal_librosa_on_fsdd(recordings, options):
    for y in recordings:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = audio.melspectrogram(y=y, sr=8000, **options)
            ref = librosa.feature.melspectrogram(y=y, sr=8000, **options)
        assert_close(ours, ref)
        assert_close(audio.power_to_db(ours), librosa.power_to_db(ref))
        assert_close(audio.power_to_db(ours, ref=np.max, top_db=None), librosa.power_to_db(ref, ref=np.max, top_db=None))
        assert_close(audio.amplitude_to_db(ours, ref=np.max), librosa.amplitude_to_db(ref, ref=np.max))


MFCC_OPTIONS = [
    dict(),
    dict(n_mfcc=13, n_fft=256, hop_length=80, n_mels=40),
    dict(n_mfcc=13, n_fft=256, hop_length=80, n_mels=40, lifter=22),
    dict(n_mfcc=20, dct_type=3, n_fft=512, hop_length=160, n_mels=64),
    dict(n_mfcc=40, dct_type=2, norm=None, n_fft=256, hop_length=80, n_mels=40, htk=True, mel_norm=None),
    dict(n_mfcc=12, dct_type=3, norm=None, n_fft=256, hop_length=100, n_mels=26, fmin=133.0, fmax=3500.0,
         window="hamming", lifter=12),
]


@pytest.mark.parametrize("options", MFCC_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_mfcc_equal_librosa_on_fsdd(recordings, options):
    for y in recordings:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, ref = audio.mfcc(y=y, sr=8000, **options), librosa.feature.mfcc(y=y, sr=8000, **options)
        assert_close(ours, ref)


def test_features_from_spectrogram_input_and_random_signals():
    rng = np.random.default_rng(3)
    y = rng.standard_normal((2, 8000)).astype(np.float32)  # two channels
    S = np.abs(librosa.stft(y, n_fft=512)) ** 2
    assert_close(audio.melspectrogram(S=S, sr=16000, n_mels=48), librosa.feature.melspectrogram(S=S, sr=16000, n_mels=48))
    assert_close(audio.melspectrogram(y=y, sr=16000), librosa.feature.melspectrogram(y=y, sr=16000))
    logmel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=16000))
    assert_close(audio.mfcc(S=logmel, n_mfcc=13), librosa.feature.mfcc(S=logmel, n_mfcc=13))
    assert_close(audio.mfcc(y=y, sr=16000, lifter=22), librosa.feature.mfcc(y=y, sr=16000, lifter=22))
    z = rng.standard_normal((30, 40))
    assert_close(audio.power_to_db(z**2, amin=1e-3, top_db=30.0), librosa.power_to_db(z**2, amin=1e-3, top_db=30.0))
    assert audio.power_to_db([1.0, 10.0, 1e-12], top_db=None).tolist() == [0.0, 10.0, -100.0]


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
def test_errors_name_the_argument():
    y = np.zeros(1000, dtype=np.float32)
    with pytest.raises(TypeError, match="y: expected a floating-point signal .* got dtype int16"):
        audio.stft(np.zeros(100, dtype=np.int16))
    with pytest.raises(ValueError, match="y: expected finite values, got NaN"):
        audio.stft(np.array([0.0, np.nan] * 600))
    with pytest.raises(ValueError, match="n_fft: expected an int >= 1, got 0"):
        audio.stft(y, n_fft=0)
    with pytest.raises(ValueError, match="win_length: expected an int <= 256, got 300"):
        audio.stft(y, n_fft=256, win_length=300)
    with pytest.raises(ValueError, match="hop_length: expected an int >= 1, got 0"):
        audio.stft(y, n_fft=256, hop_length=0)
    with pytest.raises(ValueError, match="pad_mode: expected one of 'constant', .* got 'wrap'"):
        audio.stft(y, n_fft=256, pad_mode="wrap")
    with pytest.raises(ValueError, match="n_fft: expected at most the signal length 1000 when center=False, got 2048"):
        audio.stft(y, center=False)
    with pytest.raises(ValueError, match="window: expected a window known to scipy.signal.get_window, got 'hanning-ish'"):
        audio.stft(y, n_fft=256, window="hanning-ish")
    with pytest.raises(ValueError, match=r"window: expected an array of length 256 \(win_length\), got length 10"):
        audio.stft(y, n_fft=256, window=np.ones(10))
    with pytest.raises(TypeError, match="window: expected a name, tuple, callable or array, got dict"):
        audio.stft(y, n_fft=256, window={"hann": 1})
    with pytest.raises(ValueError, match=r"stft_matrix: expected 129 frequency rows for n_fft=256, got 10"):
        audio.istft(np.zeros((10, 4), dtype=np.complex64), n_fft=256)
    with pytest.raises(ValueError, match=r"stft_matrix: expected an array of shape"):
        audio.istft(np.zeros(10, dtype=np.complex64))
    with pytest.raises(ValueError, match="norm: expected 'slaney', None or a number > 0"):
        audio.mel_filters(sr=8000, n_fft=256, norm="htk")
    with pytest.raises(ValueError, match="fmax: expected a frequency above fmin=500.0, got 400.0"):
        audio.mel_filters(sr=8000, n_fft=256, fmin=500, fmax=400)
    with pytest.raises(ValueError, match="sr: expected a number > 0, got 0.0"):
        audio.mel_filters(sr=0, n_fft=256)
    with pytest.raises(ValueError, match=r"y: expected a signal \(or give S, a spectrogram\), got None"):
        audio.melspectrogram(sr=8000)
    with pytest.raises(ValueError, match="S: expected a spectrogram of shape"):
        audio.melspectrogram(S=np.ones(5))
    with pytest.raises(ValueError, match="power: expected a number > 0, got 0.0"):
        audio.melspectrogram(y=y, power=0)
    with pytest.raises(ValueError, match="dct_type: expected one of 1, 2, 3, 4, got 5"):
        audio.mfcc(y=y, dct_type=5)
    with pytest.raises(ValueError, match="norm: expected one of 'ortho', None, got 'l2'"):
        audio.mfcc(y=y, norm="l2")
    with pytest.raises(ValueError, match="lifter: expected a number >= 0, got -1.0"):
        audio.mfcc(y=y, lifter=-1)
    with pytest.raises(ValueError, match="S: expected a log-mel spectrogram of shape"):
        audio.mfcc(S=np.ones(5))
    with pytest.raises(ValueError, match="amin: expected a number > 0, got 0.0"):
        audio.power_to_db(np.ones(3), amin=0)
    with pytest.raises(ValueError, match="top_db: expected a number >= 0, got -1.0"):
        audio.power_to_db(np.ones(3), top_db=-1)
    with pytest.warns(UserWarning, match="power_to_db was called on complex input"):
        audio.power_to_db(np.ones(3, dtype=complex))


def test_no_torch_at_import():
    code = "import sys, mlcanon.audio; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)

"""Tests for lessons_lib.audio (notebook 03): the front end against independent implementations,
the notebook's hand-written cells against the library, and clear errors on bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lessons_lib import audio

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_log_mel_convolutions.ipynb"
SR = 8000


def tone(freq=440.0, seconds=0.5, sr=SR):
    t = np.arange(int(sr * seconds)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture(scope="module")
def hand_written():
    """The notebook's cells tagged 'front-end-by-hand', executed on their own."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    namespace = {"np": np}
    sources = ["".join(c["source"]) for c in cells
               if c["cell_type"] == "code" and "front-end-by-hand" in c.get("metadata", {}).get("tags", [])]
    assert len(sources) >= 3, "the notebook should tag its hand-written front-end cells"
    for source in sources:
        exec(source, namespace)
    return namespace


# --- mel scale and filterbank -------------------------------------------------------------------
def test_mel_scale_known_values_and_inverse():
    assert audio.hz_to_mel(0) == 0
    assert abs(audio.hz_to_mel(1000) - 1000) < 0.1          # 1000 Hz ~ 1000 mel by construction
    f = np.array([0, 100, 440, 1000, 3999])
    assert np.allclose(audio.mel_to_hz(audio.hz_to_mel(f)), f)


def interp_filterbank(n_mels, n_fft, sr, f_min=0.0):
    """Independent formulation: each filter is np.interp of the FFT bin frequencies through (lo, 0), (c, 1), (hi, 0),
    with the mel edges computed through natural logs (1127 · ln(1 + f/700))."""
    mel = lambda f: 1127.0 * np.log1p(np.asarray(f, float) / 700.0)
    hz = lambda m: 700.0 * np.expm1(np.asarray(m, float) / 1127.0)
    edges = hz(np.linspace(mel(f_min), mel(sr / 2), n_mels + 2))
    bins = np.linspace(0, sr / 2, n_fft // 2 + 1)
    return np.stack([np.interp(bins, edges[m:m + 3], [0.0, 1.0, 0.0], left=0, right=0) for m in range(n_mels)])


@pytest.mark.parametrize("n_mels,n_fft,f_min", [(80, 256, 0.0), (80, 512, 0.0), (40, 256, 0.0), (80, 1024, 100.0)])
def test_filterbank_matches_interp_formulation(n_mels, n_fft, f_min):
    ours = audio.mel_filterbank(n_mels, n_fft, SR, f_min)
    assert ours.shape == (n_mels, n_fft // 2 + 1)
    assert np.abs(ours - interp_filterbank(n_mels, n_fft, SR, f_min)).max() < 1e-5


@pytest.mark.parametrize("n_mels,n_fft", [(80, 256), (80, 512), (40, 512)])
def test_filterbank_matches_librosa(n_mels, n_fft, hand_written):
    librosa = pytest.importorskip("librosa")
    reference = librosa.filters.mel(sr=SR, n_fft=n_fft, n_mels=n_mels, htk=True, norm=None, fmin=0.0, fmax=SR / 2)
    assert np.abs(audio.mel_filterbank(n_mels, n_fft, SR) - reference).max() < 1e-5
    assert np.abs(hand_written["triangular_mel_filterbank"](n_mels, n_fft, SR) - reference).max() < 1e-5


def test_notebook_filterbank_and_mel_match_library(hand_written):
    for n_mels, n_fft in [(80, 256), (80, 512), (40, 1024)]:
        by_hand = hand_written["triangular_mel_filterbank"](n_mels, n_fft, SR)
        assert np.abs(by_hand - audio.mel_filterbank(n_mels, n_fft, SR)).max() < 1e-5
    f = np.linspace(0, 4000, 17)
    assert np.allclose(hand_written["hz_to_mel"](f), audio.hz_to_mel(f))
    assert np.allclose(hand_written["mel_to_hz"](audio.hz_to_mel(f)), f)


def test_degenerate_filters_at_8khz():
    assert audio.count_degenerate_filters(audio.mel_filterbank(80, 256, SR)) > 0
    assert audio.count_degenerate_filters(audio.mel_filterbank(80, 512, SR)) == 0
    assert audio.count_degenerate_filters(audio.mel_filterbank(40, 256, SR)) == 0
    empty = np.zeros((3, 10)); empty[0, 2:5] = 1
    assert audio.count_degenerate_filters(empty) == 2


# --- framing, window, spectrum, log-mel ------------------------------------------------------------
def test_framing_counts_and_content():
    x = np.arange(1000, dtype=np.float32)
    frames = audio.frame_signal(x, 200, 80)
    assert frames.shape == (1 + (1000 - 200) // 80, 200)
    assert frames[3, 0] == 240 and frames[3, -1] == 439


def test_window_and_power_spectrum_of_a_tone():
    assert np.allclose(audio.hamming_window(200), np.hamming(200))
    frames = audio.frame_signal(tone(1000.0), 200, 80) * audio.hamming_window(200)
    power = audio.power_spectrum(frames, 512)
    assert power.shape == (len(frames), 257)
    assert abs(np.fft.rfftfreq(512, 1 / SR)[power[0].argmax()] - 1000) < 16      # peak at the tone


def test_log_mel_matches_scipy_stft_pipeline():
    """Independent pipeline: scipy.signal.stft frames/windows/FFTs the clip; compare log-mel energies."""
    signal = pytest.importorskip("scipy.signal")
    x = tone(700.0, 0.4) + 0.01 * np.random.default_rng(0).standard_normal(3200).astype(np.float32)
    _, _, Z = signal.stft(x, fs=SR, window=np.hamming(200), nperseg=200, noverlap=120, nfft=512,
                          boundary=None, padded=False, detrend=False, scaling="spectrum")
    power = np.abs(Z.T * np.hamming(200).sum()) ** 2      # undo scipy's 'spectrum' scaling
    reference = np.log(power @ interp_filterbank(80, 512, SR).T + 1e-6)
    ours = audio.log_mel_spectrogram(x, SR, n_mels=80, n_fft=512)
    assert ours.shape == reference.shape == (1 + (3200 - 200) // 80, 80)
    assert np.abs(ours - reference).max() < 1e-3


def test_deltas_match_savgol_and_notebook(hand_written):
    signal = pytest.importorskip("scipy.signal")
    c = np.random.default_rng(1).standard_normal((30, 5)).astype(np.float32)
    ours = audio.deltas(c, 2)
    reference = signal.savgol_filter(c, window_length=5, polyorder=1, deriv=1, axis=0, mode="nearest")
    assert np.abs(ours - reference).max() < 1e-5
    assert np.abs(hand_written["delta_by_hand"](c) - ours).max() < 1e-5
    stacked = audio.stack_with_deltas(c)
    assert stacked.shape == (30, 5, 3) and np.allclose(stacked[..., 2], audio.deltas(ours))


def test_deltas_match_librosa():
    librosa = pytest.importorskip("librosa")
    c = np.random.default_rng(2).standard_normal((30, 6)).astype(np.float32)
    reference = librosa.feature.delta(c.T, width=5, order=1, mode="nearest").T
    assert np.abs(audio.deltas(c, 2) - reference).max() < 1e-5


def test_limit_dynamic_range_matches_librosa_power_to_db():
    """The floor in natural-log units equals librosa's top_db clamp in decibels."""
    librosa = pytest.importorskip("librosa")
    x = tone(500.0, 0.3) * np.linspace(0, 1, 2400, dtype=np.float32) ** 3     # a fade-in: deep quiet start
    power = np.exp(audio.log_mel_spectrogram(x, SR, n_mels=40).astype(np.float64))
    for top_db in (20.0, 40.0, 60):
        ours = audio.limit_dynamic_range(np.log(power), top_db) * 10 / np.log(10)
        reference = librosa.power_to_db(power, ref=1.0, amin=1e-30, top_db=top_db)
        assert np.abs(ours - reference).max() < 1e-3
        assert np.isclose(ours.max() - ours.min(), top_db, atol=1e-3)     # the fade really reaches the floor


def test_limit_dynamic_range_in_features_and_bad_input():
    noise = np.random.default_rng(3).normal(0, 2000, 1000) * np.linspace(0.001, 1, 1000)
    data = {"audio": noise.astype(np.int16), "offsets": np.array([0, 1000]), "sample_rate": np.array(8000, np.int32)}
    floored = audio.fsdd_features(data, [0], n_frames=12, n_mels=40, top_db=20)[0, 0]
    assert floored.max() - floored.min() <= 20 * np.log(10) / 10 + 1e-5
    assert not np.allclose(floored, audio.fsdd_features(data, [0], n_frames=12, n_mels=40)[0, 0])
    with pytest.raises(ValueError, match="top_db must be a positive number"):
        audio.limit_dynamic_range(np.zeros((4, 40)), -40)
    with pytest.raises(ValueError, match="top_db must be a positive number"):
        audio.limit_dynamic_range(np.zeros((4, 40)), "40")
    with pytest.raises(ValueError, match=r"\(T, n_mels\)"):
        audio.limit_dynamic_range(np.zeros((2, 4, 40)))


def test_fit_frames_crops_loudest_and_pads_with_background():
    x = np.zeros((100, 4), np.float32); x[60:70] = 5
    cropped = audio.fit_frames(x, 20)
    assert cropped.shape == (20, 4) and cropped.sum() == 5 * 10 * 4
    short = np.full((6, 4), 2.0, np.float32); short[2] = 9
    padded = audio.fit_frames(short, 10)
    assert padded.shape == (10, 4) and padded[0, 0] == 2 and padded[2 + 2, 0] == 9


def test_speed_perturb_lengths():
    x = tone(seconds=1.0)
    assert abs(len(audio.speed_perturb(x, 1.1)) - 8000 / 1.1) < 2
    assert abs(len(audio.speed_perturb(x, 0.9)) - 8000 / 0.9) < 2
    assert np.array_equal(audio.speed_perturb(x, 1.0), x)


# --- torch parts ------------------------------------------------------------------------------
def test_spec_augment_masks_only_in_training():
    layer = audio.SpecAugment(time_masks=2, time_width=5, freq_masks=2, freq_width=5)
    x = torch.ones(4, 3, 30, 16)
    torch.manual_seed(0)
    masked = layer.train()(x)
    assert masked.shape == x.shape and (masked == 0).any() and (masked == 1).any()
    assert torch.equal(masked[:, 0], masked[:, 1])                       # a mask covers every channel
    assert torch.equal(layer.eval()(x), x)


def test_speech_model_shapes():
    model = audio.build_speech_model()
    x = torch.randn(2, 3, 64, 80)
    model.eval()
    assert tuple(model[:2](x).shape) == (2, 32, 16, 20)
    for pooling in ("max", "mean", "meanstd"):
        net = audio.build_speech_model(pooling=pooling, spec_augment=audio.SpecAugment())
        assert tuple(net(x).shape) == (2, 10)


def test_fsdd_clip_and_features():
    noise = np.random.default_rng(3).normal(0, 2000, 1000) * np.linspace(0.2, 1, 1000)
    data = {"audio": noise.astype(np.int16), "offsets": np.array([0, 400, 1000]),
            "sample_rate": np.array(8000, np.int32)}
    clip = audio.fsdd_clip(data, 1)
    assert clip.dtype == np.float32 and clip.shape == (600,) and abs(clip).max() <= 1
    features = audio.fsdd_features(data, [0, 1], n_frames=16)
    assert features.shape == (2, 3, 16, 80)
    assert len(audio.log_mel_spectrogram(clip, SR)) == 6          # 600 samples = 6 frames
    centred = audio.fsdd_features(data, [1], n_frames=6, normalize="mean")
    assert np.allclose(centred[0, 0].mean(axis=0), 0, atol=1e-4)
    scaled = audio.fsdd_features(data, [1], n_frames=6, remove_dc=True, normalize="mean+variance")
    assert np.allclose(scaled[0, 0].std(axis=0), 1, atol=1e-2)
    with pytest.raises(IndexError, match=r"\[0, 2\)"):
        audio.fsdd_clip(data, 2)


# --- bad input → clear errors --------------------------------------------------------------------
def test_wrong_sample_rate_is_rejected():
    with pytest.raises(ValueError, match="expected audio sampled at 8000 Hz, got 16000 Hz"):
        audio.log_mel_spectrogram(tone(), 16000)
    with pytest.raises(TypeError, match="sample_rate must be an int"):
        audio.check_waveform(tone(), 8000.5)


def test_stereo_is_rejected():
    stereo = np.stack([tone(), tone()])
    with pytest.raises(ValueError, match=r"mono waveform.*\(2, 4000\).*mean\(axis=0\)"):
        audio.log_mel_spectrogram(stereo, SR)
    with pytest.raises(ValueError, match=r"reshape\(-1\)"):
        audio.check_waveform(tone()[None], SR)


def test_empty_and_too_short_clips_are_rejected():
    with pytest.raises(ValueError, match="empty clip"):
        audio.log_mel_spectrogram(np.zeros(0, np.float32), SR)
    with pytest.raises(ValueError, match="fewer than one frame of 200"):
        audio.log_mel_spectrogram(np.zeros(150, np.float32), SR)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="NaN"):
        audio.check_waveform(np.array([0.0, np.nan, 0.1]), SR)
    with pytest.raises(TypeError, match="int16 or float"):
        audio.check_waveform(np.zeros(400, np.int32), SR)
    with pytest.raises(ValueError, match="shorter than the frame"):
        audio.power_spectrum(np.zeros((3, 200)), 128)
    with pytest.raises(ValueError, match="Nyquist"):
        audio.mel_filterbank(80, 512, SR, f_max=6000)
    with pytest.raises(ValueError, match=r"\(N, C, T, F\)"):
        audio.spec_augment(torch.zeros(3, 20, 8))
    with pytest.raises(ValueError, match="pooling mode"):
        audio.TimePooling("median")
    with pytest.raises(ValueError, match="speed factor"):
        audio.speed_perturb(tone(), 3.0)


# --- one-cycle schedule ------------------------------------------------------------------------------
# --- time and frequency warping ---------------------------------------------------------------------------
def test_time_frequency_warp_without_change_is_the_identity():
    x = torch.randn(3, 2, 16, 8)
    assert torch.allclose(audio.time_frequency_warp(x, max_stretch=0.0, max_warp=0.0), x, atol=1e-5)


def test_time_frequency_warp_moves_bands_by_a_factor_within_range():
    bands = torch.arange(40, dtype=torch.float32).expand(64, 1, 20, 40).clone()      # value = band index
    warped = audio.time_frequency_warp(bands, max_stretch=0.0, max_warp=0.1, generator=torch.Generator().manual_seed(0))
    # output band f reads input band f / a; away from the top edge the profile is a line of slope 1 / a
    slopes = (warped[:, 0, 0, 20] - warped[:, 0, 0, 10]) / 10
    assert torch.all(slopes >= 1 / 1.1 - 1e-4) and torch.all(slopes <= 1.1 + 1e-4)
    assert slopes.std() > 0.01                                             # each example gets its own factor
    assert torch.allclose(warped[:, :, 5], warped[:, :, 0])                # a time-constant input stays constant


def test_time_frequency_warp_stretches_time_about_the_centre():
    frames = torch.arange(33, dtype=torch.float32)[None, None, :, None].expand(16, 1, 33, 4).clone()
    warped = audio.time_frequency_warp(frames, max_stretch=0.25, max_warp=0.0, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(warped[:, 0, 16, 0], torch.full((16,), 16.0), atol=1e-4)   # the centre frame stays put
    slopes = warped[:, 0, 20, 0] - warped[:, 0, 19, 0]                     # 1 / s for s in [1/1.25, 1.25]
    assert torch.all(slopes >= 0.8 - 1e-4) and torch.all(slopes <= 1.25 + 1e-4)


def test_time_frequency_warp_layer_acts_only_in_training_and_checks_its_input():
    layer = audio.TimeFrequencyWarp(max_stretch=0.2, max_warp=0.1)
    x = torch.randn(4, 3, 32, 40)
    assert torch.equal(layer.eval()(x), x)
    assert layer.train()(x).shape == x.shape and not torch.allclose(layer(x), x)
    with pytest.raises(ValueError, match=r"\(N, C, T, F\)"):
        audio.time_frequency_warp(torch.zeros(3, 32, 40))
    with pytest.raises(ValueError, match="max_stretch"):
        audio.TimeFrequencyWarp(max_stretch=1.5)
    net = audio.build_speech_model(n_mels=40, warp=audio.TimeFrequencyWarp(), spec_augment=audio.SpecAugment())
    assert isinstance(net[0], audio.TimeFrequencyWarp) and isinstance(net[1], audio.SpecAugment)
    assert net.eval()(torch.randn(2, 3, 64, 40)).shape == (2, 10)

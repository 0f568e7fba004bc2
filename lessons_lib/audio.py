"""Speech front end and a small speech model: framing, window, power spectrum, mel scale, triangular
mel filterbank, log, deltas, FSDD clip access, per-utterance normalisation (in ``fsdd_features``), SpecAugment-style masking,
speed perturbation, random time and frequency warping of features, the lesson's model, and a one-cycle AdamW optimiser.

Notebook 03 writes each step by hand first; these are the reusable (and tested) versions.
Shapes: a waveform is 1-D ``(n_samples,)``; features are ``(T, n_mels)`` (time first, as in the
papers); a stacked input is ``(T, n_mels, 3)`` (paper layout) or ``(N, 3, T, n_mels)`` (PyTorch layout).

Introduced in notebook 03 (log-mel convolutions).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn

FSDD_SAMPLE_RATE = 8000
FSDD_SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")


# --- waveforms ------------------------------------------------------------------------------------
def check_waveform(waveform, sample_rate: int, expected_rate: int = FSDD_SAMPLE_RATE) -> np.ndarray:
    """Validate a mono clip and return it as float32 in [-1, 1] (int16 is divided by 32768).

    ``waveform``: (n_samples,). Raises a ``ValueError`` that says what was expected and what was given
    for stereo/2-D input, an empty clip, non-finite samples, or a sample rate other than ``expected_rate``.
    Introduced in notebook 03 (log-mel convolutions).
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)):
        raise TypeError(f"sample_rate must be an int in Hz, got {type(sample_rate).__name__} {sample_rate!r}")
    if int(sample_rate) != int(expected_rate):
        raise ValueError(f"expected audio sampled at {expected_rate} Hz, got {int(sample_rate)} Hz; "
                         f"resample it first (the filterbank and frame sizes assume {expected_rate} Hz)")
    if hasattr(waveform, "detach"):
        waveform = waveform.detach().cpu().numpy()
    x = np.asarray(waveform)
    if x.ndim == 2 and 1 in x.shape:
        raise ValueError(f"expected a mono waveform of shape (n_samples,), got shape {x.shape}; "
                         f"drop the channel axis with x.reshape(-1)")
    if x.ndim != 1:
        hint = "; average the channels to mono, e.g. x.mean(axis=0)" if x.ndim == 2 else ""
        raise ValueError(f"expected a mono waveform of shape (n_samples,), got shape {x.shape}{hint}")
    if x.size == 0:
        raise ValueError("got an empty clip (0 samples); expected at least one frame of audio")
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768.0
    elif np.issubdtype(x.dtype, np.integer) or x.dtype == bool:
        raise TypeError(f"expected int16 or float samples, got dtype {x.dtype}")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError("the waveform contains NaN or infinite samples")
    return x


def fsdd_clip(data: Mapping[str, np.ndarray], i: int) -> np.ndarray:
    """Clip ``i`` of the Free Spoken Digit Dataset as float32 in [-1, 1], shape (n_samples,).

    ``data`` is ``load_dataset("fsdd")``: clip i is ``audio[offsets[i]:offsets[i+1]]`` (int16, 8 kHz).
    Introduced in notebook 03 (log-mel convolutions).
    """
    offsets = data["offsets"]
    n = len(offsets) - 1
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < n:
        raise IndexError(f"clip index must be an int in [0, {n}), got {i!r}")
    return check_waveform(data["audio"][offsets[i]:offsets[i + 1]], int(data["sample_rate"]))


def speed_perturb(waveform: np.ndarray, factor: float) -> np.ndarray:
    """Play a clip ``factor`` times faster (as ``sox speed``): tempo and pitch change together.

    Linear-interpolation resampling, (n,) → (≈ n / factor,). No anti-alias filter: fine for
    factors near 1. Introduced in notebook 03 (log-mel convolutions).
    """
    x = np.asarray(waveform, dtype=np.float32)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"expected a mono waveform (n_samples,) with n >= 2, got shape {x.shape}")
    if not 0.5 <= factor <= 2.0:
        raise ValueError(f"speed factor should be between 0.5 and 2 (e.g. 0.9 or 1.1), got {factor}")
    if factor == 1.0:
        return x.copy()
    positions = np.arange(0.0, x.size - 1, factor)
    return np.interp(positions, np.arange(x.size), x).astype(np.float32)


# --- the front end, step by step --------------------------------------------------------------------
def frame_signal(waveform: np.ndarray, frame_length: int = 200, hop_length: int = 80) -> np.ndarray:
    """Cut a waveform (n,) into overlapping frames (T, frame_length), T = 1 + (n − frame_length) // hop.

    At 8 kHz, 25 ms = 200 samples and 10 ms = 80 samples. The tail that does not fill a frame is dropped.
    Introduced in notebook 03 (log-mel convolutions).
    """
    x = np.asarray(waveform)
    if x.ndim != 1:
        raise ValueError(f"expected a mono waveform (n_samples,), got shape {x.shape}")
    if frame_length < 1 or hop_length < 1:
        raise ValueError(f"frame_length and hop_length must be >= 1, got {frame_length}, {hop_length}")
    if x.size < frame_length:
        raise ValueError(f"the clip has {x.size} samples, fewer than one frame of {frame_length}")
    n_frames = 1 + (x.size - frame_length) // hop_length
    return np.lib.stride_tricks.sliding_window_view(x, frame_length)[::hop_length][:n_frames]


def hamming_window(length: int) -> np.ndarray:
    """Symmetric Hamming window w[n] = 0.54 − 0.46 cos(2πn / (L − 1)), shape (length,).

    Introduced in notebook 03 (log-mel convolutions).
    """
    if length < 2:
        raise ValueError(f"window length must be >= 2, got {length}")
    n = np.arange(length)
    return (0.54 - 0.46 * np.cos(2 * np.pi * n / (length - 1))).astype(np.float32)


def power_spectrum(frames: np.ndarray, n_fft: int) -> np.ndarray:
    """|FFT|² of each windowed frame, zero-padded to ``n_fft``: (T, L) → (T, n_fft // 2 + 1).

    Introduced in notebook 03 (log-mel convolutions).
    """
    frames = np.asarray(frames)
    if frames.ndim != 2:
        raise ValueError(f"expected frames of shape (T, frame_length), got {frames.shape}")
    if n_fft < frames.shape[1]:
        raise ValueError(f"n_fft={n_fft} is shorter than the frame ({frames.shape[1]} samples); use n_fft >= frame length")
    spectrum = np.fft.rfft(frames, n=n_fft, axis=1)
    return (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)


def hz_to_mel(hz):
    """HTK mel scale: m = 2595 · log10(1 + f / 700). Works on numbers and arrays.

    Introduced in notebook 03 (log-mel convolutions).
    """
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel):
    """Inverse of ``hz_to_mel``: f = 700 · (10^(m / 2595) − 1).

    Introduced in notebook 03 (log-mel convolutions).
    """
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int = 80, n_fft: int = 512, sample_rate: int = FSDD_SAMPLE_RATE,
                   f_min: float = 0.0, f_max: float | None = None) -> np.ndarray:
    """Triangular mel filters (HTK mel scale, peak 1, no area normalisation), shape (n_mels, n_fft // 2 + 1).

    Filter m rises from edge m to centre m + 1 and falls to edge m + 2, where the n_mels + 2 edges are
    equally spaced in mel between f_min and f_max (default Nyquist). Same as
    ``librosa.filters.mel(htk=True, norm=None)``. Introduced in notebook 03 (log-mel convolutions).
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    if n_mels < 1 or n_fft < 2:
        raise ValueError(f"need n_mels >= 1 and n_fft >= 2, got n_mels={n_mels}, n_fft={n_fft}")
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(f"need 0 <= f_min < f_max <= {sample_rate / 2} Hz (Nyquist), got f_min={f_min}, f_max={f_max}")
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (centre - lower)
    falling = (upper - bins[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def count_degenerate_filters(filterbank: np.ndarray, min_bins: int = 2) -> int:
    """How many filters (rows of an (n_mels, n_bins) bank) touch fewer than ``min_bins`` FFT bins.

    A filter with 0 bins is empty (its channel is always log(eps)); with 1 bin it just copies one
    FFT bin, often the same one as its neighbour. Introduced in notebook 03 (log-mel convolutions).
    """
    filterbank = np.asarray(filterbank)
    if filterbank.ndim != 2:
        raise ValueError(f"expected a filterbank of shape (n_mels, n_bins), got {filterbank.shape}")
    return int(((filterbank > 0).sum(axis=1) < min_bins).sum())


def log_mel_spectrogram(waveform, sample_rate: int = FSDD_SAMPLE_RATE, n_mels: int = 80, n_fft: int = 512,
                        frame_ms: float = 25.0, hop_ms: float = 10.0, eps: float = 1e-6,
                        filterbank: np.ndarray | None = None, remove_dc: bool = False,
                        f_min: float = 0.0) -> np.ndarray:
    """Log mel filterbank energies of a mono clip, shape (T, n_mels): frame → (optionally subtract each
    frame's mean, ``remove_dc``) → Hamming window → |FFT|² → mel filters from ``f_min`` → log(· + eps).

    Introduced in notebook 03 (log-mel convolutions).
    """
    x = check_waveform(waveform, sample_rate)
    frame_length, hop_length = round(sample_rate * frame_ms / 1000), round(sample_rate * hop_ms / 1000)
    frames = frame_signal(x, frame_length, hop_length)
    if remove_dc:
        frames = frames - frames.mean(axis=1, keepdims=True)
    frames = frames * hamming_window(frame_length)
    fb = mel_filterbank(n_mels, n_fft, sample_rate, f_min) if filterbank is None else filterbank
    if fb.shape != (n_mels, n_fft // 2 + 1):
        raise ValueError(f"filterbank must have shape ({n_mels}, {n_fft // 2 + 1}), got {fb.shape}")
    # (a contiguous copy of fb.T keeps the matrix product on BLAS's fast path)
    return np.log(power_spectrum(frames, n_fft) @ np.ascontiguousarray(fb.T) + eps).astype(np.float32)


def limit_dynamic_range(log_mel: np.ndarray, top_db: float = 40.0) -> np.ndarray:
    """Raise every natural-log energy of (T, n_mels) features to at least the clip's largest value minus
    ``top_db`` decibels (``top_db · ln(10) / 10`` in natural-log units), like ``librosa.power_to_db(top_db=...)``.

    What lies more than ``top_db`` below the loudest band of the loudest frame is each recording's own
    background noise (and the ε of the log); the floor makes that quiet part alike for every microphone.
    Introduced in notebook 03 (log-mel convolutions).
    """
    x = np.asarray(log_mel, dtype=np.float32)
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"expected log-mel features (T, n_mels), got shape {x.shape}")
    if isinstance(top_db, bool) or not isinstance(top_db, (int, float, np.number)) or not top_db > 0:
        raise ValueError(f"top_db must be a positive number of decibels (e.g. 40), got {top_db!r}")
    return np.maximum(x, x.max() - np.float32(top_db * np.log(10) / 10))


def deltas(features: np.ndarray, n: int = 2) -> np.ndarray:
    """Regression deltas along time (axis 0): d_t = Σ_{k=1..n} k (c_{t+k} − c_{t−k}) / (2 Σ k²).

    Edges repeat the first/last frame. (T, …) → (T, …). Introduced in notebook 03 (log-mel convolutions).
    """
    c = np.asarray(features, dtype=np.float32)
    if c.ndim < 1 or c.shape[0] == 0:
        raise ValueError(f"expected features of shape (T, ...) with T >= 1, got {c.shape}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    T = c.shape[0]
    padded = np.concatenate([np.repeat(c[:1], n, axis=0), c, np.repeat(c[-1:], n, axis=0)])
    numerator = sum(k * (padded[n + k:n + k + T] - padded[n - k:n - k + T]) for k in range(1, n + 1))
    return (numerator / (2 * sum(k * k for k in range(1, n + 1)))).astype(np.float32)


def stack_with_deltas(log_mel: np.ndarray, n: int = 2) -> np.ndarray:
    """(T, n_mels) → (T, n_mels, 3): features, deltas, delta-deltas along the last ('depth') axis,
    as in the paper's T × 80 × 3 tensor. Introduced in notebook 03 (log-mel convolutions).
    """
    d1 = deltas(log_mel, n)
    return np.stack([np.asarray(log_mel, np.float32), d1, deltas(d1, n)], axis=-1)


def fit_frames(log_mel: np.ndarray, n_frames: int) -> np.ndarray:
    """Crop or pad (T, n_mels) features to exactly (n_frames, n_mels).

    Longer clips keep the ``n_frames`` window with the most energy; shorter ones are centred and padded
    with each band's quietest value in the clip (its background level). Introduced in notebook 03.
    """
    x = np.asarray(log_mel, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"expected features (T, n_mels) with T >= 1, got {x.shape}")
    T = x.shape[0]
    if T >= n_frames:
        energy = np.convolve(x.mean(axis=1), np.ones(n_frames), mode="valid")
        start = int(np.argmax(energy))
        return x[start:start + n_frames]
    before = (n_frames - T) // 2
    out = np.repeat(x.min(axis=0, keepdims=True), n_frames, axis=0)
    out[before:before + T] = x
    return out


def fsdd_features(data: Mapping[str, np.ndarray], indices: Sequence[int], n_frames: int = 64,
                  speed: float = 1.0, n_mels: int = 80, n_fft: int = 512, remove_dc: bool = False,
                  f_min: float = 0.0, normalize: bool = False, normalize_variance: bool = True,
                  top_db: float | None = None) -> np.ndarray:
    """Network inputs for FSDD clips, shape (N, 3, n_frames, n_mels): log-mel → fit to n_frames →
    stacked with deltas and delta-deltas → channels first. ``speed`` ≠ 1 applies ``speed_perturb``.

    Per-utterance normalisation (``normalize=True``): subtract each band's mean over the clip's own
    frames (and divide by its standard deviation if ``normalize_variance``) before padding; combine
    with ``remove_dc=True`` (each frame's mean sample removed) and, if wanted, ``f_min`` in Hz.
    ``top_db`` (e.g. 40) first floors each clip's features at its loudest value minus ``top_db`` decibels
    (``limit_dynamic_range``).

    Introduced in notebook 03 (log-mel convolutions).
    """
    fb = mel_filterbank(n_mels, n_fft, int(data["sample_rate"]), f_min)
    out = np.empty((len(indices), 3, n_frames, n_mels), dtype=np.float32)
    for row, i in enumerate(indices):
        clip = fsdd_clip(data, int(i))
        if speed != 1.0:
            clip = speed_perturb(clip, speed)
        log_mel = log_mel_spectrogram(clip, int(data["sample_rate"]), n_mels, n_fft, filterbank=fb, remove_dc=remove_dc)
        if top_db is not None:
            log_mel = limit_dynamic_range(log_mel, top_db)
        if normalize:   # per-utterance normalisation over the clip's own frames, before any padding
            log_mel = log_mel - log_mel.mean(axis=0)
            if normalize_variance:
                log_mel = log_mel / (log_mel.std(axis=0) + 1e-5)
        out[row] = stack_with_deltas(fit_frames(log_mel, n_frames)).transpose(2, 0, 1)
    return out


# --- normalisation and augmentation --------------------------------------------------------------
def spec_augment(x: torch.Tensor, time_masks: int = 2, time_width: int = 10, freq_masks: int = 2,
                 freq_width: int = 10, generator: torch.Generator | None = None) -> torch.Tensor:
    """SpecAugment-style masking: zero random time stripes and frequency bands of each example.

    ``x``: (N, C, T, F); each mask is up to ``time_width`` frames / ``freq_width`` bands wide and
    covers every channel. Returns a new tensor. Introduced in notebook 03 (log-mel convolutions).
    """
    if x.ndim != 4:
        raise ValueError(f"expected a batch (N, C, T, F), got shape {tuple(x.shape)}")
    N, _, T, F = x.shape
    keep = torch.ones(N, 1, T, F, device=x.device, dtype=x.dtype)
    for count, width, size, axis in ((time_masks, time_width, T, 2), (freq_masks, freq_width, F, 3)):
        for _ in range(count):
            widths = torch.randint(0, width + 1, (N,), generator=generator)
            starts = (torch.rand(N, generator=generator) * (size - widths + 1).float()).long()
            positions = torch.arange(size)
            stripe = (positions[None] >= starts[:, None]) & (positions[None] < (starts + widths)[:, None])
            shape = (N, 1, size, 1) if axis == 2 else (N, 1, 1, size)
            keep = keep * (~stripe).to(x.dtype).reshape(shape).to(x.device)
    return x * keep


class SpecAugment(nn.Module):
    """``spec_augment`` as a layer: masks in ``model.train()`` mode, does nothing in ``model.eval()``.

    Introduced in notebook 03 (log-mel convolutions).
    """

    def __init__(self, time_masks: int = 2, time_width: int = 10, freq_masks: int = 2, freq_width: int = 10):
        super().__init__()
        self.time_masks, self.time_width, self.freq_masks, self.freq_width = time_masks, time_width, freq_masks, freq_width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        return spec_augment(x, self.time_masks, self.time_width, self.freq_masks, self.freq_width)

    def extra_repr(self) -> str:
        return f"time_masks={self.time_masks}, time_width={self.time_width}, freq_masks={self.freq_masks}, freq_width={self.freq_width}"


def _check_warp_limits(max_stretch: float, max_warp: float) -> None:
    if not (0 <= max_stretch < 1 and 0 <= max_warp < 1):
        raise ValueError(f"max_stretch and max_warp must be in [0, 1), got {max_stretch}, {max_warp}")


def time_frequency_warp(x: torch.Tensor, max_stretch: float = 0.25, max_warp: float = 0.1,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """Random tempo and vocal-tract-length perturbation of a batch of features, done on the features.

    ``x``: (N, C, T, F). Each example gets its own time-stretch factor s and frequency-warp factor a, drawn
    log-uniformly from [1/(1 + max_stretch), 1 + max_stretch] and [1/(1 + max_warp), 1 + max_warp]:
    output frame t reads input frame centre + (t − centre)/s (s > 1: the word is said more slowly), and
    output band f reads input band f/a (a > 1: every formant moves up, as in a shorter vocal tract).
    Values between frames and bands are interpolated linearly; frames past the clip's ends repeat the
    edge (the padding). Every channel is warped alike (delta channels keep their values, so their slope
    is off by the factor s: a small error for an augmentation). Returns a new tensor of the same shape.
    Introduced in notebook 03 (log-mel convolutions).
    """
    if x.ndim != 4:
        raise ValueError(f"expected a batch (N, C, T, F), got shape {tuple(x.shape)}")
    _check_warp_limits(max_stretch, max_warp)
    N, _, T, F = x.shape

    def factors(max_change: float) -> torch.Tensor:
        log_range = float(np.log1p(max_change))
        return torch.exp((2 * torch.rand(N, generator=generator) - 1) * log_range).to(x.device, x.dtype)

    stretch, warp = factors(max_stretch), factors(max_warp)
    source_t = torch.linspace(-1, 1, T, device=x.device, dtype=x.dtype)[None, :] / stretch[:, None]   # (N, T)
    source_f = torch.linspace(0, 1, F, device=x.device, dtype=x.dtype)[None, :] / warp[:, None] * 2 - 1  # (N, F)
    grid = torch.stack([source_f[:, None, :].expand(N, T, F), source_t[:, :, None].expand(N, T, F)], dim=-1)
    return nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)


class TimeFrequencyWarp(nn.Module):
    """``time_frequency_warp`` as a layer: warps in ``model.train()`` mode, does nothing in ``model.eval()``.

    Introduced in notebook 03 (log-mel convolutions).
    """

    def __init__(self, max_stretch: float = 0.25, max_warp: float = 0.1):
        super().__init__()
        _check_warp_limits(max_stretch, max_warp)
        self.max_stretch, self.max_warp = max_stretch, max_warp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        return time_frequency_warp(x, self.max_stretch, self.max_warp)

    def extra_repr(self) -> str:
        return f"max_stretch={self.max_stretch}, max_warp={self.max_warp}"


# --- the model ------------------------------------------------------------------------------------
def conv_bn_relu(in_channels: int, out_channels: int, stride: int | tuple[int, int] = 1) -> nn.Sequential:
    """3 × 3 convolution (padding 1, no bias) → BatchNorm → ReLU. Introduced in notebook 03."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


class TimePooling(nn.Module):
    """(N, C, T, F) → (N, C·F) or (N, 2·C·F): pool over time only, keeping channels × frequency.

    ``mode``: 'max' (the strongest moment), 'mean', or 'meanstd' (statistics pooling: mean and
    standard deviation over time, concatenated). Introduced in notebook 03 (log-mel convolutions).
    """

    def __init__(self, mode: str = "max", features: int = 0, hidden: int = 64):
        super().__init__()
        if mode not in ("max", "mean", "meanstd", "gru"):
            raise ValueError(f"pooling mode must be 'max', 'mean', 'meanstd' or 'gru', got {mode!r}")
        self.mode = mode
        if mode == "gru":
            self.gru = nn.GRU(features, hidden, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 1, 3).flatten(2)            # (N, T, C·F)
        if self.mode == "gru":
            return self.gru(x)[0].mean(dim=1)
        if self.mode == "max":
            return x.amax(dim=1)
        if self.mode == "mean":
            return x.mean(dim=1)
        return torch.cat([x.mean(dim=1), x.std(dim=1)], dim=1)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"


def build_speech_model(n_mels: int = 80, n_classes: int = 10, width: int = 32, pooling: str = "max",
                       spec_augment: SpecAugment | None = None, dropout: float = 0.2,
                       warp: TimeFrequencyWarp | None = None) -> nn.Sequential:
    """The lesson's keyword spotter for (N, 3, T, n_mels) inputs.

    [optional TimeFrequencyWarp] → [optional SpecAugment] (both act in training mode only) → front end: two 3×3 convs with ``width``
    kernels each spanning all input channels, stride 2 × 2, BN, ReLU → (N, width, T/4, n_mels/4)
    → two more ``width``-kernel conv layers (the first halves frequency) → ``TimePooling(pooling)`` → dropout → linear.
    Introduced in notebook 03 (log-mel convolutions).
    """
    if n_mels % 8:
        raise ValueError(f"n_mels must be a multiple of 8 (three halvings), got {n_mels}")
    layers: list[nn.Module] = [augment for augment in (warp, spec_augment) if augment is not None]
    layers += [conv_bn_relu(3, width, stride=2), conv_bn_relu(width, width, stride=2),
               conv_bn_relu(width, width, stride=(1, 2)), conv_bn_relu(width, width)]
    features = width * (n_mels // 8)
    pooled = 2 * 64 if pooling == "gru" else features * (2 if pooling == "meanstd" else 1)
    layers += [TimePooling(pooling, features), nn.Dropout(dropout), nn.Linear(pooled, n_classes)]
    return nn.Sequential(*layers)


def standardize(x: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None):
    """Global standardisation per channel of (N, C, T, F) inputs with statistics of the training set.

    Returns (x_standardized, mean, std); pass the training mean/std when standardising test data.
    Introduced in notebook 03 (log-mel convolutions).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"expected (N, C, T, F) inputs, got shape {x.shape}")
    if mean is None or std is None:   # one channel at a time: a temporary a third of x, not a full copy
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        std = np.array([x[:, c].std() for c in range(x.shape[1])], np.float32).reshape(mean.shape) + 1e-5
    out = np.subtract(x, mean, dtype=np.float32)      # the result is the only full-size array made
    out /= std
    return out, mean, std


def conv_front_end(width: int = 32, in_channels: int = 3) -> nn.Sequential:
    """The paper's two-layer front end: 2 × (3 × 3 conv with ``width`` kernels, stride 2 × 2, BN, ReLU).

    (N, in_channels, T, F) → (N, width, ⌈T/4⌉, ⌈F/4⌉) with padding 1. Introduced in notebook 03.
    """
    return nn.Sequential(conv_bn_relu(in_channels, width, stride=2), conv_bn_relu(width, width, stride=2))


# --- training schedule ------------------------------------------------------------------------------
class OneCycleAdamW(torch.optim.AdamW):
    """AdamW whose learning rate follows a one-cycle schedule, advanced after every batch.

    The rate warms up from ``max_lr / 25`` to ``max_lr`` over the first 30 % of ``total_steps``
    (``epochs × batches per epoch``), then decays along a cosine to almost 0; ``weight_decay`` is
    AdamW's decoupled weight decay. Pass it as ``fit(..., optimizer=OneCycleAdamW(...))``: ``fit``
    calls ``step()`` once per batch. Steps past ``total_steps`` keep the last (smallest) rate.
    Introduced in notebook 03 (log-mel convolutions).
    """

    def __init__(self, params, max_lr: float = 3e-3, total_steps: int = 100, weight_decay: float = 0.01):
        if isinstance(total_steps, bool) or not isinstance(total_steps, (int, np.integer)) or total_steps < 1:
            raise ValueError(f"total_steps must be a positive int (epochs x batches per epoch), got {total_steps!r}")
        if not max_lr > 0:
            raise ValueError(f"max_lr must be > 0, got {max_lr!r}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        super().__init__(params, lr=max_lr, weight_decay=weight_decay)
        self.total_steps = int(total_steps)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(self, max_lr=max_lr, total_steps=self.total_steps)

    def step(self, closure=None):
        loss = super().step(closure)
        if self.schedule.last_epoch + 1 < self.total_steps:
            self.schedule.step()
        return loss

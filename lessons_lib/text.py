"""Word vectors from scratch: tokenising, vocabulary, subsampling, negative sampling, CBOW and
skip-gram training, analogy evaluation and a 2-D projection.

The notebook shows each idea in a few readable lines; this module holds the same ideas in a form
fast enough for a 10-million-word corpus (NumPy for the data, a hand-written forward/backward pass
with sparse ``index_add_`` updates for training). ``tests/test_text.py`` checks that the fast
versions compute what the readable ones do.

Introduced in notebook 05 (word2vec).
"""
from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
import torch

from .validation import positive_int

__all__ = [
    "Vocabulary", "build_vocabulary", "word_codes", "keep_probability", "subsample",
    "noise_distribution", "noise_table", "sample_negatives", "skipgram_pairs", "context_windows",
    "skipgram_forward_backward", "cbow_forward_backward", "Word2VecResult", "train_word2vec",
    "estimate_seconds", "unit_vectors", "most_similar", "analogy", "read_analogy_questions",
    "evaluate_analogies", "pca_2d",
]

_LETTERS = 26
_BASE = np.uint64(_LETTERS + 1)   # letters are coded 1..26, so no word has a leading "zero"


# --------------------------------------------------------------------------------------------
# Tokenising and the vocabulary
# --------------------------------------------------------------------------------------------
def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"expected the corpus as one str (text8 format), got {type(text).__name__}")


def word_codes(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``text`` into words without making one Python ``str`` per word.

    Letters a–z (case-insensitive) form words; every other character (digits, punctuation, accented
    or other non-ASCII letters) separates them. Each word is
    coded as a base-27 number in a ``uint64`` (exact for words up to 13 letters, a hash beyond).

    Returns ``(codes, starts, lengths)``, each of shape ``(n_words,)``: the code of every word, and
    where it starts in ``text`` and how many letters it has.
    """
    _check_text(text)
    raw = np.frombuffer(text.encode("ascii", errors="replace").lower(), dtype=np.uint8)   # 1 char = 1 byte
    letter = (raw >= ord("a")) & (raw <= ord("z"))
    values = np.where(letter, raw - np.uint8(ord("a") - 1), np.uint8(0))   # a=1 … z=26, other=0
    starts = np.flatnonzero(letter[1:] & ~letter[:-1]) + 1
    ends = np.flatnonzero(letter[:-1] & ~letter[1:]) + 1
    if len(letter) and letter[0]:
        starts = np.concatenate([[0], starts])
    if len(letter) and letter[-1]:
        ends = np.concatenate([ends, [len(letter)]])
    lengths = ends - starts
    del letter, ends
    codes = np.zeros(len(starts), dtype=np.uint64)
    active = np.arange(len(starts))
    position = 0
    with np.errstate(over="ignore"):
        while len(active):                 # Horner's rule, one letter position at a time
            codes[active] = codes[active] * _BASE + values[starts[active] + position].astype(np.uint64)
            position += 1
            active = active[lengths[active] > position]
    return codes, starts, lengths


@dataclass
class Vocabulary:
    """Words sorted by count, most frequent first: ``vocab.words[i]`` has id ``i``.

    ``counts`` (V,) int64 are the word counts in the corpus; ``total_words`` counts every word,
    including the rare ones left out of the vocabulary; ``distinct_words`` counts every distinct word.
    """

    words: list[str]
    counts: np.ndarray
    total_words: int
    distinct_words: int
    min_count: int
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {word: i for i, word in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise KeyError(f"{word!r} is not in the vocabulary ({len(self)} words seen at least "
                           f"{self.min_count} times)") from None

    def encode(self, words: Iterable[str]) -> np.ndarray:
        """Ids of ``words`` (a list of str), shape (n,); unknown words raise a KeyError."""
        return np.array([self[w] for w in words], dtype=np.int64)

    def decode(self, ids) -> list[str]:
        """Words of the ids ``ids`` (any 1-D integer array or list)."""
        return [self.words[int(i)] for i in np.asarray(ids).ravel()]

    def __repr__(self) -> str:
        return (f"Vocabulary({len(self)} words with count >= {self.min_count}, "
                f"{self.distinct_words} distinct words, {self.total_words} words in the corpus)")


def build_vocabulary(text: str, min_count: int = 5) -> tuple[Vocabulary, np.ndarray]:
    """Count the words of ``text`` and encode the corpus as ids, rare words left out.

    Returns ``(vocab, ids)``: ``ids`` (n_kept,) int32 is the corpus with every word seen fewer than
    ``min_count`` times removed (as gensim does), each word replaced by its rank by frequency.
    """
    _check_text(text)
    positive_int("min_count", min_count)
    codes, starts, lengths = word_codes(text)
    if len(codes) == 0:
        raise ValueError("the text holds no words (expected lowercase words a-z separated by spaces)")
    unique, first, inverse, counts = np.unique(codes, return_index=True, return_inverse=True, return_counts=True)
    del codes
    if not np.array_equal(lengths[first][inverse], lengths):   # two words of different lengths share a code
        raise RuntimeError("word hash collision; please report it")
    order = np.lexsort((first, -counts))           # by count, ties by first appearance
    kept = order[counts[order] >= min_count]
    rank = np.full(len(unique), len(kept), dtype=np.int64)
    rank[kept] = np.arange(len(kept))
    ids = rank[inverse]
    ids = ids[ids < len(kept)].astype(np.int32)
    words = [text[s:s + n].lower() for s, n in zip(starts[first[kept]].tolist(), lengths[first[kept]].tolist())]
    vocab = Vocabulary(words=words, counts=counts[kept].astype(np.int64), total_words=int(len(inverse)),
                       distinct_words=int(len(unique)), min_count=int(min_count))
    return vocab, ids


# --------------------------------------------------------------------------------------------
# Subsampling and the noise distribution
# --------------------------------------------------------------------------------------------
def keep_probability(counts, sample: float = 1e-3) -> np.ndarray:
    """Probability of keeping each occurrence of a word, word2vec's (and gensim's) formula.

    With ``f = count / total``: ``keep = (sqrt(f / sample) + 1) * sample / f``, capped at 1.
    (The paper writes ``discard = 1 - sqrt(sample / f)``; the released code adds ``sample / f``.)
    ``counts`` (V,) → (V,) float64.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or len(counts) == 0 or (counts <= 0).any():
        raise ValueError(f"counts must be a non-empty 1-D array of positive counts, got shape {counts.shape}")
    if not 0 < sample < 1:
        raise ValueError(f"sample must be in (0, 1), e.g. 1e-3, got {sample!r}")
    frequency = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(frequency / sample) + 1) * sample / frequency)


def subsample(ids: np.ndarray, keep: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Drop each word of ``ids`` (n,) with probability ``1 - keep[id]``; returns the kept ids (m,).
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {ids.shape}")
    return ids[rng.random(len(ids)) < keep[ids]]


def noise_distribution(counts, power: float = 0.75) -> np.ndarray:
    """The distribution negatives are drawn from: ``counts ** power``, normalised. (V,) → (V,).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or len(counts) == 0 or (counts < 0).any():
        raise ValueError(f"counts must be a non-empty 1-D array of counts >= 0, got shape {counts.shape}")
    weights = counts ** power
    return weights / weights.sum()


def noise_table(probabilities, size: int = 10_000_000) -> torch.Tensor:
    """A table of word ids in which word ``i`` fills about ``size * p[i]`` cells (word2vec's trick).

    Drawing a uniform random cell then samples from ``p`` with one random integer and one lookup.
    Returns an int64 tensor of shape (size,).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1 or not np.isclose(p.sum(), 1.0) or (p < 0).any():
        raise ValueError(f"expected a 1-D probability vector summing to 1, got shape {p.shape}, sum {p.sum():.4g}")
    if size < len(p):
        raise ValueError(f"size must be at least the vocabulary size {len(p)}, got {size}")
    bounds = np.round(np.cumsum(p) * size).astype(np.int64)
    bounds[-1] = size
    cells_per_word = np.diff(bounds, prepend=0)
    return torch.from_numpy(np.repeat(np.arange(len(p), dtype=np.int64), cells_per_word))


def sample_negatives(table: torch.Tensor, shape: tuple[int, ...], generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw noise word ids of the given ``shape`` from a ``noise_table``."""
    cells = torch.randint(len(table), shape, generator=generator, device=table.device)
    return table[cells]


# --------------------------------------------------------------------------------------------
# Training examples
# --------------------------------------------------------------------------------------------
def _check_window(window: int) -> None:
    positive_int("window", window)


def _reduced_windows(n: int, window: int, rng: np.random.Generator | None) -> np.ndarray:
    if rng is None:
        return np.full(n, window)
    return rng.integers(1, window + 1, size=n)     # word2vec: uniform in 1..window


def skipgram_pairs(ids, window: int, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All (centre, context) pairs of a 1-D id array, as two arrays of shape (n_pairs,).

    Each centre word ``t`` looks ``b_t`` words left and right; ``b_t`` is drawn uniformly from
    ``1..window`` when ``rng`` is given (word2vec's dynamic window: near words count more), else
    ``b_t = window``. Pairs are ordered by offset (-1, +1, -2, +2, …), not by position.
    """
    _check_window(window)
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {ids.shape}")
    reach = _reduced_windows(len(ids), window, rng)
    centres, contexts = [], []
    for distance in range(1, window + 1):
        left = np.flatnonzero(reach[distance:] >= distance) + distance     # centre t, context t - d
        right = np.flatnonzero(reach[:-distance] >= distance)               # centre t, context t + d
        centres += [ids[left], ids[right]]
        contexts += [ids[left - distance], ids[right + distance]]
    return np.concatenate(centres), np.concatenate(contexts)


def _windows(ids: np.ndarray, window: int, rng: np.random.Generator | None):
    n = len(ids)
    reach = _reduced_windows(n, window, rng)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    positions = np.arange(n)[:, None] + offsets[None, :]
    valid = (np.abs(offsets)[None, :] <= reach[:, None]) & (positions >= 0) & (positions < n)
    contexts = np.where(valid, ids[positions.clip(0, max(n - 1, 0))], -1).astype(np.int64)
    has_context = valid.any(axis=1)
    return ids[has_context].astype(np.int64), contexts[has_context], reach[has_context]


def context_windows(ids, window: int, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every position's centre word and the context words around it: the examples of both models.

    Returns ``(centres, contexts)``: ``centres`` (n,) int64 and ``contexts`` (n, 2*window) int64,
    columns for offsets -window … -1, +1 … +window, padded with -1 where the (dynamic, see
    ``skipgram_pairs``) window is shorter or runs off the ends. Positions with no context word
    are left out. CBOW predicts the centre from the whole row; skip-gram makes one pair per
    context word.
    """
    _check_window(window)
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {ids.shape}")
    centres, contexts, _ = _windows(ids, window, rng)
    return centres, contexts


# --------------------------------------------------------------------------------------------
# The fast training core: negative-sampling loss with hand-written gradients
# --------------------------------------------------------------------------------------------
def _gather(table: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``table[rows]`` for any shape of ``rows``; index_select is several times faster than ``[]`` on CPU."""
    return table.index_select(0, rows.reshape(-1)).reshape(*rows.shape, table.shape[1])


def _loss(scores: torch.Tensor, positive_weight: torch.Tensor, negative_weight: torch.Tensor, n_positive: int):
    logsig = torch.nn.functional.logsigmoid
    return -((logsig(scores[:, :n_positive]) * positive_weight).sum()
             + (logsig(-scores[:, n_positive:]).sum(1) * negative_weight).sum())


def skipgram_forward_backward(w_in: torch.Tensor, w_out: torch.Tensor, centres: torch.Tensor, contexts: torch.Tensor,
                              negatives: torch.Tensor, with_loss: bool = True):
    """Skip-gram with negative sampling for a batch of windows, forward and backward by hand.

    As in word2vec's code, each pair is read "context word predicts centre word" (the same pairs as
    centre → context, since windows are symmetric): the loss of the pair (centre c, context o) is
    ``-log σ(u_c·v_o) - Σ_k log σ(-u_k·v_o)`` with ``v = w_in[·]`` and ``u = w_out[·]``, summed over all
    pairs. All pairs of a window share its centre and its K noise words, so a window costs C + 1 + K
    row lookups instead of C·(2 + K): the loss equals that of the window's pairs, one per context
    word, each with the window's noise words.

    Shapes: ``w_in``, ``w_out`` (V, D); ``centres`` (B,); ``contexts`` (B, C) int64 padded with -1;
    ``negatives`` (B, K). Returns ``(loss, in_rows, in_grad, out_rows, out_grad)``: the gradient of the
    loss w.r.t. ``w_in`` is the rows ``in_grad`` (B*C, D) added at ``in_rows`` (B*C,) (padding gets a
    zero gradient); w.r.t. ``w_out``, ``out_grad`` (B*(1+K), D) at ``out_rows``. ``loss`` is None when
    ``with_loss`` is False.
    """
    _check_batch(w_in, w_out, centres, contexts, negatives)
    mask = (contexts >= 0).to(w_in.dtype)                                     # (B, C)
    safe = contexts.clamp(min=0)
    inputs = _gather(w_in, safe)                                              # (B, C, D)
    rows = torch.cat([centres[:, None], negatives], dim=1)                    # (B, 1+K)
    out = _gather(w_out, rows)                                                # (B, 1+K, D)
    scores = torch.bmm(inputs, out.transpose(1, 2))                           # (B, C, 1+K)
    error = torch.sigmoid(scores)                                             # d loss / d score
    error[:, :, 0] -= 1.0
    error *= mask[:, :, None]                                                 # padding: no gradient
    in_grad = torch.bmm(error, out)                                           # (B, C, D)
    out_grad = torch.bmm(error.transpose(1, 2), inputs)                       # (B, 1+K, D)
    loss = None
    if with_loss:
        logsig = torch.nn.functional.logsigmoid
        loss = -((logsig(scores[:, :, 0]) * mask).sum() + (logsig(-scores[:, :, 1:]).sum(2) * mask).sum())
    dim = w_in.shape[1]
    return loss, safe.reshape(-1), in_grad.reshape(-1, dim), rows.reshape(-1), out_grad.reshape(-1, dim)


def cbow_forward_backward(w_in: torch.Tensor, w_out: torch.Tensor, centres: torch.Tensor, contexts: torch.Tensor,
                          negatives: torch.Tensor, with_loss: bool = True):
    """CBOW with negative sampling for a batch, forward and backward by hand.

    ``h`` = mean of ``w_in`` over the valid context ids (``contexts`` (B, C), padding -1); loss
    ``-log σ(u_centre·h) - Σ_k log σ(-u_k·h)`` summed over the batch. Returns
    ``(loss, in_rows, in_grad, out_rows, out_grad)`` as ``skipgram_forward_backward``; ``in_grad``
    (B*C, D) is the exact gradient (each context word gets the error divided by the number of
    context words; padding rows get zero).
    """
    _check_batch(w_in, w_out, centres, contexts, negatives)
    mask = (contexts >= 0).to(w_in.dtype)                                     # (B, C)
    count = mask.sum(1, keepdim=True).clamp(min=1)                            # (B, 1)
    safe = contexts.clamp(min=0)
    hidden = torch.bmm(mask[:, None, :], _gather(w_in, safe)).squeeze(1) / count   # (B, D)
    rows = torch.cat([centres[:, None], negatives], dim=1)                    # (B, 1+K)
    out = _gather(w_out, rows)                                                # (B, 1+K, D)
    scores = torch.bmm(out, hidden[:, :, None]).squeeze(2)                    # (B, 1+K)
    error = torch.sigmoid(scores)
    error[:, 0] -= 1.0
    hidden_grad = torch.bmm(error[:, None, :], out).squeeze(1) / count        # (B, D)
    in_grad = (mask[:, :, None] * hidden_grad[:, None, :]).reshape(-1, w_in.shape[1])
    out_grad = error[:, :, None] * hidden[:, None, :]
    loss = _loss(scores, torch.ones_like(count), torch.ones_like(count[:, 0]), 1) if with_loss else None
    return loss, safe.reshape(-1), in_grad, rows.reshape(-1), out_grad.reshape(-1, w_out.shape[1])


def _check_batch(w_in, w_out, centres, contexts, negatives) -> None:
    if w_in.ndim != 2 or w_in.shape != w_out.shape:
        raise ValueError(f"w_in and w_out must both be (V, D), got {tuple(w_in.shape)} and {tuple(w_out.shape)}")
    if centres.ndim != 1:
        raise ValueError(f"centres must be (B,), got shape {tuple(centres.shape)}")
    if contexts.ndim != 2 or contexts.shape[0] != centres.shape[0]:
        raise ValueError(f"contexts must be (B, C) with B={centres.shape[0]}, padded with -1, got {tuple(contexts.shape)}")
    if negatives.ndim != 2 or negatives.shape[0] != centres.shape[0]:
        raise ValueError(f"negatives must be (B, K) with B={centres.shape[0]}, got {tuple(negatives.shape)}")


def _scatter_add(table: torch.Tensor, rows: torch.Tensor, values: torch.Tensor, alpha: float) -> None:
    """``table[rows] += alpha * values`` with repeated rows summed (scatter_add_ beats index_add_ on CPU)."""
    values = values * alpha
    table.scatter_add_(0, rows[:, None].expand(-1, table.shape[1]), values)


@dataclass
class Word2VecResult:
    """What ``train_word2vec`` returns.

    ``vectors`` (V, D) float32 are the input embeddings (the word vectors), ``output_vectors`` (V, D)
    the context embeddings; ``losses`` the mean loss per example over each logged stretch, at
    ``words_seen``; ``seconds`` and ``words_per_second`` count corpus words (before subsampling).
    """

    vectors: torch.Tensor
    output_vectors: torch.Tensor
    losses: list[float]
    words_seen: list[int]
    seconds: float
    words_per_second: float


def train_word2vec(ids: np.ndarray, vocab: Vocabulary, model: str = "skipgram", dim: int = 100, window: int = 5,
                   negative: int = 5, epochs: int = 1, lr: float = 0.025, min_lr: float = 1e-4,
                   sample: float = 1e-3, batch_size: int = 256, sentence_words: int = 10_000, seed: int = 0,
                   device=None, progress: bool = True, log_every: int = 200_000,
                   callback: Callable[[torch.Tensor, int], None] | None = None, callback_every: int = 0,
                   table_size: int = 10_000_000, workers: int | None = None) -> Word2VecResult:
    """Train CBOW (``model="cbow"``) or skip-gram (``"skipgram"``) with negative sampling, as word2vec does.

    ``ids`` (n,) is the corpus as vocabulary ids. Same hyper-parameters as gensim's ``Word2Vec``
    (``vector_size=dim, window, negative, sample, alpha=lr, min_alpha=min_lr, epochs``): the learning
    rate falls linearly to ``min_lr``; the corpus is cut into sentences of ``sentence_words`` words;
    each epoch subsamples frequent words afresh. Plain SGD on the summed loss with sparse row
    updates of ``batch_size`` windows at a time; windows of equal size are batched together so
    little work goes to padding. Keep batches small (256): a frequent word's row collects one
    update per occurrence in the batch, all computed before any is applied, and with thousands of
    windows skip-gram's loss can blow up (a ``FloatingPointError`` says so). Runs on ``device`` (default: CUDA when present).
    ``callback(vectors, words_seen)`` is called every ``callback_every`` corpus words and at the end. On CPU,
    ``workers`` threads (default: up to 2 of the CPUs the process may use, its cgroup quota included) share the batches, each with one PyTorch thread,
    updating the tables without locks as word2vec and gensim do ("Hogwild"). With ``LESSONS_UNTRAINED=1`` (the
    test that the lessons' checks fail on untrained models) the updates are skipped, like every optimizer's step.
    """
    from tqdm.auto import tqdm

    from . import settings
    from .settings import get_device

    if model not in ("skipgram", "cbow"):
        raise ValueError(f"model must be 'skipgram' or 'cbow', got {model!r}")
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) == 0 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a non-empty 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
    if ids.min() < 0 or ids.max() >= len(vocab):
        raise ValueError(f"ids must lie in 0..{len(vocab) - 1} (the vocabulary), got {ids.min()}..{ids.max()}")
    for name, value in (("dim", dim), ("negative", negative), ("epochs", epochs), ("batch_size", batch_size),
                        ("sentence_words", sentence_words)):
        positive_int(name, value)
    _check_window(window)
    device = torch.device(device) if device is not None else get_device()
    if workers is None:
        workers = 1 if device.type != "cpu" else max(1, min(2, int(settings.usable_cpus())))
    workers = positive_int("workers", workers)
    rng = np.random.default_rng(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    init = torch.Generator().manual_seed(seed)
    w_in = ((torch.rand(len(vocab), dim, generator=init) - 0.5) / dim).to(device)   # word2vec's initialisation
    w_out = torch.zeros(len(vocab), dim, device=device)
    keep = keep_probability(vocab.counts, sample)
    table = noise_table(noise_distribution(vocab.counts), size=table_size).to(device)
    step = skipgram_forward_backward if model == "skipgram" else cbow_forward_backward

    total = len(ids) * epochs
    block_words = sentence_words * max(1, 100_000 // sentence_words)
    losses, words_seen = [], []
    loss_sum, loss_count, next_log = 0.0, 0, log_every
    next_callback = callback_every if callback_every else math.inf
    done = 0
    bar = tqdm(total=total, desc=model, unit="word", unit_scale=True, disable=not progress)
    start = time.perf_counter()
    def run_batches(jobs, centres, contexts, negatives) -> None:
        """One worker's share of a block's batches (Hogwild: workers update the same tables unlocked)."""
        nonlocal loss_sum, loss_count
        for b, e, r, rate, want_loss in jobs:
            columns = slice(window - r, window + r)                   # offsets -r … +r
            loss, in_rows, in_grad, out_rows, out_grad = step(
                w_in, w_out, centres[b:e], contexts[b:e, columns], negatives[b:e], with_loss=want_loss)
            if model == "cbow":        # word2vec: each context word receives the full error, not 1/count
                in_grad = in_grad * (contexts[b:e, columns] >= 0).sum(1).repeat_interleave(2 * r)[:, None]
            if not frozen:
                _scatter_add(w_in, in_rows, in_grad, -rate)
                _scatter_add(w_out, out_rows, out_grad, -rate)
            if want_loss:
                count = int((contexts[b:e, columns] >= 0).sum()) if model == "skipgram" else e - b
                with lock:
                    loss_sum += float(loss)
                    loss_count += count

    frozen = settings.UNTRAINED
    lock = threading.Lock()
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    threads_before = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)           # one core per worker: small ops run best without a thread pool
    try:
        for _ in range(epochs):
            for begin in range(0, len(ids), block_words):
                block = ids[begin:begin + block_words]
                parts = [_windows(subsample(block[s:s + sentence_words], keep, rng), window, rng)
                         for s in range(0, len(block), sentence_words)]
                reach = np.concatenate([p[2] for p in parts])
                order = np.argsort(reach, kind="stable")                 # windows of equal size together
                centres = torch.from_numpy(np.concatenate([p[0] for p in parts])[order]).to(device)
                contexts = torch.from_numpy(np.concatenate([p[1] for p in parts])[order]).to(device)
                bounds = np.searchsorted(reach[order], np.arange(1, window + 2))
                n_examples = len(centres)
                lr_now = max(min_lr, lr - (lr - min_lr) * done / total)
                lr_end = max(min_lr, lr - (lr - min_lr) * (done + len(block)) / total)
                negatives = sample_negatives(table, (n_examples, negative), generator)
                jobs = []
                for r in range(1, window + 1):
                    for b in range(bounds[r - 1], bounds[r], batch_size):
                        rate = lr_now + (lr_end - lr_now) * b / max(n_examples, 1)
                        jobs.append((b, min(b + batch_size, bounds[r]), r, rate, len(jobs) % 8 == 0))
                if pool is None:
                    run_batches(jobs, centres, contexts, negatives)
                else:
                    list(pool.map(run_batches, [jobs[w::workers] for w in range(workers)],
                                  *([x] * workers for x in (centres, contexts, negatives))))
                done += len(block)
                bar.update(len(block))
                if done >= next_log and loss_count:
                    if not math.isfinite(loss_sum):
                        raise FloatingPointError(f"{model} training diverged after {done:,} words (loss {loss_sum}); "
                                                 f"try a smaller lr (now {lr}) or batch_size (now {batch_size})")
                    losses.append(loss_sum / loss_count)
                    words_seen.append(done)
                    bar.set_postfix(loss=f"{losses[-1]:.3f}", lr=f"{lr_end:.4f}")
                    loss_sum, loss_count, next_log = 0.0, 0, done + log_every
                if done >= next_callback and callback is not None:
                    callback(w_in, done)
                    next_callback = done + callback_every
        if callback is not None and callback_every and next_callback - callback_every != done:
            callback(w_in, done)                                       # and once at the end
    finally:
        torch.set_num_threads(threads_before)
        if pool is not None:
            pool.shutdown()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    bar.close()
    if loss_count:
        losses.append(loss_sum / loss_count)
        words_seen.append(done)
    return Word2VecResult(vectors=w_in.cpu(), output_vectors=w_out.cpu(), losses=losses, words_seen=words_seen,
                          seconds=seconds, words_per_second=total / max(seconds, 1e-9))


def estimate_seconds(n_words: int, words_per_second: float, epochs: int = 1) -> float:
    """How long training ``epochs`` passes over ``n_words`` words takes at a measured speed.
    """
    if words_per_second <= 0:
        raise ValueError(f"words_per_second must be > 0, got {words_per_second!r}")
    return n_words * epochs / words_per_second


# --------------------------------------------------------------------------------------------
# Using the vectors: neighbours, analogies, evaluation, projection
# --------------------------------------------------------------------------------------------
def unit_vectors(vectors) -> torch.Tensor:
    """Rows scaled to length 1 (cosine similarity becomes a dot product). (V, D) → (V, D) float32.
    """
    vectors = torch.as_tensor(np.asarray(vectors) if not isinstance(vectors, torch.Tensor) else vectors).float()
    if vectors.ndim != 2:
        raise ValueError(f"expected a (V, D) matrix of word vectors, got shape {tuple(vectors.shape)}")
    return vectors / vectors.norm(dim=1, keepdim=True).clamp(min=1e-12)


def most_similar(vectors, vocab: Vocabulary, query, topn: int = 5, exclude: Sequence[str] = ()) -> list[tuple[str, float]]:
    """The ``topn`` words with the highest cosine similarity to ``query`` (a word, or a (D,) vector).
    """
    unit = unit_vectors(vectors)
    if len(unit) != len(vocab):
        raise ValueError(f"vectors have {len(unit)} rows but the vocabulary has {len(vocab)} words")
    if isinstance(query, str):
        exclude = [query, *exclude]
        query = unit[vocab[query]]
    query = torch.as_tensor(query, dtype=torch.float32)
    if query.shape != (unit.shape[1],):
        raise ValueError(f"query vector must have shape ({unit.shape[1]},), got {tuple(query.shape)}")
    similarity = unit @ (query / query.norm().clamp(min=1e-12))
    for word in exclude:
        similarity[vocab[word]] = -math.inf
    best = torch.topk(similarity, topn)
    return [(vocab.words[i], float(s)) for s, i in zip(best.values.tolist(), best.indices.tolist())]


def analogy(vectors, vocab: Vocabulary, a: str, b: str, c: str, topn: int = 1) -> list[tuple[str, float]]:
    """``a`` is to ``b`` as ``c`` is to ?: the words nearest to ``b - a + c`` (unit vectors), a, b, c excluded.

    ``analogy(v, vocab, "man", "king", "woman")`` asks for king - man + woman.
    """
    unit = unit_vectors(vectors)
    target = unit[vocab[b]] - unit[vocab[a]] + unit[vocab[c]]
    return most_similar(unit, vocab, target, topn=topn, exclude=[a, b, c])


def read_analogy_questions(path=None) -> dict[str, list[tuple[str, str, str, str]]]:
    """The Google analogy questions (``questions-words.txt``, shipped with gensim) by section.

    Each question ``(a, b, c, d)`` means a : b = c : d, lowercased.
    """
    if path is None:
        from gensim.test.utils import datapath
        path = datapath("questions-words.txt")
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current = None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(":"):
                current = line[1:].strip()
                sections[current] = []
            elif line.strip():
                if current is None:
                    raise ValueError(f"{path}: a question comes before the first ': section' line")
                words = line.lower().split()
                if len(words) != 4:
                    raise ValueError(f"{path}: expected 4 words per question, got {line!r}")
                sections[current].append(tuple(words))
    return sections


def evaluate_analogies(vectors, vocab: Vocabulary, sections: dict | None = None, restrict_vocab: int = 30_000,
                       batch_size: int = 512) -> dict[str, dict[str, float]]:
    """Analogy accuracy as gensim's ``evaluate_word_analogies`` computes it (3CosAdd, top-1).

    Only questions whose four words are among the ``restrict_vocab`` most frequent words count;
    the answer is searched among those words, a, b and c excluded. Returns
    ``{section: {"correct", "total", "accuracy"}}`` plus ``"semantic"``, ``"syntactic"`` (sections
    named ``gram…``) and ``"total"``.
    """
    sections = read_analogy_questions() if sections is None else sections
    unit = unit_vectors(vectors)
    if len(unit) != len(vocab):
        raise ValueError(f"vectors have {len(unit)} rows but the vocabulary has {len(vocab)} words")
    limit = min(restrict_vocab, len(vocab))
    unit = unit[:limit]
    results: dict[str, dict[str, float]] = {}
    groups = {"semantic": [0, 0], "syntactic": [0, 0], "total": [0, 0]}
    for name, questions in sections.items():
        ids = [[vocab.index.get(w, limit) for w in q] for q in questions]
        ids = torch.tensor([q for q in ids if max(q) < limit], dtype=torch.long).reshape(-1, 4)
        correct = 0
        for b in range(0, len(ids), batch_size):
            q = ids[b:b + batch_size]
            target = unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]
            scores = target @ unit.T
            scores.scatter_(1, q[:, :3], -math.inf)
            correct += int((scores.argmax(1) == q[:, 3]).sum())
        results[name] = {"correct": correct, "total": len(ids), "accuracy": correct / max(len(ids), 1)}
        group = "syntactic" if name.startswith("gram") else "semantic"
        for key in (group, "total"):
            groups[key][0] += correct
            groups[key][1] += len(ids)
    for key, (correct, count) in groups.items():
        results[key] = {"correct": correct, "total": count, "accuracy": correct / max(count, 1)}
    return results


def pca_2d(vectors) -> np.ndarray:
    """Project rows onto their first two principal components. (N, D) → (N, 2) float64.
    """
    x = np.asarray(vectors.detach().cpu() if isinstance(vectors, torch.Tensor) else vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"expected an (N, D) matrix with N >= 2, got shape {x.shape}")
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T

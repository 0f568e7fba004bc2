"""Tests for lessons_lib.text (notebook 05, word2vec): the fast versions agree with readable ones."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lessons_lib import text as T

SAMPLE_TEXT = (" the king and the queen ruled the land the king s son and the queen s daughter "
               "ran to the sea and the sea was wide and the land was green zebra")


# ----------------------------------------------------------------------------------- vocabulary
def test_word_codes_find_words_and_code_them_in_base_27():
    codes, starts, lengths = T.word_codes("  cab, Ab!z  ")
    assert lengths.tolist() == [3, 2, 1]
    assert starts.tolist() == [2, 7, 10]
    assert codes.tolist() == [3 * 27**2 + 1 * 27 + 2, 1 * 27 + 2, 26]


def test_non_ascii_characters_separate_words_without_shifting_them():
    vocab, ids = T.build_vocabulary("İstanbul King king café", min_count=1)
    assert vocab.decode(ids) == ["stanbul", "king", "king", "caf"]


def test_word_codes_of_long_words_differ():
    a, b = "x" * 30 + "a", "x" * 30 + "b"
    codes, _, lengths = T.word_codes(f"{a} {b} {a}")
    assert codes[0] == codes[2] != codes[1] and lengths.tolist() == [31, 31, 31]


def test_build_vocabulary_matches_counter():
    vocab, ids = T.build_vocabulary(SAMPLE_TEXT, min_count=2)
    words = SAMPLE_TEXT.split()
    counts = Counter(words)
    kept = [w for w in counts if counts[w] >= 2]
    first = {w: words.index(w) for w in kept}
    expected = sorted(kept, key=lambda w: (-counts[w], first[w]))
    assert vocab.words == expected
    assert vocab.counts.tolist() == [counts[w] for w in expected]
    assert vocab.total_words == len(words) and vocab.distinct_words == len(counts)
    assert vocab.decode(ids) == [w for w in words if counts[w] >= 2]
    assert ids.dtype == np.int32
    assert vocab["the"] == 0 and "zebra" not in vocab


def test_vocabulary_errors_are_clear():
    vocab, _ = T.build_vocabulary(SAMPLE_TEXT, min_count=2)
    with pytest.raises(KeyError, match="not in the vocabulary"):
        vocab["zebra"]
    with pytest.raises(TypeError, match="one str"):
        T.build_vocabulary(["the", "king"])
    with pytest.raises(ValueError, match="min_count"):
        T.build_vocabulary(SAMPLE_TEXT, min_count=0)
    with pytest.raises(ValueError, match="no words"):
        T.build_vocabulary(" 123 ,, ")


# ---------------------------------------------------------------------- subsampling and noise
def test_keep_probability_is_word2vec_formula():
    counts = np.array([600, 300, 80, 15, 5])
    t = 1e-2
    f = counts / counts.sum()
    expected = np.minimum(1, (np.sqrt(f / t) + 1) * t / f)
    assert np.allclose(T.keep_probability(counts, t), expected)
    assert T.keep_probability(counts, t)[-1] == 1.0


def test_keep_probability_rejects_bad_input():
    with pytest.raises(ValueError, match="positive counts"):
        T.keep_probability([3, 0])
    with pytest.raises(ValueError, match="sample"):
        T.keep_probability([3, 2], sample=2)


def test_subsample_keeps_the_expected_share():
    ids = np.repeat([0, 1], [50_000, 50_000])
    kept = T.subsample(ids, np.array([0.2, 1.0]), np.random.default_rng(0))
    assert (kept == 1).sum() == 50_000 and abs((kept == 0).sum() / 50_000 - 0.2) < 0.01
    with pytest.raises(ValueError, match="1-D"):
        T.subsample(ids.reshape(2, -1), np.array([0.2, 1.0]), np.random.default_rng(0))


def test_noise_distribution_and_table():
    p = T.noise_distribution([1000, 100, 10, 0], power=0.75)
    assert np.isclose(p.sum(), 1) and p[3] == 0
    assert np.allclose(p[:3], np.array([1000, 100, 10]) ** 0.75 / (np.array([1000, 100, 10]) ** 0.75).sum())
    table = T.noise_table(p, size=100_000)
    assert table.shape == (100_000,) and table.dtype == torch.int64
    assert np.allclose(np.bincount(table.numpy(), minlength=4) / 100_000, p, atol=1e-4)
    draws = T.sample_negatives(table, (50_000, 4), torch.Generator().manual_seed(0))
    assert draws.shape == (50_000, 4)
    assert np.allclose(np.bincount(draws.reshape(-1).numpy(), minlength=4) / draws.numel(), p, atol=0.01)


def test_noise_table_rejects_bad_input():
    with pytest.raises(ValueError, match="summing to 1"):
        T.noise_table([0.5, 0.2])
    with pytest.raises(ValueError, match="at least the vocabulary size"):
        T.noise_table([0.5, 0.5], size=1)
    with pytest.raises(ValueError, match="counts"):
        T.noise_distribution([[1, 2]])


# ------------------------------------------------------------------------------------ examples
def brute_force_pairs(ids, window):
    return sorted((ids[t], ids[t + d]) for t in range(len(ids)) for d in range(-window, window + 1)
                  if d != 0 and 0 <= t + d < len(ids))


def test_skipgram_pairs_fixed_window_is_brute_force():
    ids = np.arange(9)
    centres, contexts = T.skipgram_pairs(ids, window=3)
    assert sorted(zip(centres.tolist(), contexts.tolist())) == brute_force_pairs(ids.tolist(), 3)


def test_skipgram_pairs_dynamic_window_stays_inside_window():
    ids = np.arange(2000)
    centres, contexts = T.skipgram_pairs(ids, window=5, rng=np.random.default_rng(0))
    distance = np.abs(centres - contexts)
    assert distance.min() == 1 and distance.max() == 5
    per_distance = np.bincount(distance)[1:]
    assert (np.diff(per_distance) < 0).all()          # near words are in more pairs than far ones


def test_context_windows_hold_the_same_pairs():
    ids = np.arange(12) * 10
    centres, contexts = T.context_windows(ids, window=2)
    assert contexts.shape == (12, 4)
    pairs = sorted((c, o) for c, row in zip(centres.tolist(), contexts.tolist()) for o in row if o >= 0)
    assert pairs == brute_force_pairs(ids.tolist(), 2)
    assert contexts[0].tolist() == [-1, -1, 10, 20]
    with pytest.raises(ValueError, match="window"):
        T.context_windows(ids, window=0)
    with pytest.raises(ValueError, match="1-D"):
        T.skipgram_pairs(ids.reshape(3, 4), window=2)


# ------------------------------------------------------------------ fast core vs readable models
def readable_skipgram_loss(w_in, w_out, words, targets, negatives):
    v = w_in[words]
    true = (w_out[targets] * v).sum(-1)
    noise = (w_out[negatives] @ v[:, :, None]).squeeze(-1)
    return -(F.logsigmoid(true).sum() + F.logsigmoid(-noise).sum())


def readable_cbow_loss(w_in, w_out, centres, contexts, negatives):
    present = (contexts >= 0).float()[:, :, None]
    h = (w_in[contexts.clamp(min=0)] * present).sum(1) / present.sum(1)
    true = (w_out[centres] * h).sum(-1)
    noise = (w_out[negatives] @ h[:, :, None]).squeeze(-1)
    return -(F.logsigmoid(true).sum() + F.logsigmoid(-noise).sum())


def random_batch(seed=0, vocab_size=50, dim=8, batch=32, negative=4, window=3):
    gen = torch.Generator().manual_seed(seed)
    w_in = torch.randn(vocab_size, dim, generator=gen) * 0.3
    w_out = torch.randn(vocab_size, dim, generator=gen) * 0.3
    ids = torch.randint(vocab_size, (batch + 8,), generator=gen).numpy()
    centres, contexts = map(torch.from_numpy, T.context_windows(ids, window, np.random.default_rng(seed)))
    negatives = torch.randint(vocab_size, (len(centres), negative), generator=gen)
    return w_in, w_out, centres, contexts, negatives


def dense(rows, grads, like):
    return torch.zeros_like(like).index_add_(0, rows, grads)


@pytest.mark.parametrize("seed", [0, 1])
def test_skipgram_fast_core_matches_autograd_on_pairs(seed):
    w_in, w_out, centres, contexts, negatives = random_batch(seed)
    assert (contexts < 0).any()                                   # padding is exercised
    window, slot = (contexts >= 0).nonzero(as_tuple=True)
    a, b = w_in.clone().requires_grad_(), w_out.clone().requires_grad_()
    # word2vec's reading of a pair: the context word (input) predicts the centre word (output)
    loss = readable_skipgram_loss(a, b, contexts[window, slot], centres[window], negatives[window])
    loss.backward()
    fast_loss, in_rows, in_grad, out_rows, out_grad = T.skipgram_forward_backward(w_in, w_out, centres, contexts, negatives)
    assert torch.allclose(loss, fast_loss, rtol=1e-5)
    assert torch.allclose(a.grad, dense(in_rows, in_grad, w_in), atol=1e-5)
    assert torch.allclose(b.grad, dense(out_rows, out_grad, w_out), atol=1e-5)


def test_cbow_fast_core_matches_autograd():
    w_in, w_out, centres, contexts, negatives = random_batch(2)
    a, b = w_in.clone().requires_grad_(), w_out.clone().requires_grad_()
    loss = readable_cbow_loss(a, b, centres, contexts, negatives)
    loss.backward()
    fast_loss, in_rows, in_grad, out_rows, out_grad = T.cbow_forward_backward(w_in, w_out, centres, contexts, negatives)
    assert torch.allclose(loss, fast_loss, rtol=1e-5)
    assert torch.allclose(a.grad, dense(in_rows, in_grad, w_in), atol=1e-5)
    assert torch.allclose(b.grad, dense(out_rows, out_grad, w_out), atol=1e-5)


def test_without_loss_the_gradients_are_the_same():
    w_in, w_out, centres, contexts, negatives = random_batch(3)
    full = T.skipgram_forward_backward(w_in, w_out, centres, contexts, negatives)
    quick = T.skipgram_forward_backward(w_in, w_out, centres, contexts, negatives, with_loss=False)
    assert quick[0] is None and torch.equal(full[2], quick[2]) and torch.equal(full[4], quick[4])


def test_scatter_add_sums_repeated_rows():
    table = torch.zeros(4, 2)
    T._scatter_add(table, torch.tensor([1, 1, 3]), torch.ones(3, 2), alpha=-0.5)
    assert table.tolist() == [[0, 0], [-1, -1], [0, 0], [-0.5, -0.5]]


def test_fast_core_rejects_bad_shapes():
    w_in, w_out, centres, contexts, negatives = random_batch(0)
    with pytest.raises(ValueError, match=r"\(V, D\)"):
        T.skipgram_forward_backward(w_in, w_out[:, :3], centres, contexts, negatives)
    with pytest.raises(ValueError, match="contexts must be"):
        T.skipgram_forward_backward(w_in, w_out, centres, contexts[:, 0], negatives)
    with pytest.raises(ValueError, match="negatives must be"):
        T.cbow_forward_backward(w_in, w_out, centres, contexts, negatives[:3])


# ------------------------------------------------------------------------------------ training
def toy_corpus(n=60_000, seed=0):
    """Two 'topics' of 40 words each that never mix: training must pull each topic together."""
    rng = np.random.default_rng(seed)
    names = ["x" + a + b for a in "abcdefgh" for b in "abcdefghij"]          # xaa … xhj: 80 words
    text_ids = []
    for _ in range(n // 50):
        topic = rng.integers(2)
        text_ids += (rng.integers(40, size=50) + 40 * topic).tolist()
    return T.build_vocabulary(" " + " ".join(names[i] for i in text_ids), min_count=1), names


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_train_word2vec_learns_topics(model):
    (vocab, ids), names = toy_corpus()
    result = T.train_word2vec(ids, vocab, model=model, dim=16, window=3, negative=3, epochs=2, sample=0.01,
                              batch_size=64, progress=False, device="cpu", log_every=10_000,
                              table_size=100_000, workers=2)
    assert result.vectors.shape == (80, 16) and result.losses[-1] < result.losses[0]
    unit = T.unit_vectors(result.vectors)
    topic = np.array([names.index(w) >= 40 for w in vocab.words])
    similarity = (unit @ unit.T).numpy()
    same = similarity[topic[:, None] == topic[None, :]].mean()
    different = similarity[topic[:, None] != topic[None, :]].mean()
    assert same > different + 0.2, (same, different)
    assert result.words_per_second > 0 and len(result.words_seen) == len(result.losses)


def test_train_word2vec_calls_back_and_rejects_bad_input():
    (vocab, ids), _ = toy_corpus(20_000)
    seen = []
    T.train_word2vec(ids, vocab, dim=8, epochs=1, progress=False, device="cpu", table_size=1000, workers=1,
                     callback=lambda vectors, words: seen.append((tuple(vectors.shape), words)), callback_every=5000)
    assert seen[0][0] == (80, 8) and seen[-1][1] == len(ids) and len(seen) == 1 + len(ids) // 100_000
    with pytest.raises(ValueError, match="skipgram"):
        T.train_word2vec(ids, vocab, model="glove")
    with pytest.raises(ValueError, match="vocabulary"):
        T.train_word2vec(ids + 100, vocab)
    with pytest.raises(ValueError, match="epochs"):
        T.train_word2vec(ids, vocab, epochs=0)
    with pytest.raises(ValueError, match="1-D integer"):
        T.train_word2vec(ids.astype(float), vocab)


def test_estimate_seconds():
    assert T.estimate_seconds(1_000_000, 50_000, epochs=2) == 40
    with pytest.raises(ValueError, match="words_per_second"):
        T.estimate_seconds(10, 0)


# ---------------------------------------------------------------------------- using the vectors
def small_vocab(words):
    return T.Vocabulary(words=list(words), counts=np.arange(len(words), 0, -1), total_words=100,
                        distinct_words=len(words), min_count=1)


def test_most_similar_and_analogy():
    vocab = small_vocab(["man", "woman", "king", "queen", "apple"])
    vectors = torch.tensor([[1.0, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [-1, 0, 0]])
    assert T.analogy(vectors, vocab, "man", "king", "woman")[0][0] == "queen"
    best = T.most_similar(vectors, vocab, "king", topn=2)
    assert best[0][0] == "queen" and "king" not in [w for w, _ in best]
    with pytest.raises(ValueError, match="rows"):
        T.most_similar(vectors[:3], vocab, "king")
    with pytest.raises(ValueError, match=r"\(V, D\)"):
        T.unit_vectors(torch.ones(3))


def test_evaluate_analogies_agrees_with_gensim(tmp_path):
    from gensim.models import KeyedVectors

    sections = T.read_analogy_questions()
    assert sum(len(q) for q in sections.values()) == 19544
    chosen = {name: sections[name] for name in ["capital-common-countries", "family", "gram2-opposite"]}
    words = sorted({w for qs in chosen.values() for q in qs for w in q})
    rng = np.random.default_rng(0)
    base = {w: rng.normal(size=20) for w in words}
    offsets = {name: rng.normal(size=20) for name in chosen}
    for name, questions in chosen.items():          # b = a + offset (+ noise): many analogies hold
        for a, b, _, _ in questions:
            base[b] = base[a] + offsets[name] + 0.8 * rng.normal(size=20)
    vectors = np.stack([base[w] for w in words]).astype(np.float32)
    vocab = small_vocab(words)
    ours = T.evaluate_analogies(vectors, vocab, chosen, restrict_vocab=len(words))

    path = tmp_path / "questions.txt"
    path.write_text("".join(f": {name}\n" + "".join(" ".join(q) + "\n" for q in qs) for name, qs in chosen.items()))
    kv = KeyedVectors(vector_size=20)
    kv.add_vectors(words, vectors)
    gensim_score, gensim_sections = kv.evaluate_word_analogies(str(path), restrict_vocab=len(words))
    assert 0.1 < ours["total"]["accuracy"] < 0.99
    assert ours["total"]["accuracy"] == pytest.approx(gensim_score)
    for section in gensim_sections[:-1]:
        assert ours[section["section"]]["correct"] == len(section["correct"])
    assert ours["semantic"]["total"] + ours["syntactic"]["total"] == ours["total"]["total"]


def test_read_analogy_questions_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("a b c d\n")
    with pytest.raises(ValueError, match="before the first"):
        T.read_analogy_questions(bad)
    bad.write_text(": s\na b c\n")
    with pytest.raises(ValueError, match="4 words"):
        T.read_analogy_questions(bad)


def test_pca_2d_finds_the_main_direction():
    x = np.outer(np.linspace(-1, 1, 20), [3.0, 4.0, 0.0]) + 0.01 * np.random.default_rng(0).normal(size=(20, 3))
    projected = T.pca_2d(x)
    assert projected.shape == (20, 2)
    assert np.abs(projected[:, 0]).max() > 10 * np.abs(projected[:, 1]).max()
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        T.pca_2d(np.ones(4))

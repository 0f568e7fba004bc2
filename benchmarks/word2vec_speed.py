"""Benchmark: the from-scratch word2vec of notebook 05 against gensim, in one process.

Trains gensim's ``Word2Vec`` and ``lessons_lib.text.train_word2vec`` on the same corpus (the same
vocabulary, the same word ids, the same 10,000-word sentences) with the same hyper-parameters, then
prints words/second and Google-analogy accuracy (30,000 most frequent words) for each, and the
targets of notebook 05: from-scratch skip-gram >= 50 % of gensim's words/second on CPU, analogy
accuracy within 2 points of gensim's.

Not a test: the numbers depend on the machine and on what else runs on it, so gensim is timed in the
same process, right before, for a fair ratio. Run (2 to 10 minutes on 2 shared cores for the full corpus,
depending on what else runs):

    LESSONS_DATA_DIR=/path/to/data python benchmarks/word2vec_speed.py                 # skip-gram, 1 epoch
    python benchmarks/word2vec_speed.py --words 2000000 --models skipgram cbow           # a quick look
    python benchmarks/word2vec_speed.py --device cuda                                    # on a GPU

A run over the whole corpus (no --words) writes benchmarks/results/word2vec_speed.json for benchmarks/report.py
(--no-save: print only).

Introduced in notebook 05 (word2vec).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

from lessons_lib import load_dataset
from lessons_lib.text import build_vocabulary, evaluate_analogies, train_word2vec


def gensim_run(sentences, vocab, sg: int, args):
    """Train gensim on ``sentences`` with our vocabulary and counts; returns (seconds, model)."""
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=args.dim, window=args.window, negative=args.negative, sample=args.sample,
                     alpha=args.lr, min_alpha=1e-4, min_count=1, sg=sg, hs=0, workers=args.workers, seed=args.seed)
    model.build_vocab_from_freq(dict(zip(vocab.words, vocab.counts.tolist())))   # same counts as ours
    start = time.perf_counter()
    model.train(sentences, total_examples=len(sentences), epochs=args.epochs)
    return time.perf_counter() - start, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=0, help="use the first N words of the corpus (0: all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--models", nargs="+", default=["skipgram"], choices=["skipgram", "cbow"])
    parser.add_argument("--device", default="cpu", help="device of the from-scratch model (gensim is CPU only)")
    parser.add_argument("--workers", type=int, default=2, help="CPU threads for gensim and for ours")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/word2vec_speed.json")
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, "
          f"load average {os.getloadavg()[0]:.1f} (other jobs slow both sides alike)")
    corpus = load_dataset("text8")
    print("corpus:", getattr(corpus, "name", "text8"), "-", getattr(corpus, "notes", ""))
    vocab, ids = build_vocabulary(corpus["text"], min_count=5)
    if args.words:
        ids = ids[:args.words]
    print(f"{len(ids):,} words, vocabulary {len(vocab):,} (min_count 5), {args.epochs} epoch(s), dim {args.dim}, "
          f"window {args.window}, negative {args.negative}, sample {args.sample}, lr {args.lr}")
    words = np.array(vocab.words, dtype=object)
    sentences = [words[ids[i:i + 10_000]].tolist() for i in range(0, len(ids), 10_000)]

    rows = []
    for model in args.models:
        seconds, gensim_model = gensim_run(sentences, vocab, 1 if model == "skipgram" else 0, args)
        gensim_vectors = gensim_model.wv[vocab.words]            # rows in our vocabulary's order
        gensim_accuracy = evaluate_analogies(gensim_vectors, vocab)
        own_check = gensim_model.wv.evaluate_word_analogies(
            __import__("gensim.test.utils", fromlist=["datapath"]).datapath("questions-words.txt"),
            restrict_vocab=30_000)[0]
        rows.append((f"gensim {model}", len(ids) * args.epochs / seconds, gensim_accuracy))
        print(f"  gensim {model}: {seconds:.1f} s; gensim's own evaluate_word_analogies gives {own_check:.4f}")
        ours = train_word2vec(ids, vocab, model=model, dim=args.dim, window=args.window, negative=args.negative,
                              sample=args.sample, lr=args.lr, epochs=args.epochs, batch_size=args.batch_size,
                              device=args.device, workers=args.workers if args.device == "cpu" else None,
                              seed=args.seed, progress=False)
        rows.append((f"ours {model} ({args.device})", ours.words_per_second, evaluate_analogies(ours.vectors, vocab)))
        print(f"  ours {model}: {ours.seconds:.1f} s")

    print(f"\n{'model':<26}{'words/s':>10}{'semantic':>10}{'syntactic':>11}{'total':>8}")
    for name, speed, acc in rows:
        print(f"{name:<26}{speed:>10,.0f}{acc['semantic']['accuracy']:>10.2%}{acc['syntactic']['accuracy']:>11.2%}"
              f"{acc['total']['accuracy']:>8.2%}")
    print(f"(analogy questions counted: {rows[0][2]['total']['total']} of 19544 have all four words in the top 30,000)")
    import report                                                       # benchmarks/report.py, beside this script

    device = report.device_label(args.device, threads=args.workers)
    contract = []
    for i in range(0, len(rows), 2):
        (_, gensim_speed, gensim_acc), (name, speed, acc) = rows[i], rows[i + 1]
        ratio = speed / gensim_speed
        gap = 100 * (acc["total"]["accuracy"] - gensim_acc["total"]["accuracy"])
        if "skipgram" in name:
            speed_note = f"{'meets' if ratio >= 0.5 else 'MISSES'} the >= 0.50 target for skip-gram"
            contract.append({"target": "from-scratch skip-gram >= 0.5 x gensim's words/s (lesson 05)",
                             "measured": round(ratio, 2), "unit": "x gensim's words/s", "met": ratio >= 0.5,
                             "device": device, "limit": 0.5, "better": "higher", "lesson": "05",
                             "note": f"{speed:,.0f} words/s vs gensim's {gensim_speed:,.0f} (gensim on the CPU, "
                                     f"{args.workers} workers), {len(ids):,} words"})
        else:
            speed_note = "no target for CBOW: gensim's C loop is hard to beat on CPU"
        accuracy_ok = "meets" if gap >= -2 else "MISSES"
        contract.append({"target": f"from-scratch {name.split()[1]} analogy accuracy within 2 points of gensim's "
                                   "(lesson 05)", "measured": round(gap, 2), "unit": "points vs gensim",
                         "met": gap >= -2, "device": device, "limit": -2, "better": "higher", "lesson": "05",
                         "note": f"{100 * acc['total']['accuracy']:.2f} % vs gensim's "
                                 f"{100 * gensim_acc['total']['accuracy']:.2f} % (Google analogies, top 30,000 words)"})
        print(f"{name}: {ratio:.2f} x gensim's words/s ({speed_note}); "
              f"analogy accuracy {gap:+.2f} points vs gensim ({accuracy_ok} the within-2-points target)")
    if args.device == "cpu" and not torch.cuda.is_available():
        print("No GPU here: GPU speed unmeasured (run with --device cuda on a machine that has one).")
    if not args.no_save and not args.words:
        print("wrote", report.write_results("word2vec_speed", contract))


if __name__ == "__main__":
    main()

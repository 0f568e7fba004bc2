"""How much faster the lessons' conv nets train on CPU with their kernels in channels-last memory order (prints a
table; asserts nothing, saves nothing).

    python benchmarks/channels_last_speed.py [--threads 1] [--repeats 4]

``fit``, ``evaluate``, ``predict`` and lesson 07's ``mnist.train_recipe`` run inside ``training.channels_last``:
the conv kernels keep their shape (out, in, kh, kw) but lie in memory as (out, kh, kw, in), the order oneDNN's CPU
convolutions are fastest in. This script times one training step (forward, backward, Adam) of each lesson's net, at
the batch size the lesson uses, in both orders, and prints the ratio (below 1: channels-last is faster). The best of
``--repeats`` steps after one warm-up; timings depend on the machine and its load, so compare rows of one run.
``--threads 1`` is how the CI's full-mode step runs two notebooks side by side.
"""
from __future__ import annotations

import argparse
import time
from contextlib import nullcontext

import torch
from torch import nn

from lessons_lib import audio, factorization, gan, mnist, models
from lessons_lib.training import channels_last


class _Generator(nn.Module):
    """The DCGAN generator of lesson 06, called on z alone."""

    def __init__(self):
        super().__init__()
        self.net = gan.DCGANGenerator(z_dim=64, width=32)

    def forward(self, z):
        return self.net(z)


def nets() -> dict[str, tuple]:
    """name → (builder, input shape of one batch): the nets the lessons train, at their full-mode batch sizes."""
    return {
        "07 walkthrough CNN, batch 512": (mnist.walkthrough_net, (512, 1, 28, 28)),
        "07/08 fast MNIST net, batch 128": (models.fast_mnist_net, (128, 1, 28, 28)),
        "03 speech model, 80 mels, batch 64": (lambda: audio.build_speech_model(n_mels=80), (64, 3, 64, 80)),
        "03b speech model, 40 mels, batch 64": (lambda: audio.build_speech_model(n_mels=40), (64, 3, 64, 40)),
        "04 learner's net, width 32, batch 128": (lambda: factorization.LearnerNet(width=32), (128, 3, 32, 32)),
        "04 small CIFAR net, plain": (lambda: factorization.SmallCifarNet("plain", width=32), (128, 3, 32, 32)),
        "04 small CIFAR net, factorized": (lambda: factorization.SmallCifarNet("factorized", width=32),
                                           (128, 3, 32, 32)),
        "04 small CIFAR net, separable": (lambda: factorization.SmallCifarNet("separable", width=32),
                                          (128, 3, 32, 32)),
        "06 DCGAN discriminator, batch 64": (lambda: gan.DCGANDiscriminator(width=32), (64, 1, 28, 28)),
        "06 DCGAN generator, batch 64": (_Generator, (64, 64)),
    }


def step_seconds(build, shape, in_channels_last: bool, repeats: int) -> float:
    """Best time of ``repeats`` training steps (after one warm-up) of a fresh ``build()`` on random inputs."""
    torch.manual_seed(0)
    net, x = build(), torch.rand(*shape)
    optimizer = torch.optim.Adam(net.parameters())

    def step():
        optimizer.zero_grad()
        net(x).float().mean().backward()
        optimizer.step()

    times = []
    with channels_last(net) if in_channels_last else nullcontext():
        step()
        for _ in range(repeats):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads (default 1)")
    parser.add_argument("--repeats", type=int, default=4, help="timed steps per net and order (default 4)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"CPU, {args.threads} thread(s), torch {torch.__version__}; one training step, best of {args.repeats}")
    print(f"{'net':<40}{'default':>12}{'channels-last':>15}{'ratio':>8}")
    for name, (build, shape) in nets().items():
        default = step_seconds(build, shape, False, args.repeats)
        fast = step_seconds(build, shape, True, args.repeats)
        print(f"{name:<40}{default * 1000:>9.1f} ms{fast * 1000:>12.1f} ms{fast / default:>8.2f}", flush=True)


if __name__ == "__main__":
    main()

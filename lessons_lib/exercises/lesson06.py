"""Exercises for notebook 06 (a small GAN, trained live): write the discriminator's loss, the minimax
generator loss's gradient when D is confident, the generator's parameter count, and spotting mode collapse
in a class histogram.

In the notebook: ``from lessons_lib.exercises import lesson06`` then ``lesson06.bind(globals())``.
Every expected value is computed (with real PyTorch modules), never pasted.
Introduced in notebook 06 (a small GAN, trained live).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..conv import count_parameters
from ..gan import DCGANGenerator
from .core import FunctionQuestion, Incorrect, NumberQuestion, make_binder, make_progress


def _reference_d_loss(D, real, fake):
    real_scores, fake_scores = D(real), D(fake.detach())
    return (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
            + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))


class DiscriminatorLoss(FunctionQuestion):
    """Write discriminator_loss(D, real, fake): BCE on logits, real → 1, fake → 0, fake detached."""

    var = "discriminator_loss"
    prompt = ("Write `discriminator_loss(D, real, fake)`: `D(x)` returns one logit per example. Return the "
              "discriminator's loss: binary cross-entropy saying 'real' (target 1) on `real` plus 'fake' (target 0) "
              "on `fake` (the mean of each term, added), computed so that the generator that made `fake` gets "
              "no gradient from it.")
    hints = ("D's outputs are logits: use F.binary_cross_entropy_with_logits(scores, targets) with targets "
             "torch.ones_like(scores) for real and torch.zeros_like(scores) for fake.",
             "The loss is minimised by D, so it is the cross-entropy itself, not its negative.",
             "Score `fake.detach()`, not `fake`: this step trains D only, and without detach the backward pass "
             "runs into G as well. Detach D's input, not its output: D still needs the fake term's gradient.")
    hint_text = " ".join(hints)
    solution_code = """
        def discriminator_loss(D, real, fake):
            real_scores = D(real)
            fake_scores = D(fake.detach())          # D's step: no gradient into G
            return (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
                    + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))
    """
    mistakes = (
        ("def discriminator_loss(D, real, fake):\n"
         "    r, f = D(real), D(fake.detach())\n"
         "    return F.binary_cross_entropy_with_logits(r, torch.zeros_like(r)) + "
         "F.binary_cross_entropy_with_logits(f, torch.ones_like(f))\n", "swapped"),
        ("def discriminator_loss(D, real, fake):\n"
         "    r, f = D(real), D(fake.detach())\n"
         "    return -(F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + "
         "F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))\n", "sign"),
        ("def discriminator_loss(D, real, fake):\n"
         "    r, f = D(real), D(fake)\n"
         "    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + "
         "F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))\n", "detach"),
        ("def discriminator_loss(D, real, fake):\n"
         "    r, f = D(real), D(fake).detach()\n"
         "    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + "
         "F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))\n", "D(fake).detach()"),
        ("def discriminator_loss(D, real, fake):\n"
         "    r = D(real)\n"
         "    with torch.no_grad():\n"
         "        f = D(fake)\n"
         "    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + "
         "F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))\n", "torch.no_grad()"),
        ("def discriminator_loss(D, real, fake):\n"
         "    r, f = torch.sigmoid(D(real)), torch.sigmoid(D(fake.detach()))\n"
         "    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + "
         "F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))\n", "logits"),
        ("def discriminator_loss(D, real, fake):\n"
         "    r = D(real)\n"
         "    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r))\n", "both"),
    )
    correct_message = "real → 1, fake → 0, on logits, with the fake batch detached: exactly the notebook's D step."

    def solution_namespace(self) -> dict:
        return dict(super().solution_namespace(), F=F)

    def cases(self):
        generator = torch.Generator().manual_seed(6)
        for n, d in ((8, 4), (5, 3)):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(n)
                D = nn.Sequential(nn.Linear(d, 6), nn.LeakyReLU(0.2), nn.Linear(6, 1), nn.Flatten(0))
            real, fake_values = 1.5 * torch.randn(n, d, generator=generator), torch.randn(n, d, generator=generator)
            yield (D, real, fake_values), _reference_d_loss(D, real, fake_values).item()

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        for (D, real, fake_values), _ in self.cases():
            source = fake_values.clone().requires_grad_(True)   # stands in for G's parameters
            fake = source * 1.0                                 # a non-leaf, like G's output
            expected = _reference_d_loss(D, real, fake).item()
            with torch.random.fork_rng(devices=[]):
                loss = value(D, real, fake)
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                raise Incorrect(f"discriminator_loss returned {type(loss).__name__} "
                                f"{tuple(loss.shape) if isinstance(loss, torch.Tensor) else loss!r}; return one "
                                "scalar tensor (the loss to call .backward() on).")
            got = loss.item()
            rs, fs = D(real).detach(), D(fake).detach()
            bce = F.binary_cross_entropy_with_logits
            swapped = (bce(rs, torch.zeros_like(rs)) + bce(fs, torch.ones_like(fs))).item()
            double_sigmoid = (bce(torch.sigmoid(rs), torch.ones_like(rs))
                              + bce(torch.sigmoid(fs), torch.zeros_like(fs))).item()
            only_real, only_fake = bce(rs, torch.ones_like(rs)).item(), bce(fs, torch.zeros_like(fs)).item()
            close = lambda a, b: math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)  # noqa: E731
            if close(got, -expected):
                raise Incorrect("your loss has the wrong sign: D minimises the cross-entropy itself, not its negative.")
            if close(got, swapped):
                raise Incorrect("the targets are swapped: real examples get target 1 ('real'), fakes target 0.")
            if close(got, double_sigmoid):
                raise Incorrect("D already returns logits: binary_cross_entropy_with_logits applies the sigmoid "
                                "itself, so do not call torch.sigmoid first.")
            if close(got, only_real) or close(got, only_fake):
                raise Incorrect("only one term: the loss needs both the real batch (target 1) and the fake batch (target 0).")
            if not (close(got, expected) or close(got, expected / 2)):
                raise Incorrect(f"discriminator_loss gave {got:.4f}, expected {expected:.4f}: the mean BCE on the real "
                                "logits with target 1 plus the mean BCE on the fake logits with target 0.")
            if not loss.requires_grad:
                raise Incorrect("the loss carries no gradient for D: compute it from D's outputs, without torch.no_grad().")
            D.zero_grad()
            loss.backward()
            if source.grad is not None and source.grad.abs().sum() > 0:
                raise Incorrect("the backward pass reached the generator's output: score `fake.detach()` in D's step, "
                                "so that training D does not push gradients into G.")
            self._check_gradients_of_D(D, real, fake, scale=got / expected)
            D.zero_grad()

    @staticmethod
    def _check_gradients_of_D(D, real, fake, scale: float) -> None:
        """The values alone cannot tell `D(fake.detach())` from `D(fake).detach()`: compare D's gradients too.

        ``scale`` is 1, or 1/2 for an answer that averages the two terms (its gradient is halved as well).
        """
        params = list(D.parameters())
        got = [torch.zeros_like(p) if p.grad is None else p.grad.detach().clone() for p in params]
        with torch.enable_grad():
            expected = torch.autograd.grad(_reference_d_loss(D, real, fake), params)
            real_scores = D(real)
            real_only = torch.autograd.grad(
                F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores)), params)
        matches = lambda reference: all(torch.allclose(g, scale * r, rtol=1e-4, atol=1e-6)  # noqa: E731
                                        for g, r in zip(got, reference))
        if matches(expected):
            return
        if matches(real_only):
            raise Incorrect("the fake term gives D's parameters no gradient: `D(fake).detach()` or scoring the fakes "
                            "under torch.no_grad() cuts D off as well, so D never learns to say 'fake'. Detach the "
                            "input, not D's output: `D(fake.detach())`.")
        raise Incorrect("the loss has the right value but not the right gradient for D's parameters: compute both "
                        "terms from D's outputs, with only the fake input detached: `D(fake.detach())`.")


class MinimaxGradient(NumberQuestion):
    """d/ds of the minimax generator loss log(1 − σ(s)) where D(G(z)) = σ(s) = 0.01."""

    var = "minimax_gradient"
    units = "gradient"
    tolerance = 1e-4
    prompt = ("Early in training D is confident: D(G(z)) = σ(s) = 0.01 for a fake whose logit is s. The minimax "
              "generator minimises log(1 − σ(s)). What is d/ds log(1 − σ(s)) at this point? (The notebook plots it.) "
              "Set `minimax_gradient`.")
    hints = ("σ'(s) = σ(s)·(1 − σ(s)). Apply the chain rule to log(1 − σ(s)).",
             "d/ds log(1 − σ(s)) = −σ'(s) / (1 − σ(s)) = −σ(s). Put in σ(s) = 0.01.")
    hint_text = " ".join(hints)
    solution_code = """
        p = 0.01                      # D(G(z)) = sigmoid(s)
        minimax_gradient = -p         # d/ds log(1 - sigmoid(s)) = -sigmoid(s)
    """
    mistakes = (("minimax_gradient = -0.99", "non-saturating"), ("minimax_gradient = 0.01", "sign"),
                ("minimax_gradient = -1 / 0.99", "chain rule"))
    correct_message = ("−0.01: the gradient is as small as D(G(z)) — G barely learns while D is sure, which is why "
                       "the non-saturating loss −log D(G(z)) (gradient −0.99 here) is used instead.")

    def expected(self) -> float:
        s = torch.logit(torch.tensor(0.01, dtype=torch.float64)).requires_grad_(True)
        torch.log(1 - torch.sigmoid(s)).backward()
        return float(s.grad)

    def wrong_answer_hints(self) -> dict:
        p = 0.01
        return {-(1 - p): "that is the non-saturating loss −log σ(s); the question asks about log(1 − σ(s)).",
                p: "wrong sign: making σ(s) larger makes log(1 − σ(s)) smaller, so the slope is negative.",
                -1 / (1 - p): "that is the derivative with respect to D = σ(s); by the chain rule multiply by "
                              "σ'(s) = σ(1 − σ) to get the derivative with respect to the logit s.",
                -p * (1 - p): "that is σ'(s) with a minus sign; divide by (1 − σ(s)) as well (chain rule of the log)."}


class GeneratorParameters(NumberQuestion):
    """Trainable parameters of the notebook's generator DCGANGenerator(z_dim, width) (width 32 full, 16 quick)."""

    var = "n_generator_parameters"
    units = "parameter count"
    needs = ("z_dim", "width")      # the notebook's own: its G is DCGANGenerator(z_dim=z_dim, width=width)
    DEFAULT_Z_DIM, DEFAULT_WIDTH = 64, 32          # full mode's, where no notebook says otherwise
    hints = ("A Linear(a → b) without bias has a·b weights; a ConvTranspose2d(c_in → c_out, k×k) has c_in·c_out·k·k.",
             "BatchNorm has two trainable numbers per feature (γ and β); its running mean and variance are buffers, "
             "not parameters.")
    hint_text = " ".join(hints)
    solution_code = """
        channels = 2 * width                  # the Linear makes 2·width maps of 7×7
        linear = z_dim * (channels * 7 * 7)   # no bias: BatchNorm's shift plays its part
        bn1 = 2 * (channels * 7 * 7)          # gamma and beta per feature
        up1 = channels * width * 4 * 4        # no bias
        bn2 = 2 * width
        up2 = width * 1 * 4 * 4 + 1           # with a bias
        n_generator_parameters = linear + bn1 + up1 + bn2 + up2
    """
    mistakes = (("n_generator_parameters = z_dim * 2 * width * 49 + 2 * width * width * 16 + width * 16 + 1", "BatchNorm"),
                ("n_generator_parameters = (z_dim + 1) * 2 * width * 49 + 4 * width * 49 + (2 * width * 16 + 1) * width"
                 " + 2 * width + width * 16 + 1", "bias=False"),
                ("n_generator_parameters = z_dim * 2 * width * 49 + 8 * width * 49 + 2 * width * width * 16"
                 " + 4 * width + width * 16 + 1", "buffers"),
                ("n_generator_parameters = 240_321 if width == 16 else 111_969", "the count for width="))

    def geometry(self) -> tuple[int, int]:
        """(z_dim, width) of the generator the question is about: the notebook's, else full mode's (64, 32)."""
        z_dim, width = self._namespace.get("z_dim", self.DEFAULT_Z_DIM), self._namespace.get("width", self.DEFAULT_WIDTH)
        ok = lambda n: isinstance(n, int) and not isinstance(n, bool) and n > 0  # noqa: E731
        return (z_dim, width) if ok(z_dim) and ok(width) else (self.DEFAULT_Z_DIM, self.DEFAULT_WIDTH)

    @property
    def prompt(self) -> str:  # type: ignore[override]
        z_dim, width = self.geometry()
        c = 2 * width
        return (f"Count, by hand, the trainable parameters of the notebook's generator `G = DCGANGenerator(z_dim={z_dim}, "
                f"width={width})` (its `width` is 32 in full mode, 16 in quick mode): Linear({z_dim} → {c}·7·7, no "
                f"bias), BatchNorm1d({c * 49}), ConvTranspose2d({c} → {width}, 4×4, no bias), BatchNorm2d({width}), "
                f"ConvTranspose2d({width} → 1, 4×4, with bias). Set `n_generator_parameters` (then compare with "
                "count_parameters(G)).")

    @property
    def correct_message(self) -> str:  # type: ignore[override]
        z_dim, width = self.geometry()
        linear = z_dim * 2 * width * 49
        return (f"{self.expected():,} for width={width} — nearly all of them ({linear:,}) in the first Linear layer "
                "that makes the 7×7 maps.")

    def solution_namespace(self) -> dict:
        return dict(super().solution_namespace(), z_dim=self.DEFAULT_Z_DIM, width=self.DEFAULT_WIDTH)

    @staticmethod
    def count(z_dim: int, width: int) -> int:
        with torch.random.fork_rng(devices=[]):
            return count_parameters(DCGANGenerator(z_dim=z_dim, width=width))

    def expected(self) -> int:
        return self.count(*self.geometry())

    def wrong_answer_hints(self) -> dict:
        z_dim, width = self.geometry()
        c = 2 * width * 7 * 7                          # the Linear's outputs, BatchNorm1d's features
        core = z_dim * c + 2 * width * width * 16 + width * 16 + 1
        hints = {core: f"you left out BatchNorm's parameters: γ and β for each of the {c:,} + {width} features.",
                 core + 2 * c + 2 * width + c + width: "the Linear and the first ConvTranspose2d are built with "
                                                       "bias=False (BatchNorm's β follows them): no biases there.",
                 core + 4 * c + 4 * width: "BatchNorm's running mean and variance are buffers, not trainable "
                                           "parameters: count only γ and β.",
                 core + 2 * c + 2 * width - 1: "the last ConvTranspose2d has a bias (one number, one output channel)."}
        for other in (16, 32):
            if other != width:
                mode = "full" if other == 32 else "quick"
                hints.setdefault(self.count(z_dim, other),
                                 f"that is the count for width={other}, {mode} mode's generator; this notebook's G has "
                                 f"width={width}: count with that width.")
        return hints


class ModesMissing(FunctionQuestion):
    """Write modes_missing(counts, min_share) -> sorted list of classes holding less than min_share of the samples."""

    var = "modes_missing"
    prompt = ("Mode collapse shows in a histogram. Write `modes_missing(counts, min_share=0.05)`: `counts` is an "
              "array with the number of generated digits the judge put in each class (index = digit). Return the "
              "sorted list of digits whose share of all the digits is below `min_share` (a class with exactly "
              "`min_share` is covered).")
    hints = ("Turn counts into shares first: counts / counts.sum().",
             "Keep the digits whose share is < min_share (strictly), e.g. with np.flatnonzero, and return them as a "
             "list of ints.")
    hint_text = " ".join(hints)
    solution_code = """
        def modes_missing(counts, min_share=0.05):
            shares = np.asarray(counts) / np.sum(counts)
            return [int(d) for d in np.flatnonzero(shares < min_share)]
    """
    mistakes = (
        ("def modes_missing(counts, min_share=0.05):\n"
         "    return [int(d) for d in np.flatnonzero(np.asarray(counts) < min_share)]\n", "share"),
        ("def modes_missing(counts, min_share=0.05):\n"
         "    shares = np.asarray(counts) / np.sum(counts)\n"
         "    return [int(d) for d in np.flatnonzero(shares >= min_share)]\n", "covered"),
        ("def modes_missing(counts, min_share=0.05):\n"
         "    shares = np.asarray(counts) / np.sum(counts)\n"
         "    return [int(d) for d in np.flatnonzero(shares <= min_share)]\n", "exactly"),
        ("def modes_missing(counts, min_share=0.05):\n"
         "    shares = np.asarray(counts) / np.sum(counts)\n"
         "    return [int(d) for d in np.flatnonzero(shares < 0.05)]\n", "ignores"),
    )
    correct_message = "a class histogram is the quickest mode-collapse detector; the notebook's tables print it."
    DEFAULT_MIN_SHARE = 0.05

    def cases(self):
        yield (np.array([100, 98, 102, 97, 101, 99, 103, 100, 100, 100]), 0.05), []
        yield (np.array([190, 0, 120, 3, 140, 150, 10, 160, 120, 107]), 0.05), [1, 3, 6]
        yield (np.array([190, 0, 120, 3, 140, 150, 10, 160, 120, 107]), 0.13), [1, 2, 3, 6, 8, 9]   # same counts,
        yield (np.array([190, 0, 120, 3, 140, 150, 10, 160, 120, 107]), 0.002), [1]                # other min_share
        yield (np.array([50, 50, 50, 50, 50, 50, 50, 50, 50, 550]), 0.05), []      # exactly 5 % each: covered
        yield (np.array([0, 0, 0, 0, 0, 0, 0, 0, 1000, 0]), 0.01), [0, 1, 2, 3, 4, 5, 6, 7, 9]

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        for (counts, min_share), expected in self.cases():
            got = value(counts.copy(), min_share)
            try:
                got_list = sorted(int(d) for d in got)
            except TypeError:
                raise Incorrect(f"modes_missing returned {got!r}; return a list of digits (ints).") from None
            if got_list == expected:
                continue
            shares = counts / counts.sum()
            call = f"modes_missing({counts.tolist()}, {min_share})"
            if got_list == [int(d) for d in np.flatnonzero(counts < min_share)]:
                raise Incorrect(f"{call} returned {got_list}: compare each class's share (count / total), not its "
                                "raw count, with min_share.")
            if got_list == [int(d) for d in np.flatnonzero(shares >= min_share)]:
                raise Incorrect(f"{call} returned {got_list}: those are the covered classes; return the missing ones.")
            if got_list == [int(d) for d in np.flatnonzero(shares <= min_share)]:
                raise Incorrect(f"{call} returned {got_list}: a class with exactly min_share is covered: use <, not <=.")
            default = ModesMissing.DEFAULT_MIN_SHARE
            if min_share != default and got_list == [int(d) for d in np.flatnonzero(shares < default)]:
                raise Incorrect(f"{call} returned {got_list}, the answer for min_share={default}: your function "
                                "ignores its `min_share` argument; compare the shares with `min_share`, not a fixed "
                                f"{default}.")
            raise Incorrect(f"{call} returned {got_list}, expected {expected}.")


QUESTIONS = [DiscriminatorLoss, MinimaxGradient, GeneratorParameters, ModesMissing]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)

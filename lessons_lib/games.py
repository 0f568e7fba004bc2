"""Plumbing for lesson 09 (AlphaZero in miniature): one batched policy/value evaluation, a match loop, a score.

The lesson's ideas — the rules of tic-tac-toe, the exact solver, Monte Carlo tree search, PUCT, self-play, the
training targets and the loss — are written in notebook 09 itself. This topic module only holds what is not the idea:

- ``policy_value(net, inputs, legal)``: one forward pass over a *batch* of positions (from many games at once),
  illegal moves masked, softmax, back to NumPy — the call that makes batched self-play cheap;
- ``play_match(agents, start, play, result)``: the loop that lets two agents (functions position → move) play one
  game, and ``Match`` for many games (wins, draws, losses, how many games were different);
- ``agreement_rate(chosen, allowed)``: the share of positions where the chosen move is among the allowed ones (the
  solver's optimal moves) — AlphaZero.jl's "mistake rate" turned around;
- ``plot_strength_curve``: the "beginner to expert" curve, drawn by the kernel's ``plots.plot_curve``.

Introduced in notebook 09 (AlphaZero in miniature). Imports only the kernel (tests/test_import_rules.py).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Hashable, Sequence

import numpy as np
import torch

from . import plots


@torch.no_grad()
def policy_value(net: torch.nn.Module, inputs: torch.Tensor, legal: torch.Tensor,
                 device: torch.device | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate a batch of positions in one forward pass: move probabilities over legal moves, and values.

    ``net(inputs)`` must return ``(logits (N, A), values (N,))``; ``legal`` is a boolean ``(N, A)`` mask. Returns
    NumPy arrays ``priors (N, A)`` (zero on illegal moves, rows summing to 1) and ``values (N,)``. The net is put in
    eval mode for the call and restored afterwards. Introduced in notebook 09 (AlphaZero in miniature).
    """
    if inputs.ndim < 2 or legal.ndim != 2 or len(inputs) != len(legal):
        raise ValueError(f"expected inputs (N, …) and a legal-move mask (N, A) of the same N, got "
                         f"{tuple(inputs.shape)} and {tuple(legal.shape)}")
    if len(legal) and not bool(legal.any(dim=1).all()):
        raise ValueError("a position without a legal move was sent to the net: evaluate only positions where the "
                         "game goes on (score finished games by their result)")
    device = device or next(net.parameters()).device
    training = net.training
    net.eval()
    try:
        logits, values = net(inputs.to(device))
    finally:
        net.train(training)
    logits = logits.float().masked_fill(~legal.to(device), float("-inf"))
    priors = torch.softmax(logits, dim=1)
    return priors.cpu().numpy(), values.float().reshape(-1).cpu().numpy()


def agreement_rate(chosen: Sequence[int], allowed: Sequence[set]) -> float:
    """The share of positions whose chosen move is in the allowed set (e.g. the solver's optimal moves).

    Introduced in notebook 09 (AlphaZero in miniature): the network alone scored on every position.
    """
    if len(chosen) != len(allowed) or not len(chosen):
        raise ValueError(f"expected one chosen move per position (and at least one), got {len(chosen)} moves for "
                         f"{len(allowed)} positions")
    return float(np.mean([int(move) in moves for move, moves in zip(chosen, allowed)]))


Agent = Callable[[Hashable], int]


def play_match(agents: Sequence[Agent], start: Hashable, play: Callable[[Hashable, int], Hashable],
               result: Callable[[Hashable], int | None]) -> tuple[list[int], int]:
    """Play one game: ``agents[0]`` moves first, then they alternate; returns (the moves, the result).

    ``play(position, move)`` gives the next position; ``result(position)`` is ``None`` while the game goes on, else
    +1 (the first player won), 0 (draw) or -1 (the second player won). Introduced in notebook 09 (AlphaZero in
    miniature).
    """
    if len(agents) != 2:
        raise ValueError(f"a match needs two agents, got {len(agents)}")
    position, moves = start, []
    while (outcome := result(position)) is None:
        move = agents[len(moves) % 2](position)
        moves.append(int(move))
        position = play(position, move)
    return moves, outcome


@dataclass
class Match:
    """Many games of one agent against another, the agent playing first in half of them.

    ``record(moves, outcome_for_agent)`` adds a game; ``wins``, ``draws``, ``losses`` count them from the agent's
    side, ``distinct`` counts the different move sequences. Introduced in notebook 09 (AlphaZero in miniature).
    """
    games: list[tuple[tuple[int, ...], int]] = field(default_factory=list)

    def record(self, moves: Sequence[int], outcome_for_agent: int) -> None:
        if outcome_for_agent not in (-1, 0, 1):
            raise ValueError(f"an outcome is +1 (win), 0 (draw) or -1 (loss), got {outcome_for_agent!r}")
        self.games.append((tuple(int(m) for m in moves), int(outcome_for_agent)))

    @property
    def counts(self) -> Counter:
        return Counter(outcome for _, outcome in self.games)

    @property
    def wins(self) -> int:
        return self.counts[1]

    @property
    def draws(self) -> int:
        return self.counts[0]

    @property
    def losses(self) -> int:
        return self.counts[-1]

    @property
    def distinct(self) -> int:
        return len({moves for moves, _ in self.games})

    def __str__(self) -> str:
        return (f"{len(self.games)} games: {self.wins} won, {self.draws} drawn, {self.losses} lost "
                f"({self.distinct} different games)")


def plot_strength_curve(seconds: Sequence[float], rates: Sequence[float], target: float | None = None,
                        title: str = ""):
    """The network alone's share of optimal moves after each training iteration, against training time.

    Introduced in notebook 09 (AlphaZero in miniature): the lesson's "beginner after 3 hours, superhuman after 70".
    """
    return plots.plot_curve(seconds, {"network alone (no search)": rates}, xlabel="training time (s)",
                            ylabel="optimal moves, all positions", hline=target,
                            hline_label=None if target is None else f"target {target:.0%}", title=title,
                            ylim=(0, 1.01))

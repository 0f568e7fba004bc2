"""Lesson 09's hand-written game code, refereed by OpenSpiel, and lessons_lib.games' plumbing.

The notebook's cells tagged ``games-core`` (the rules, the solver, pure MCTS, the network, PUCT search, self-play,
the loss) are executed on their own, as tests/test_audio.py does for lesson 03: the rules must agree with OpenSpiel's
``tic_tac_toe`` on thousands of random games, the solver with ``open_spiel.python.algorithms.minimax`` on sampled
positions, and the batched search with the same search run one game at a time. OpenSpiel is a dev dependency (the
test referee), never the lesson's engine: the test skips, saying so, where it is not installed.
"""
from __future__ import annotations

import functools
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from lessons_lib.exercises.lesson09 import PuctScore, ValueTargets, VisitPolicy
from lessons_lib.games import Match, agreement_rate, play_match, policy_value

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "09_alphazero.ipynb"


@pytest.fixture(scope="module")
def core():
    """The notebook's cells tagged 'games-core', executed on their own (CPU, one thread's worth of work)."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells
               if c["cell_type"] == "code" and "games-core" in c.get("metadata", {}).get("tags", [])]
    assert len(sources) >= 6, "the notebook should tag its rules, solver, MCTS, net, search and self-play cells"
    namespace = {"functools": functools, "math": math, "np": np, "torch": torch, "nn": nn, "device": "cpu",
                 "policy_value": policy_value, "agreement_rate": agreement_rate}
    for source in sources:
        exec(source, namespace)
    return namespace


@pytest.fixture(scope="module")
def pyspiel():
    return pytest.importorskip("pyspiel", reason="OpenSpiel (pip install open_spiel, the dev extra) referees lesson 09")


def test_rules_agree_with_openspiel_on_random_games(core, pyspiel):
    game = pyspiel.load_game("tic_tac_toe")
    rng = random.Random(9)
    outcomes = set()
    for _ in range(3000):
        state, board = game.new_initial_state(), core["EMPTY"]
        while True:
            assert sorted(core["legal_moves"](board)) == sorted(state.legal_actions()) or state.is_terminal()
            assert (core["result"](board) is not None) == state.is_terminal()
            if state.is_terminal():
                break
            assert state.current_player() == (0 if core["to_move"](board) == 1 else 1)   # OpenSpiel's x is player 0
            move = rng.choice(state.legal_actions())
            state.apply_action(move)
            board = core["play"](board, move)
        assert core["legal_moves"](board) == []
        assert state.returns()[0] == core["result"](board)
        outcomes.add(core["result"](board))
    assert outcomes == {-1, 0, 1}


def test_every_position_is_counted(core):
    positions = core["reachable_positions"]()
    assert len(positions) == 5478
    assert sum(1 for board in positions if core["legal_moves"](board)) == 4520


def test_solver_agrees_with_openspiel_minimax(core, pyspiel):
    from open_spiel.python.algorithms import minimax
    game = pyspiel.load_game("tic_tac_toe")
    rng = random.Random(0)
    checked = 0
    for _ in range(60):
        state, board = game.new_initial_state(), core["EMPTY"]
        for _ in range(rng.randint(2, 6)):
            if state.is_terminal():
                break
            move = rng.choice(state.legal_actions())
            state.apply_action(move)
            board = core["play"](board, move)
        if state.is_terminal():
            continue
        value, _ = minimax.alpha_beta_search(game, state=state.clone(), maximizing_player_id=state.current_player())
        assert core["solve"](board) == value, core["show"](board)
        # each optimal move of the solver is one after which OpenSpiel's value for the mover stays the best value
        for move in core["optimal_moves"](board):
            child = state.clone()
            child.apply_action(move)
            if child.is_terminal():
                assert child.returns()[state.current_player()] == value
            else:
                after, _ = minimax.alpha_beta_search(game, state=child, maximizing_player_id=state.current_player())
                assert after == value
        checked += 1
    assert checked >= 40
    assert core["solve"](core["EMPTY"]) == 0


def small_net(core, seed=0):
    torch.manual_seed(seed)
    return core["PolicyValueNet"](hidden=16).eval()


def test_batched_search_equals_the_search_of_each_game_alone(core):
    net = small_net(core)
    play = core["play"]
    boards = [core["EMPTY"], play(core["EMPTY"], 4), play(play(core["EMPTY"], 0), 8), play(play(play(core["EMPTY"], 0), 4), 8)]
    together = core["search"](net, boards, 40)
    for board, root in zip(boards, together):
        alone = core["search"](net, [board], 40)[0]
        assert root.moves == alone.moves
        np.testing.assert_array_equal(root.N, alone.N)
        np.testing.assert_allclose(root.W, alone.W, rtol=1e-6, atol=1e-6)
        assert root.N.sum() == 40


def test_search_takes_a_win_and_blocks_a_loss_even_untrained(core):
    net = small_net(core, seed=1)
    play, EMPTY = core["play"], core["EMPTY"]
    win = play(play(play(play(EMPTY, 0), 3), 1), 4)          # X to move, 2 wins the top row
    root = core["search"](net, [win], 200)[0]
    assert root.moves[int(root.N.argmax())] == 2
    block = play(play(play(EMPTY, 0), 4), 1)                 # O to move, must block at 2
    root = core["search"](net, [block], 300)[0]
    assert root.moves[int(root.N.argmax())] == 2


def test_pure_mcts_takes_an_immediate_win(core):
    play, EMPTY = core["play"], core["EMPTY"]
    win = play(play(play(play(EMPTY, 0), 3), 1), 4)
    assert core["pure_mcts"](win, 300, np.random.default_rng(0)) == 2


def test_self_play_targets(core):
    net = small_net(core)
    examples, outcomes = core["self_play"](net, 4, 8, np.random.default_rng(0), 9)
    assert len(outcomes) == 4 and set(outcomes) <= {-1, 0, 1}
    assert len(examples) % 8 == 0                            # 8 symmetries of every stored position
    for board, pi, z in examples:
        legal = core["legal_moves"](board)
        assert legal and math.isclose(pi.sum(), 1.0) and set(np.flatnonzero(pi)) <= set(legal)
        assert z in (-1.0, 0.0, 1.0)
    # the first stored position of each game is the empty board (X to move), in all 8 symmetries: its z is X's result
    firsts = [z for board, _, z in examples if board == core["EMPTY"]]
    assert sorted(firsts) == sorted(float(o) for o in outcomes for _ in range(8))


def test_loss_is_value_error_plus_policy_cross_entropy(core):
    net = small_net(core)
    boards = [core["EMPTY"], core["play"](core["EMPTY"], 4)]
    x, legal = core["encode"](boards), core["legal_mask"](boards)
    pi = legal.float() / legal.float().sum(1, keepdim=True)
    z = torch.tensor([0.0, 1.0])
    logits, v = net(x)
    log_p = torch.log_softmax(logits.masked_fill(~legal, -1e9), 1)
    expected = ((z - v) ** 2).mean() - (pi * log_p).sum(1).mean()
    assert torch.isclose(core["alphazero_loss"](net, x, legal, pi, z), expected)


def test_exercise_references_agree_with_the_notebook(core):
    for visits, temperature in (([3, 9, 1], 1.0), ([3, 9, 1], 0.5), ([5, 5, 2], 0)):
        np.testing.assert_allclose(core["visit_policy"](visits, temperature), VisitPolicy.reference(visits, temperature))
    assert core["value_targets"]([1, -1, 1], -1) == [-1, 1, -1]
    ValueTargets().assert_check_passed(core["value_targets"])
    VisitPolicy().assert_check_passed(core["visit_policy"])
    node = core["Node"](core["EMPTY"], np.full(9, 1 / 9))
    node.N[:] = [3, 0, 1, 0, 5, 0, 0, 2, 0]
    node.W[:] = [1, 0, -1, 0, 2, 0, 0, 0.5, 0]
    scores = [PuctScore.reference(node.W[i] / node.N[i] if node.N[i] else 0.0, node.P[i], 1 + node.N.sum(), node.N[i],
                                  core["C_PUCT"]) for i in range(9)]
    assert core["puct_select"](node) == int(np.argmax(scores))


# ------------------------------------------------------------------------------------------- lessons_lib.games
class Tiny(nn.Module):
    def forward(self, x):
        return x[:, :3] * 10, x[:, 0]


def test_policy_value_masks_illegal_moves_and_restores_training_mode():
    net = nn.Sequential(Tiny())
    net.register_parameter("dummy", nn.Parameter(torch.zeros(1)))
    net.train()
    x = torch.tensor([[1.0, 0.0, 2.0], [0.5, 0.5, 0.5]])
    priors, values = policy_value(net, x, torch.tensor([[True, True, False], [False, True, True]]))
    assert net.training
    assert priors.shape == (2, 3) and np.allclose(priors.sum(1), 1)
    assert priors[0, 2] == 0 and priors[1, 0] == 0 and priors[0, 0] > priors[0, 1]
    np.testing.assert_allclose(values, [1.0, 0.5])
    with pytest.raises(ValueError, match="without a legal move"):
        policy_value(net, x, torch.tensor([[False, False, False], [True, True, True]]))
    with pytest.raises(ValueError, match="same N"):
        policy_value(net, x, torch.ones(3, 3, dtype=torch.bool))


def test_play_match_and_match_counts():
    # a counting game: players add 1 or 2, whoever reaches 5 wins
    def result(total):
        return None if total < 5 else (1 if total % 2 else -1)
    moves, outcome = play_match((lambda t: 1, lambda t: 2), 0, lambda t, m: t + m, lambda t: None if t < 5 else 1)
    assert moves == [1, 2, 1, 2] and outcome == 1
    match = Match()
    match.record([1, 2], 1)
    match.record([1, 2], 0)
    match.record([2, 2], -1)
    assert (match.wins, match.draws, match.losses, match.distinct) == (1, 1, 1, 2)
    assert "3 games: 1 won, 1 drawn, 1 lost (2 different games)" == str(match)
    with pytest.raises(ValueError):
        match.record([1], 2)
    with pytest.raises(ValueError):
        play_match((lambda t: 1,), 0, lambda t, m: t + m, result)


def test_agreement_rate():
    assert agreement_rate([0, 1, 2, 3], [{0}, {0, 1}, {1}, {3, 4}]) == 0.75
    with pytest.raises(ValueError):
        agreement_rate([0], [{0}, {1}])


# ------------------------------------------------------------------------------ benchmarks/selfplay_speed.py
def test_the_selfplay_benchmark_runs_the_notebooks_code_and_writes_report_rows(tmp_path, capsys):
    import importlib.util
    import sys

    path = NOTEBOOK.parents[1] / "benchmarks" / "selfplay_speed.py"
    spec = importlib.util.spec_from_file_location("benchmark_selfplay_speed", path)
    benchmark = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = benchmark
    spec.loader.exec_module(benchmark)
    rows = benchmark.main(["--games", "3", "--alone", "2", "--simulations", "2", "--results", str(tmp_path)])
    written = json.loads((tmp_path / "selfplay_speed.json").read_text())
    assert written["benchmark"] == "selfplay_speed" and written["rows"] == rows
    batched, alone, speedup = rows
    assert batched["measured"] > 0 and alone["measured"] > 0 and speedup["better"] == "higher"
    assert "one game at a time" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        benchmark.main(["--games", "0"])

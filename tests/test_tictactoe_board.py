"""Tests for lessons_lib.widgets.tictactoe_board (notebook 09): the board's Python side without a browser (a click's
state, illegal clicks, the agent's answers, the result), its JS syntax and the DOM names the browser test relies on."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from lessons_lib.widgets import AgentMove, TicTacToeBoard, check_move, learner_outcome, next_mark

LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]


def result(board):
    """The lesson's rule, written again here: None while the game goes on, +1 X won, 0 draw, -1 O won."""
    for a, b, c in LINES:
        if board[a] != 0 and board[a] == board[b] == board[c]:
            return board[a]
    return None if 0 in board else 0


def first_empty_agent(board):
    """An agent that takes the first empty cell; its 'search' visited every empty cell once, the first twice."""
    empty = [cell for cell in range(9) if board[cell] == 0]
    visits = [2.0 if cell == empty[0] else 1.0 if cell in empty else 0.0 for cell in range(9)]
    return AgentMove(move=empty[0], visits=visits, value=0.25)


def test_a_new_board_is_empty_and_waits_for_the_learner():
    board = TicTacToeBoard(first_empty_agent, result)
    assert board.board == [0] * 9 and board.outcome == "" and board.value is None
    assert "You play X" in board.message


def test_a_click_places_the_learners_mark_and_the_agent_answers_on_an_empty_cell():
    board = TicTacToeBoard(first_empty_agent, result)
    answer = board.click(4)
    assert answer.move == 0
    assert board.position == (-1, 0, 0, 0, 1, 0, 0, 0, 0)        # X (the learner) in the centre, O (the agent) at 0
    assert board.visits == [2.0, 1, 1, 1, 0, 1, 1, 1, 1] and board.value == 0.25
    assert "The agent played row 1, column 1" in board.message and board.outcome == ""


def test_illegal_clicks_are_rejected_with_a_clear_message():
    board = TicTacToeBoard(first_empty_agent, result)
    board.click(4)
    before = board.position
    with pytest.raises(ValueError, match=r"cell 4 \(row 2, column 2\) already holds X: click an empty cell"):
        board.click(4)
    with pytest.raises(ValueError, match="already holds O"):
        board.click(0)
    for bad in (9, -1, "3", 2.0, None, True):
        with pytest.raises(ValueError, match="a cell number from 0 to 8"):
            board.click(bad)
    assert board.position == before                                # nothing was played


def test_a_browser_click_on_a_taken_cell_shows_the_message_on_the_board_and_is_answered():
    board = TicTacToeBoard(first_empty_agent, result)
    board._on_browser_message(board, {"event": "click", "cell": 4}, [])
    assert board.answers == 1 and board.position[4] == 1
    board._on_browser_message(board, {"event": "click", "cell": 4}, [])
    assert board.answers == 2 and "already holds X: click an empty cell" in board.message
    board._on_browser_message(board, {"event": "new_game"}, [])
    assert board.answers == 3 and board.board == [0] * 9


def test_the_learner_wins_and_the_game_is_over():
    board = TicTacToeBoard(first_empty_agent, result)   # the agent takes 0, 1, ...: X plays 4, 5, 3 (the middle row)
    board.click(4)
    board.click(5)
    assert board.click(3) is None                       # the learner's move ended the game: the agent does not answer
    assert board.position == (-1, -1, 0, 1, 1, 1, 0, 0, 0)
    assert board.outcome == "win" and "You win!" in board.message
    with pytest.raises(ValueError, match="the game is over.*New game"):
        board.click(8)
    board.new_game()
    assert board.board == [0] * 9 and board.outcome == "" and board.visits == [0.0] * 9


def test_the_agent_wins_and_a_full_board_is_a_draw():
    board = TicTacToeBoard(first_empty_agent, result)   # O takes 0, 1, 2: the top row
    board.click(4)
    board.click(8)
    board.click(6)
    assert board.outcome == "loss" and board.position[:3] == (-1, -1, -1) and "The agent wins." in board.message
    drawn = TicTacToeBoard(lambda b: AgentMove(move=[0, 5, 6, 7][list(b).count(-1)], visits=[0] * 9, value=0.0),
                           result)
    for cell in (4, 2, 3, 8, 1):                         # X: 4 2 3 8 1, O: 0 5 6 7 — nobody has three in a row
        drawn.click(cell)
    assert result(drawn.position) == 0 and drawn.outcome == "draw" and "A draw." in drawn.message


def test_when_the_learner_plays_o_the_agent_opens():
    board = TicTacToeBoard(first_empty_agent, result, learner="O")
    assert board.position == (1, 0, 0, 0, 0, 0, 0, 0, 0) and board.value == 0.25
    board.click(4)
    assert board.position[4] == -1 and board.position[1] == 1


def test_an_agent_that_answers_an_illegal_move_is_named():
    taken = TicTacToeBoard(lambda b: AgentMove(move=4, visits=[0] * 9, value=0.0), result)
    with pytest.raises(ValueError, match="cell 4 .* already holds X: the agent chose it"):
        taken.click(4)
    wrong = TicTacToeBoard(lambda b: 3, result)
    with pytest.raises(TypeError, match="must return an AgentMove"):
        wrong.click(4)
    short = TicTacToeBoard(lambda b: AgentMove(move=0, visits=[1, 2], value=0.0), result)
    with pytest.raises(ValueError, match="one number per cell"):
        short.click(4)


def test_bad_construction_gets_clear_errors():
    with pytest.raises(ValueError, match="'X' .* or 'O'"):
        TicTacToeBoard(first_empty_agent, result, learner="x")
    with pytest.raises(TypeError, match=r"TicTacToeBoard\(agent, result\)"):
        TicTacToeBoard(first_empty_agent, None)


def test_helpers():
    assert next_mark([0] * 9) == 1 and next_mark([1] + [0] * 8) == -1
    assert check_move([0] * 9, 8) == 8
    assert [learner_outcome(r, 1) for r in (1, 0, -1)] == ["win", "draw", "loss"]
    assert [learner_outcome(r, -1) for r in (1, 0, -1)] == ["loss", "draw", "win"]
    with pytest.raises(ValueError, match="got None"):
        learner_outcome(None, 1)


def test_the_dom_names_the_browser_test_relies_on():
    esm = TicTacToeBoard._esm
    for name in ("lbl-ttt", "lbl-ttt-cell", "lbl-ttt-visits", "lbl-ttt-status", "lbl-ttt-value", "lbl-ttt-new",
                 '"New game"', "dataset.outcome", "dataset.answers", "dataset.mark", "model.send"):
        assert name in esm


@pytest.mark.skipif(shutil.which("node") is None, reason="node checks the JavaScript's syntax")
def test_the_javascript_parses(tmp_path):
    path = tmp_path / "board.mjs"
    path.write_text(TicTacToeBoard._esm)
    subprocess.run(["node", "--check", str(path)], check=True)

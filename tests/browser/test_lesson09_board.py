"""Lesson 09 in a real browser: run it in JupyterLab, then play a whole game of tic-tac-toe against the trained agent
by mouse clicks on its board, as a learner does.

After every click: the learner's X is where the mouse clicked, and the agent answered with one O on a cell that was
empty (a legal move, one mark per turn) and the visit counts of its search on the board. A click on a taken cell
is refused with a message and changes nothing. At the end the board shows the result (win, draw or loss) that the
final position gives, computed here from the marks alone; New game empties it. The DOM contract with
``lessons_lib.widgets.tictactoe_board``: root ``.lbl-ttt`` with ``data-outcome`` and ``data-answers``,
``button.lbl-ttt-cell[data-cell][data-mark]`` with ``.lbl-ttt-visits``, ``.lbl-ttt-status``, ``.lbl-ttt-value``,
``button.lbl-ttt-new``.
"""
from __future__ import annotations

import pytest
from lab_driver import WIDGET_TIMEOUT_S, wait_until

NOTEBOOK = "09_alphazero.ipynb"
pytestmark = pytest.mark.runs_notebook(NOTEBOOK, browser=True)
LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
PREFERENCE = [4, 0, 8, 2, 6, 1, 3, 5, 7]            # the learner's plan: the centre, then corners, then edges
SHOWN = {"win": "You win!", "draw": "A draw.", "loss": "The agent wins."}


def expected_outcome(marks: list[str]) -> str:
    """The learner (X)'s result from the final marks alone: 'win', 'loss' or 'draw' ('' if the game goes on)."""
    for a, b, c in LINES:
        if marks[a] and marks[a] == marks[b] == marks[c]:
            return "win" if marks[a] == "X" else "loss"
    return "" if "" in marks else "draw"


class Board:
    """The board as the page shows it."""

    def __init__(self, root):
        self.root = root

    def marks(self) -> list[str]:
        return self.root.locator("button.lbl-ttt-cell").evaluate_all("(els) => els.map(e => e.dataset.mark || '')")

    def visits(self) -> list[str]:
        return self.root.locator(".lbl-ttt-visits").evaluate_all("(els) => els.map(e => e.textContent.trim())")

    def answers(self) -> int:
        return int(self.root.get_attribute("data-answers") or -1)

    def outcome(self) -> str:
        return self.root.get_attribute("data-outcome") or ""

    def text(self, part: str) -> str:
        return self.root.locator(f".lbl-ttt-{part}").first.text_content().strip()

    def click_and_wait(self, button) -> None:
        """A real mouse click; then wait until the kernel has answered it (``data-answers`` ticks)."""
        answered = self.answers()
        button.click()
        wait_until(lambda: self.answers() > answered, WIDGET_TIMEOUT_S,
                   f"the kernel did not answer the click (data-answers stayed {answered}; status "
                   f"{self.text('status')!r})")

    def click_cell(self, cell: int) -> None:
        self.click_and_wait(self.root.locator(f"button.lbl-ttt-cell[data-cell='{cell}']"))


def check_one_turn(board: Board, before: list[str], cell: int) -> list[str]:
    """After the learner's click on ``cell``: X there, and (unless X's move ended the game) one O on a cell that
    was empty, with the search's visit counts shown; nothing else changed."""
    after = board.marks()
    changed = [i for i in range(9) if after[i] != before[i]]
    assert after[cell] == "X", f"clicked cell {cell}, it shows {after[cell]!r}: {after}"
    assert all(before[i] == "" for i in changed), f"a taken cell changed: {before} -> {after}"
    agent = [i for i in changed if i != cell]
    if expected_outcome(before[:cell] + ["X"] + before[cell + 1:]):      # the learner's move ended the game
        assert agent == [], f"the game was over after X's move, yet the agent played {agent}: {after}"
        return after
    assert len(agent) == 1 and after[agent[0]] == "O", \
        f"the agent should answer with one O on an empty cell, it changed {agent}: {before} -> {after}"
    assert board.visits()[agent[0]], f"the agent's move (cell {agent[0]}) shows no visit count: {board.visits()}"
    assert after.count("X") == after.count("O"), f"one mark per turn: {after}"
    assert "value estimate" in board.text("value"), f"no value estimate shown: {board.text('value')!r}"
    return after


def test_lesson09_play_a_whole_game_against_the_agent_by_mouse_clicks(open_notebook, steps, page):
    with steps(f"open {NOTEBOOK} in JupyterLab"):
        notebook = open_notebook(NOTEBOOK)
    with steps("run all cells"):
        notebook.run_all()
    with steps("no error output anywhere, every widget rendered"):
        notebook.assert_no_errors()
    root = notebook.cell_with("TicTacToeBoard(").locator(".lbl-ttt").first
    board = Board(root)
    with steps("the board rendered empty, the learner to move", root):
        try:
            root.wait_for(state="visible", timeout=WIDGET_TIMEOUT_S * 1000)
        except Exception:  # noqa: BLE001
            raise AssertionError("the tic-tac-toe board did not render: no .lbl-ttt in the TicTacToeBoard "
                                 "cell") from None
        root.scroll_into_view_if_needed()
        assert board.marks() == [""] * 9 and board.outcome() == "", (board.marks(), board.outcome())
        assert "You play X" in board.text("status")

    marks, turn = [""] * 9, 0
    while not board.outcome():
        turn += 1
        assert turn <= 5, f"X has had 5 turns and the board shows no result: {marks}"
        cell = next(c for c in PREFERENCE if marks[c] == "")
        with steps(f"turn {turn}: click cell {cell}; the agent answers on an empty cell", root):
            board.click_cell(cell)
            marks = check_one_turn(board, marks, cell)
        if turn == 1:
            with steps("click a taken cell: refused with a message, nothing changes", root):
                taken = next(c for c in range(9) if marks[c] == "O")
                board.click_cell(taken)
                assert "already holds O" in board.text("status"), board.text("status")
                assert board.marks() == marks, f"a refused click changed the board: {marks} -> {board.marks()}"

    with steps("the game ended with the result the final board gives", root):
        expected = expected_outcome(marks)
        assert expected, f"the board shows the result {board.outcome()!r} but the game is not over: {marks}"
        assert board.outcome() == expected, f"final board {marks}: expected {expected!r}, shown {board.outcome()!r}"
        assert SHOWN[expected] in board.text("status"), f"the status should say {SHOWN[expected]!r}: " \
                                                        f"{board.text('status')!r}"
    with steps("New game empties the board", root):
        board.click_and_wait(root.locator("button.lbl-ttt-new"))
        assert board.marks() == [""] * 9 and board.outcome() == "" and "You play X" in board.text("status")
    with steps("still no error output after the game"):
        notebook.assert_no_errors()

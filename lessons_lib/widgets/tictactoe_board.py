"""Play tic-tac-toe against a trained agent: an anywidget board. The learner clicks a cell; the kernel calls the
agent the notebook passes in, which answers with its move, its search's visit counts (shown as numbers and shading
on the cells) and its value estimate; the game ends with the result shown (win, draw or loss) and a "New game" button.

The widget knows no search and no network: ``agent(board)`` (a callback from the notebook) returns an ``AgentMove``,
and ``result(board)`` is the lesson's own rule (``None`` while the game goes on, +1 X won, 0 draw, -1 O won). A board
is a tuple of 9 cells, row by row: 1 for X, -1 for O, 0 for empty, X moving first (notebook 09's representation).
Python can play too (``board.click(4)``, ``board.new_game()``), which is how a notebook without a browser, or a
test, plays.

DOM (kept stable for the real-browser test): root ``.lbl-ttt`` with ``data-outcome`` ("" while playing, else "win",
"draw" or "loss", from the learner's side) and ``data-answers`` (how many clicks the kernel has answered);
``button.lbl-ttt-cell`` with ``data-cell`` (0…8) and ``data-mark`` ("X", "O" or ""), each with a
``.lbl-ttt-visits`` count where the agent's last search visited; ``.lbl-ttt-status`` (the message),
``.lbl-ttt-value`` (the agent's value estimate) and ``button.lbl-ttt-new`` ("New game").

Introduced in notebook 09 (AlphaZero in miniature).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import anywidget
import traitlets

MARKS = {1: "X", -1: "O", 0: ""}
OUTCOME_TEXT = {"win": "You win!", "draw": "A draw.", "loss": "The agent wins."}

_ESM = r"""
function render({ model, el }) {
  el.classList.add("lbl-ttt");
  const grid = document.createElement("div"); grid.className = "lbl-ttt-grid";
  const cells = [];
  for (let i = 0; i < 9; i++) {
    const cell = document.createElement("button"); cell.className = "lbl-ttt-cell"; cell.dataset.cell = String(i);
    const mark = document.createElement("span"); mark.className = "lbl-ttt-mark";
    const visits = document.createElement("span"); visits.className = "lbl-ttt-visits";
    cell.append(mark, visits); grid.append(cell); cells.push(cell);
    cell.addEventListener("click", () => send({ event: "click", cell: i }));
  }
  const status = document.createElement("div"); status.className = "lbl-ttt-status";
  const value = document.createElement("div"); value.className = "lbl-ttt-value";
  const fresh = document.createElement("button"); fresh.className = "lbl-ttt-new"; fresh.textContent = "New game";
  fresh.addEventListener("click", () => send({ event: "new_game" }));
  el.append(grid, status, value, fresh);
  let waiting = false;          // a click was sent and the kernel has not answered yet: no second move meanwhile
  function send(message) {
    if (waiting) return;
    waiting = true; el.classList.add("lbl-ttt-thinking"); status.textContent = "The agent is thinking…";
    model.send(message);
  }
  function paint() {
    const board = model.get("board"), counts = model.get("visits"), most = Math.max(1, ...counts);
    cells.forEach((cell, i) => {
      const mark = board[i] === 1 ? "X" : board[i] === -1 ? "O" : "";
      cell.dataset.mark = mark; cell.querySelector(".lbl-ttt-mark").textContent = mark;
      cell.querySelector(".lbl-ttt-visits").textContent = counts[i] > 0 ? String(Math.round(counts[i])) : "";
      cell.style.background = counts[i] > 0 ? `rgba(255, 140, 0, ${(0.1 + 0.5 * counts[i] / most).toFixed(3)})` : "";
      cell.title = counts[i] > 0 ? `the agent's search visited this move ${Math.round(counts[i])} times` : "";
    });
    status.textContent = model.get("message");
    const v = model.get("value");
    value.textContent = v === null ? "" : `The agent's value estimate: ${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)} ` +
      "(its search's expected result for itself: +1 a win, 0 a draw, −1 a loss)";
    el.dataset.outcome = model.get("outcome");
    el.dataset.answers = String(model.get("answers"));
  }
  model.on("change:answers", () => { waiting = false; el.classList.remove("lbl-ttt-thinking"); paint(); });
  for (const name of ["board", "visits", "message", "value", "outcome"]) model.on(`change:${name}`, paint);
  paint();
}
export default { render };
"""

_CSS = """
.lbl-ttt { display: inline-flex; flex-direction: column; gap: 6px; font-family: sans-serif; }
.lbl-ttt-grid { display: grid; grid-template-columns: repeat(3, 72px); grid-template-rows: repeat(3, 72px); gap: 4px; }
.lbl-ttt-cell { position: relative; border: 1px solid #888; background: #fff; font-size: 36px; cursor: pointer; padding: 0; }
.lbl-ttt-visits { position: absolute; right: 4px; bottom: 2px; font-size: 11px; color: #444; }
.lbl-ttt-thinking .lbl-ttt-cell { cursor: wait; }
.lbl-ttt-new { align-self: flex-start; }
"""


@dataclass(frozen=True)
class AgentMove:
    """The agent's answer in a position: its ``move`` (a cell 0…8), the ``visits`` its search gave each cell (9
    numbers, 0 where it did not search) and its ``value`` estimate for itself in [-1, 1] (+1: it expects to win).

    Introduced in notebook 09 (AlphaZero in miniature).
    """
    move: int
    visits: Sequence[float]
    value: float


def next_mark(board: Sequence[int]) -> int:
    """The mark of the player to move (X = 1 moves when an odd number of cells is empty). Introduced in notebook 09."""
    return 1 if list(board).count(0) % 2 == 1 else -1


def check_move(board: Sequence[int], cell, who: str = "you") -> int:
    """``cell`` as an int after checking it is a free cell (0…8) of ``board``; a clear ValueError otherwise.

    Introduced in notebook 09 (AlphaZero in miniature).
    """
    if isinstance(cell, bool) or not isinstance(cell, int) or not 0 <= cell <= 8:
        raise ValueError(f"{who} chose cell {cell!r}: a move is a cell number from 0 to 8, row by row "
                         "(0 1 2 / 3 4 5 / 6 7 8)")
    if board[cell] != 0:
        raise ValueError(f"cell {cell} (row {cell // 3 + 1}, column {cell % 3 + 1}) already holds "
                         f"{MARKS[board[cell]]}: {'click an empty cell' if who == 'you' else f'{who} chose it'}")
    return cell


def learner_outcome(final_result: int, learner_mark: int) -> str:
    """'win', 'draw' or 'loss' for the learner, from the rules' result (+1 X won, 0 draw, -1 O won).

    Introduced in notebook 09 (AlphaZero in miniature).
    """
    if final_result not in (-1, 0, 1):
        raise ValueError(f"a finished game's result is +1 (X won), 0 (draw) or -1 (O won), got {final_result!r}")
    return "draw" if final_result == 0 else "win" if final_result == learner_mark else "loss"


def _cell_name(cell: int) -> str:
    return f"row {cell // 3 + 1}, column {cell % 3 + 1}"


class TicTacToeBoard(anywidget.AnyWidget):
    """A board to play the lesson's agent: ``TicTacToeBoard(agent, result, learner="X")``.

    ``agent(board) -> AgentMove`` answers each of the learner's moves; ``result(board)`` is the lesson's rule.
    ``click(cell)`` plays the learner's move and the agent's answer (as a click on the board does) and returns the
    agent's ``AgentMove`` (None when the learner's move ended the game); an illegal click raises a ValueError that
    says why (in the browser the message shows on the board). ``new_game()`` starts again; when the learner plays
    O the agent opens. Introduced in notebook 09 (AlphaZero in miniature).
    """

    _esm = _ESM
    _css = _CSS
    board = traitlets.List(traitlets.Int(), default_value=[0] * 9).tag(sync=True)
    visits = traitlets.List(traitlets.Float(), default_value=[0.0] * 9).tag(sync=True)
    value = traitlets.Float(None, allow_none=True).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    outcome = traitlets.Unicode("").tag(sync=True)       # "" while playing, else "win" / "draw" / "loss" (learner's)
    answers = traitlets.Int(0).tag(sync=True)           # clicks answered: the browser waits for it to change

    def __init__(self, agent: Callable[[tuple], AgentMove], result: Callable[[tuple], int | None],
                 learner: str = "X", **kwargs):
        if not callable(agent) or not callable(result):
            raise TypeError("expected TicTacToeBoard(agent, result): agent(board) returns an AgentMove, result(board) "
                            "is the rule (None while the game goes on, +1 X won, 0 draw, -1 O won)")
        if learner not in ("X", "O"):
            raise ValueError(f"learner plays 'X' (moves first) or 'O', got {learner!r}")
        super().__init__(**kwargs)
        self.agent, self.result, self.learner = agent, result, learner
        self.learner_mark = 1 if learner == "X" else -1
        self.on_msg(self._on_browser_message)
        self.new_game()

    @property
    def position(self) -> tuple:
        """The board as the lesson's tuple of 9 cells."""
        return tuple(self.board)

    def new_game(self) -> None:
        """An empty board (the agent opens when the learner plays O)."""
        with self.hold_sync():
            self.board, self.visits, self.value, self.outcome = [0] * 9, [0.0] * 9, None, ""
            self.message = f"You play {self.learner}. Click a cell."
            if self.learner_mark != next_mark(self.board):
                self._agent_plays()

    def click(self, cell: int) -> AgentMove | None:
        """The learner plays ``cell`` (0…8, row by row), then the agent answers unless the game is over."""
        if self.outcome:
            raise ValueError(f"the game is over ({OUTCOME_TEXT[self.outcome]}): press New game to play again")
        check_move(self.board, cell)
        with self.hold_sync():
            self._place(cell)
            if self._game_ended():
                return None
            return self._agent_plays()

    def _place(self, cell: int) -> None:
        board = list(self.board)
        board[cell] = next_mark(board)
        self.board = board

    def _agent_plays(self) -> AgentMove:
        answer = self.agent(self.position)
        if not isinstance(answer, AgentMove):
            raise TypeError(f"the agent must return an AgentMove(move, visits, value), got {type(answer).__name__}")
        move = check_move(self.board, int(answer.move), who="the agent")
        if len(answer.visits) != 9:
            raise ValueError(f"the agent's visits need one number per cell (9), got {len(answer.visits)}")
        self.visits, self.value = [float(v) for v in answer.visits], float(answer.value)
        self._place(move)
        if not self._game_ended():
            self.message = f"The agent played {_cell_name(move)} (its search's visits are on the cells). Your move."
        return answer

    def _game_ended(self) -> bool:
        final = self.result(self.position)
        if final is None:
            return False
        self.outcome = learner_outcome(final, self.learner_mark)
        self.message = f"Game over: {OUTCOME_TEXT[self.outcome]} Press New game to play again."
        return True

    def _on_browser_message(self, _widget, content, _buffers) -> None:
        """A click or New game from the browser; any error becomes the board's message, then ``answers`` ticks."""
        try:
            if content.get("event") == "new_game":
                self.new_game()
            elif content.get("event") == "click":
                self.click(content.get("cell"))
        except Exception as error:  # noqa: BLE001 (shown to the learner on the board, not lost in a log)
            self.message = f"{error}" if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
        finally:
            self.answers += 1

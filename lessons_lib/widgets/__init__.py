"""Interactive widgets for the lessons. Each widget calls pure functions that also work (and
are tested) without a browser.

Introduced in notebook 01 (filters have depth).
"""
from .conv_explorer import conv_explorer, describe_conv, draw_connection_table, draw_conv
from .drawing_pad import DrawingPad, draw_centering, strokes_to_image
from .layer_inspector import (FeatureMapStrips, LayerInspector, arithmetic_html, draw_layer_strips, draw_receptive_field,
                              draw_unit)
from .tictactoe_board import AgentMove, TicTacToeBoard, check_move, learner_outcome, next_mark

__all__ = ["conv_explorer", "describe_conv", "draw_conv", "draw_connection_table",
           "DrawingPad", "draw_centering", "strokes_to_image", "LayerInspector", "FeatureMapStrips", "arithmetic_html", "draw_unit",
           "draw_receptive_field", "draw_layer_strips", "TicTacToeBoard", "AgentMove", "check_move", "learner_outcome",
           "next_mark"]

"""Interactive widgets for the lessons. Each widget calls pure functions that also work (and
are tested) without a browser.

Introduced in notebook 01 (filters have depth).
"""
from .conv_explorer import conv_explorer, describe_conv, draw_connection_table, draw_conv

__all__ = ["conv_explorer", "describe_conv", "draw_conv", "draw_connection_table"]

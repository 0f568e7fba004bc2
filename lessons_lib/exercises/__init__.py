"""Exercises: ``core`` holds the Question API; one module per lesson holds its questions.

Introduced in notebook 00 (start here).
"""
from .core import (____, FunctionQuestion, Incorrect, MultiPartQuestion, NumberQuestion, Outcome, Question,
                   bind_questions, make_binder, make_progress)

__all__ = ["____", "Question", "NumberQuestion", "FunctionQuestion", "MultiPartQuestion", "Incorrect", "Outcome",
           "bind_questions", "make_binder", "make_progress"]

"""Exercises: ``core`` holds the Question API; one module per lesson holds its questions.

Introduced in notebook 00 (start here).
"""
from .core import (____, AnswerWithheld, FunctionQuestion, Incorrect, MultiPartQuestion, NumberQuestion, Outcome,
                   Question, bind_questions, make_binder, make_progress, withheld_answers)

__all__ = ["____", "Question", "NumberQuestion", "FunctionQuestion", "MultiPartQuestion", "Incorrect", "Outcome",
           "AnswerWithheld", "bind_questions", "make_binder", "make_progress", "withheld_answers"]

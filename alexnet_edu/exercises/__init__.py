"""Checkers for the book's exercises: call one with your answer to get a pass/fail message.

Chapter ``book/NN_topic.ipynb`` has its checkers in ``alexnet_edu/exercises/chNN_topic.py`` and
their tests in ``tests/test_exercises_NN_topic.py``. Each checker recomputes the answer with the
package (never from a stored value), prints what is right or wrong about the student's answer, with
a hint for the common wrong answers, and returns ``True`` or ``False``. Every checker is importable
from here (``from alexnet_edu.exercises import check_topk_error``), and :func:`check` checks the
answers to one exercise by its label, as the student edition's answer cells and the grader do.
"""

from .catalogue import CATALOGUE, CHAPTER_MODULES, check, chapter_exercises

# Every chapter module's checkers, re-exported: the chapters and their exercises import them from here.
__all__ = ["CATALOGUE", "check", "chapter_exercises"]
for _module in CHAPTER_MODULES.values():
    for _name, _value in vars(_module).items():
        if _name.startswith("check_") and getattr(_value, "__module__", None) == _module.__name__:
            globals()[_name] = _value
            __all__.append(_name)
del _module, _name, _value

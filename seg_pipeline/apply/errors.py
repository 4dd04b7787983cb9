"""The one error type of the downstream tools: a problem and its fix, printed as one line."""
from __future__ import annotations


class ApplyError(RuntimeError):
    """Something the user can fix (unknown video, no trained model, missing warehouse...).

    The CLI prints `str(error)` as a single line and exits non-zero; the message always says
    what to do next, so nobody has to read a traceback.
    """

    def __init__(self, problem: str, fix: str):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}. Fix: {fix}")

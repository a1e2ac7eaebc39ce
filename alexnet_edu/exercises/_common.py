"""What every checker shares: the message it prints and the tolerance it accepts."""

import math


def report(ok: bool, message: str) -> bool:
    """Print ``message`` after "Correct." or "Not yet." and return ``ok``."""
    print(("Correct. " if ok else "Not yet. ") + message)
    return ok


def close(a: float, b: float, rel: float = 1e-3, abs_: float = 1e-9) -> bool:
    """Whether an answer ``a`` matches the truth ``b`` to the checkers' usual tolerance."""
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)

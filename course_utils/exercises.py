"""Auto-checked exercises: ``check()``, ``hint()`` and ``solution()``.

Each lesson's exercises live in ``course_utils/exercises_NN.py`` as a list
``EXERCISES`` of :class:`Exercise`. A lesson loads them with::

    ex = cu.exercises.load("00")
    answer = ...            # the learner replaces ... with an answer
    ex[1].check(answer)     # says right or wrong, and by how much

An unattempted answer (``...`` or ``None``) is reported as such and never
raises, so a stored notebook with empty answer cells runs clean under nbval.
The worked solution *is* the reference function's source, and the unit tests
run every reference through its own checker. Introduced in lesson 00.
"""

from __future__ import annotations

import contextlib
import decimal
import importlib
import inspect
import numbers
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Text(str):
    """A string that a notebook displays as plain text, without quotes."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Feedback:
    """What ``check()`` concluded.

    Attributes:
        status: ``"correct"``, ``"incorrect"`` or ``"unattempted"``.
        message: one or more lines saying what matched and by how much.
    """

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        mark = {
            "correct": "[correct]",
            "incorrect": "[not yet]",
            "unattempted": "[to do]",
        }
        return f"{mark[self.status]} {self.message}"


def as_numbers(
    answer: Any, wanted: str = "a number or an array of numbers", *, finite: bool = True
) -> tuple[np.ndarray | None, str]:
    """``answer`` as a float64 array, or ``None`` and a message saying why not; never raises.

    The one converter every checker uses. Accepted: Python and NumPy ints and floats,
    ``Fraction`` and ``Decimal``, lists and tuples of numbers, real arrays and tensors
    (anything ``np.asarray`` turns into an int, float or bool array; a bare ``True`` is
    refused). Refused, each with a message that says what was given: strings and bytes
    (``'448'`` is text, not a number), complex numbers, object arrays (``None``, mixed or
    ragged entries), numbers too large for a float, and, when ``finite``, nan and inf.

    Example:
        >>> from fractions import Fraction
        >>> as_numbers(Fraction(1, 4))[0], as_numbers([1, 2])[0]
        (array(0.25), array([1., 2.]))
        >>> as_numbers("448")[1]
        "expected a number or an array of numbers, got the text '448': remove the quotes"
    """
    if isinstance(answer, (str, bytes)):
        return (
            None,
            f"expected {wanted}, got the text {answer!r:.40}: remove the quotes",
        )
    if isinstance(answer, (bool, np.bool_)):
        return None, f"expected {wanted}, got {answer!r}"
    try:
        if isinstance(answer, (numbers.Real, decimal.Decimal)):
            array = np.asarray(float(answer))
        else:
            array = np.asarray(answer)
            kind = array.dtype.kind
            if kind == "c":
                return None, (
                    f"expected {wanted}, got a complex number: give the real part "
                    "(np.real) or the magnitude (np.abs), whichever the question asks for"
                )
            if kind in "USa":
                return None, (
                    f"expected {wanted}, got text ({array.dtype}): remove the quotes"
                )
            if kind == "O":
                with contextlib.suppress(TypeError, ValueError):
                    array.astype(np.float64)  # only to tell a too-large number apart
                if array.ndim == 0:
                    return None, f"expected {wanted}, got {type(answer).__name__}"
                return None, (
                    f"expected {wanted}, got an array of Python objects (None, text, "
                    "or entries of different shapes)"
                )
            if kind not in "biuf":
                return None, f"expected {wanted}, got an array of dtype {array.dtype}"
            array = array.astype(np.float64)
    except OverflowError:
        return (
            None,
            "the answer is too large to be a floating-point number (above 1.8e308)",
        )
    except Exception:  # noqa: BLE001 - ragged lists, odd objects: a verdict, never a traceback
        return None, f"expected {wanted}, got {type(answer).__name__}"
    if finite and not np.all(np.isfinite(array)):
        return None, "the answer contains nan or inf"
    return array, ""


def compare(
    answer: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9
) -> Feedback:
    """Compare an answer with the expected value and say how close it is.

    Numbers and arrays are read with :func:`as_numbers` and compared with
    ``np.allclose`` semantics; the report names the largest difference (exact /
    approximate / off by ...). Strings are compared case- and space-insensitively;
    anything else with ``==``.

    Example:
        >>> compare(0.30000001, 0.3).status, compare([1, 2], [1, 3]).status
        ('correct', 'incorrect')
        >>> compare("448", 448).status
        'incorrect'
    """
    if answer is None or answer is Ellipsis:
        return Feedback(
            "unattempted",
            "no answer yet: replace ... with your answer and run the cell again",
        )
    if isinstance(expected, str):
        if not isinstance(answer, str):
            return Feedback(
                "incorrect", f"expected a string, got {type(answer).__name__}"
            )
        same = " ".join(answer.lower().split()) == " ".join(expected.lower().split())
        return (
            Feedback("correct", "matches")
            if same
            else Feedback("incorrect", f"got {answer!r}")
        )
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(answer, (bool, np.bool_)):
            return Feedback("incorrect", f"expected True or False, got {answer!r}")
        return (
            Feedback("correct", "matches")
            if answer == expected
            else Feedback("incorrect", f"got {answer!r}")
        )
    if isinstance(expected, (int, float, np.number, np.ndarray, list, tuple)):
        got, problem = as_numbers(answer)
        if got is None:
            return Feedback("incorrect", problem)
        want = np.asarray(expected, dtype=np.float64)
        if got.shape != want.shape:
            return Feedback("incorrect", f"shape {got.shape}, expected {want.shape}")
        diff = float(np.max(np.abs(got - want))) if got.size else 0.0
        if diff == 0.0:
            return Feedback("correct", "exact match")
        if np.allclose(got, want, rtol=rtol, atol=atol):
            return Feedback(
                "correct", f"approximately right (max difference {diff:.2g})"
            )
        scale = float(np.max(np.abs(want))) or 1.0
        return Feedback(
            "incorrect", f"max difference {diff:.3g} (relative {diff / scale:.2g})"
        )
    same = answer == expected
    return (
        Feedback("correct", "matches")
        if same
        else Feedback("incorrect", f"got {answer!r}")
    )


@dataclass
class Exercise:
    """One auto-checked exercise.

    Args:
        number: its number within the lesson (1, 2, ...).
        title: a few words.
        reference: a function of no arguments whose body is the worked solution;
            it returns the expected answer.
        hints: successive hints, mildest first.
        explanation: the reasoning shown with the solution.
        judge: optional ``judge(answer, expected) -> Feedback`` for answers that
            ``compare`` cannot judge (a function to be called, a set of choices...).
        rtol, atol: tolerances for ``compare``.
    """

    number: int
    title: str
    reference: Callable[[], Any]
    hints: Sequence[str]
    explanation: str = ""
    judge: Callable[[Any, Any], Feedback] | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    _expected: Any = field(default=None, init=False, repr=False)
    _computed: bool = field(default=False, init=False, repr=False)

    def expected(self) -> Any:
        """The reference answer (computed once, on first use)."""
        if not self._computed:
            self._expected = self.reference()
            self._computed = True
        return self._expected

    def check(self, answer: Any) -> Feedback:
        """Judge ``answer``; ``...`` or ``None`` counts as not attempted and never raises."""
        if answer is None or answer is Ellipsis:
            return Feedback(
                "unattempted",
                f"Exercise {self.number} not attempted yet: replace ... with your answer "
                f"and run the cell again. ex[{self.number}].hint() gives a hint.",
            )
        expected = self.expected()
        try:
            if self.judge is not None:
                return self.judge(answer, expected)
            return compare(answer, expected, rtol=self.rtol, atol=self.atol)
        except (
            Exception
        ) as error:  # a learner's odd answer must get feedback, not a traceback
            return Feedback(
                "incorrect",
                f"could not judge this answer ({type(error).__name__}: {error}); "
                f"check its type and shape against the exercise statement",
            )

    def hint(self, level: int = 1) -> Text:
        """Hint number ``level`` (1 = mildest); the last hint if ``level`` is larger."""
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValueError(f"level must be a positive int, got {level!r}")
        if not self.hints:
            return Text("No hint for this one: see .solution().")
        index = min(level, len(self.hints)) - 1
        more = "" if index == len(self.hints) - 1 else f"  (next: .hint({index + 2}))"
        return Text(f"Hint {index + 1}/{len(self.hints)}: {self.hints[index]}{more}")

    def solution(self) -> Text:
        """The worked solution: the explanation and the reference code that the tests run."""
        source = textwrap.dedent(inspect.getsource(self.reference))
        parts = [f"Exercise {self.number}: {self.title}"]
        if self.explanation:
            parts.append(textwrap.fill(" ".join(self.explanation.split()), 88))
        parts.append(source.rstrip())
        return Text("\n\n".join(parts))


class ExerciseSet(dict):
    """The exercises of one lesson, keyed by number: ``ex[1].check(answer)``."""

    def __repr__(self) -> str:
        return "\n".join(f"Exercise {n}: {e.title}" for n, e in sorted(self.items()))


def load(lesson: str) -> ExerciseSet:
    """The exercises of a lesson, e.g. ``load("00")``.

    Raises:
        TypeError: ``lesson`` is not a str.
        ValueError: ``lesson`` is not two digits, or that lesson has no exercises module.
    """
    if not isinstance(lesson, str):
        raise TypeError(
            f"lesson must be a str such as '00', got {type(lesson).__name__}"
        )
    if len(lesson) != 2 or not lesson.isdigit():
        raise ValueError(f"lesson must be two digits such as '00', got {lesson!r}")
    try:
        module = importlib.import_module(f"course_utils.exercises_{lesson}")
    except ModuleNotFoundError:
        raise ValueError(f"no exercises for lesson {lesson!r}") from None
    exercises = ExerciseSet()
    for exercise in module.EXERCISES:
        exercises[exercise.number] = exercise
    return exercises

"""course_utils.exercises: check/hint/solution behaviour, and every lesson's reference solutions."""

import pkgutil

import numpy as np
import pytest

import course_utils
from course_utils.exercises import Exercise, Feedback, compare, load

LESSONS = sorted(
    m.name.removeprefix("exercises_")
    for m in pkgutil.iter_modules(course_utils.__path__)
    if m.name.startswith("exercises_")
)


def _toy_reference():
    return 24  # 28 - 5 + 1


TOY = Exercise(
    number=1,
    title="output size",
    reference=_toy_reference,
    hints=["n - k + 1", "28 - 5 + 1"],
    explanation="A valid 5x5 window fits 24 times.",
)


def test_compare_reports_exact_approximate_and_wrong_numbers():
    assert repr(compare(24, 24)) == "[correct] exact match"
    assert (
        compare(0.1 + 0.2, 0.3).correct
        and "approximately right" in compare(0.1 + 0.2, 0.3).message
    )
    wrong = compare([1.0, 2.0], [1.0, 2.5])
    assert not wrong and wrong.message == "max difference 0.5 (relative 0.2)"


def test_compare_names_shape_and_type_mismatches():
    assert compare(np.zeros(3), np.zeros(4)).message == "shape (3,), expected (4,)"
    assert (
        "expected a number or an array of numbers, got dict" in compare({}, 1.0).message
    )
    assert "nan" in compare(float("nan"), 1.0).message
    assert compare("Same ", "same").correct and not compare("valid", "same")
    assert (
        compare(True, True).correct
        and "expected True or False" in compare(1, True).message
    )


def test_unattempted_answers_are_reported_without_raising():
    for blank in (..., None):
        feedback = TOY.check(blank)
        assert feedback.status == "unattempted" and not feedback
        assert "not attempted yet" in repr(feedback) and "ex[1].hint()" in repr(
            feedback
        )


def test_check_accepts_the_right_answer_and_rejects_a_wrong_one():
    assert TOY.check(24).correct
    assert repr(TOY.check(23)) == "[not yet] max difference 1 (relative 0.042)"


def test_hints_come_mildest_first_and_stop_at_the_last():
    assert TOY.hint() == "Hint 1/2: n - k + 1  (next: .hint(2))"
    assert TOY.hint(2) == TOY.hint(9) == "Hint 2/2: 28 - 5 + 1"
    with pytest.raises(ValueError, match="level must be a positive int, got 0"):
        TOY.hint(0)


def test_solution_shows_the_explanation_and_the_reference_code():
    text = TOY.solution()
    assert "A valid 5x5 window fits 24 times." in text and "return 24" in text


def test_a_custom_judge_decides_when_given():
    def judge(answer, expected):
        return (
            Feedback("correct", "ok")
            if answer(3) == expected(3)
            else Feedback("incorrect", "no")
        )

    ex = Exercise(
        number=2,
        title="square",
        reference=lambda: lambda n: n * n,
        hints=[],
        judge=judge,
    )
    assert ex.check(lambda n: n**2).correct and not ex.check(lambda n: 2 * n).correct


def test_load_rejects_unknown_lessons():
    with pytest.raises(
        ValueError, match="lesson must be two digits such as '00', got '0'"
    ):
        load("0")
    with pytest.raises(ValueError, match="no exercises for lesson '98'"):
        load("98")
    with pytest.raises(TypeError, match="lesson must be a str"):
        load(0)


def test_every_lesson_has_exercises():
    assert "00" in LESSONS


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_reference_solution_passes_its_own_check(lesson):
    exercises = load(lesson)
    assert 2 <= len(exercises) <= 4, (
        f"lesson {lesson} should have two to four exercises"
    )
    assert sorted(exercises) == list(range(1, len(exercises) + 1))
    for number, exercise in exercises.items():
        feedback = exercise.check(exercise.reference())
        assert feedback.correct, f"lesson {lesson} exercise {number}: {feedback!r}"
        assert exercise.check(...).status == "unattempted"
        assert exercise.hints, f"lesson {lesson} exercise {number} has no hint"
        assert "def " in exercise.solution()


# Any answer a learner can type gets feedback, never a traceback (review: check(10**400) raised
# an uncaught OverflowError in every numeric checker).
ODD_ANSWERS = {
    "huge int": 10**400,
    "negative huge int": -(10**400),
    "nan": float("nan"),
    "inf": float("inf"),
    "complex": 1j,
    "string": "0.5",
    "empty list": [],
    "ragged list": [[1, 2], [3]],
    "dict": {},
    "set": {1, 2},
    "big array": np.zeros((50, 50)),
    "object array": np.array([None, 1]),
    "function": (lambda: 1),
    "object": object(),
    "bool": True,
}


@pytest.mark.parametrize("lesson", LESSONS)
@pytest.mark.parametrize("name", sorted(ODD_ANSWERS))
def test_no_checker_raises_on_any_answer(lesson, name):
    for exercise in load(lesson).values():
        feedback = exercise.check(ODD_ANSWERS[name])
        assert isinstance(feedback, Feedback) and feedback.status == "incorrect"
        assert feedback.message


def test_compare_says_a_huge_number_is_too_large():
    feedback = compare(10**400, 1.0)
    assert feedback.status == "incorrect" and "too large" in feedback.message


def test_a_checker_that_breaks_reports_the_error_instead_of_raising():
    def judge(answer, expected):
        raise ZeroDivisionError("checker bug")

    ex = Exercise(number=3, title="broken", reference=lambda: 1, hints=[], judge=judge)
    feedback = ex.check(2)
    assert (
        feedback.status == "incorrect"
        and "ZeroDivisionError: checker bug" in feedback.message
    )


def test_as_numbers_accepts_every_real_number_type_and_refuses_the_rest():
    from decimal import Decimal
    from fractions import Fraction

    from course_utils.exercises import as_numbers

    for value in (
        0.25,
        np.float32(0.25),
        np.array(0.25),
        Fraction(1, 4),
        Decimal("0.25"),
    ):
        got, problem = as_numbers(value)
        assert got.shape == () and float(got) == 0.25 and problem == ""
    assert float(as_numbers(np.int64(3))[0]) == 3.0
    assert as_numbers([[1, 2], [3, 4]])[0].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    for value, words in _REFUSED:
        got, problem = as_numbers(value)
        assert got is None and words in problem, (value, problem)


_REFUSED = [
    (True, "got True"),
    ("0.25", "the text '0.25'"),
    (b"448", "the text b'448'"),
    (1j, "complex"),
    (np.array([1 + 0j, 2]), "complex"),
    (np.array(["10", "11"]), "text"),
    (["10", "11"], "text"),
    (np.array([None, 1]), "Python objects"),
    ([[1, 2], [3]], "got list"),
    (10**400, "too large"),
    ([10**400], "too large"),
    (float("nan"), "nan or inf"),
    (object(), "got object"),
]


# Review (second round, "Exercises"): the shared compare() judged text and complex numbers as
# numbers: '448', b'448' and ['10', '11'] were "correct", a complex array an "exact match".
@pytest.mark.parametrize(
    "number, answer, words",
    [
        (2, "448", "remove the quotes"),
        (2, b"448", "remove the quotes"),
        (1, ["10", "11"], "text"),
        (1, ("10", "11"), "text"),
        (2, 448 + 0j, "complex"),
        (3, np.array([[4, 3], [2, 1]], dtype=complex), "complex"),
        (3, np.array([[4, 3], [2, 1]], dtype=object), "Python objects"),
    ],
)
def test_lesson_00_refuses_text_and_complex_answers_with_a_reason(
    number, answer, words
):
    feedback = load("00")[number].check(answer)
    assert feedback.status == "incorrect" and words in feedback.message, feedback
    assert load("00")[number].check(load("00")[number].expected()).correct

"""Lesson 00's exercises: each checker with a right answer, a wrong one, and its reference."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import exercises_00


@pytest.fixture(scope="module")
def ex():
    return cu.exercises.load("00")


def test_formula_exercises_accept_the_right_answer_and_reject_a_wrong_one(ex):
    assert ex[1].check((10, 11)) and not ex[1].check((9, 11))
    assert ex[2].check(448) and not ex[2].check(432)
    assert ex[3].check(np.array([[4, 3], [2, 1]])) and not ex[3].check([[1, 2], [3, 4]])


def test_exercise_4_judges_the_prediction_by_the_learners_own_runs(ex):
    runs = np.array([0.7, 0.75, 0.8, 0.78, 0.82, 0.6, 0.79, 0.81, 0.77, 0.74])
    right = ex[4].check((0.75, runs))
    assert (
        right
        and "median 77.5%" in right.message
        and "within 10 points" in right.message
    )
    low = ex[4].check((0.3, runs))
    assert not low and "too low" in low.message
    # the same prediction is right for another learner whose runs came out lower
    assert ex[4].check((0.3, runs - 0.45))


@pytest.mark.parametrize(
    "answer, message",
    [
        (0.7, "give a tuple (prediction, accuracies)"),
        ((0.7, [0.8, 0.9]), "at least 5 networks"),
        (("high", np.full(6, 0.8)), "got the text 'high'"),
        ((0.7, np.full(6, 80.0)), "fractions in [0, 1]"),
        ((np.array([0.7, 0.8]), np.full(6, 0.8)), "the prediction must be one number"),
    ],
)
def test_exercise_4_explains_malformed_answers(ex, answer, message):
    feedback = ex[4].check(answer)
    assert not feedback and message in feedback.message


def test_exercise_4_unattempted_does_not_train(ex, monkeypatch):
    def boom():
        raise AssertionError("the reference must not run for an unattempted answer")

    monkeypatch.setattr(exercises_00.EXERCISES[3], "reference", boom)
    assert ex[4].check(...).status == "unattempted"


def test_exercise_4_reference_solution_passes_its_own_check(ex):
    prediction, accuracies = exercises_00._reference_4()
    assert accuracies.shape == (10,) and np.all((accuracies >= 0) & (accuracies <= 1))
    assert ex[4].check((prediction, accuracies))

"""Exercises of lesson 04: each reference passes its own check, plausible slips fail, ... is to do."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.exercises_04 import trap_kernels

EX = cu.exercises.load("04")


@pytest.mark.parametrize("number", sorted(EX))
def test_reference_passes_its_own_check_and_ellipsis_is_unattempted(number):
    assert EX[number].check(EX[number].expected()).correct
    assert EX[number].check(...).status == "unattempted"


def test_exercise_1_accepts_steps_times_learning_rate():
    assert EX[1].check(3000 * 5e-4).correct


def test_exercise_1_rejects_an_update_proportional_to_the_gradient():
    feedback = EX[1].check(3000 * 5e-4 * 1e-3)  # plain SGD's answer
    assert not feedback.correct and "max difference" in feedback.message


def test_exercise_2_matches_keras_he_normal_and_rejects_glorot():
    import keras

    sample = keras.initializers.HeNormal(seed=0)((5, 5, 32, 64)).numpy()
    assert abs(sample.std() - EX[2].expected()) < 2e-3  # the oracle: Keras' own initialiser
    glorot = np.sqrt(2.0 / (5 * 5 * 32 + 5 * 5 * 64))
    assert not EX[2].check(glorot).correct


def test_exercise_3_grids_are_identical_but_weights_moved():
    before, after = trap_kernels()
    assert before.shape == after.shape == (5, 5, 1, 32)
    # independent oracle: per-tensor min-max by hand
    norm = [(k - k.min()) / (k.max() - k.min()) for k in (before, after)]
    assert np.max(np.abs(np.round(255 * norm[1]) - np.round(255 * norm[0]))) == 0
    assert EX[3].check((0.0, float(np.max(np.abs(after - before))))).correct


def test_exercise_3_rejects_answers_that_trust_the_picture():
    feedback = EX[3].check((0.0, 0.0))  # "nothing changed"
    assert not feedback.correct and "max difference" in feedback.message
    assert not EX[3].check(5.0).correct  # one number instead of two: shape mismatch

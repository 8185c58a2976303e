"""Exercises of lesson 02: each reference passes its own check, a plausible wrong answer
fails with a useful message, and ... is reported as not attempted."""

import numpy as np
import pytest

from course_utils import exercises
from course_utils.kernels import gaussian_kernel


@pytest.fixture(scope="module")
def ex():
    return exercises.load("02")


@pytest.mark.parametrize("number", [1, 2, 3])
def test_reference_passes_its_own_check(ex, number):
    assert ex[number].check(ex[number].expected()).correct


@pytest.mark.parametrize("number", [1, 2, 3])
def test_ellipsis_is_reported_as_not_attempted(ex, number):
    feedback = ex[number].check(...)
    assert feedback.status == "unattempted" and "not attempted" in feedback.message


def test_exercise_1_matches_tensorflow_on_the_terms_it_can_hold(ex):
    import tensorflow as tf
    from scipy import signal

    w = ex[1].expected()
    g4 = gaussian_kernel(4, 1.0)
    g4_reachable = g4.copy()
    g4_reachable[-1, :] = g4_reachable[:, -1] = 0.0
    x = np.random.default_rng(0).standard_normal((9, 9))
    by_tf = tf.nn.conv2d(x[None, :, :, None], w[:, :, None, None], 1, "SAME").numpy()[0, :, :, 0]
    np.testing.assert_allclose(by_tf, signal.convolve2d(x, g4_reachable, mode="same"), atol=1e-12)


def test_exercise_1_rejects_the_plain_flip(ex):
    feedback = ex[1].check(gaussian_kernel(4, 1.0)[::-1, ::-1])
    assert feedback.status == "incorrect" and "max difference" in feedback.message


def test_exercise_1_rejects_a_wrong_shape(ex):
    feedback = ex[1].check(np.zeros((3, 3)))
    assert feedback.status == "incorrect" and "shape (3, 3)" in feedback.message


def test_exercise_2_is_close_to_the_area_beyond_the_cutoff(ex):
    assert abs(ex[2].expected() - (1 - np.pi * 0.3**2)) < 0.03


def test_exercise_2_rejects_the_complementary_share(ex):
    feedback = ex[2].check(1 - ex[2].expected())
    assert feedback.status == "incorrect" and "max difference" in feedback.message


def test_exercise_3_is_odd_and_rejects_the_next_smaller_support(ex):
    answer = ex[3].expected()
    assert isinstance(answer, int) and answer % 2 == 1
    assert ex[3].check(answer - 2).status == "incorrect"
    assert ex[3].check(answer).correct

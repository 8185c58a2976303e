"""Exercises of lesson 02: each reference passes its own check, a plausible wrong answer
fails with a useful message, and ... is reported as not attempted."""

import numpy as np
import pytest

from course_utils import exercises
from course_utils.kernels import gaussian_kernel


@pytest.fixture(scope="module")
def ex():
    return exercises.load("02")


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_reference_passes_its_own_check(ex, number):
    assert ex[number].check(ex[number].expected()).correct


@pytest.mark.parametrize("number", [1, 2, 3, 4])
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
    by_tf = tf.nn.conv2d(x[None, :, :, None], w[:, :, None, None], 1, "SAME").numpy()[
        0, :, :, 0
    ]
    np.testing.assert_allclose(
        by_tf, signal.convolve2d(x, g4_reachable, mode="same"), atol=1e-12
    )


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


# Review of the exercises (../shared/reviews/lessons-03-04-and-exercises.md, "Exercises"):
# exercise 2 asked for no precision but rejected answers at a relative 5.7e-7, and a checker
# raised OverflowError on 10**400.


@pytest.mark.parametrize("answer", [0.736124, 0.7361, np.float32(0.7361244225902129)])
def test_exercise_2_accepts_the_answer_to_four_significant_digits(ex, answer):
    assert ex[2].check(answer).correct


def test_exercise_2_rejects_the_nearest_wrong_methods(ex):
    import keras

    frequency = np.fft.fftfreq(64)
    radius = np.hypot(frequency[:, None], frequency[None, :])

    def share(kernel, radius):
        energy = np.abs(np.fft.fft2(kernel)) ** 2
        return float(energy[radius >= 0.3].sum() / energy.sum())

    float32_draw = np.asarray(
        keras.initializers.GlorotUniform(seed=0)(shape=(64, 64, 1, 1), dtype="float32"),
        dtype=np.float64,
    )[:, :, 0, 0]
    shifted = np.fft.fftshift(frequency)
    kernel = np.asarray(
        keras.initializers.GlorotUniform(seed=0)(shape=(64, 64, 1, 1), dtype="float64")
    )[:, :, 0, 0]
    half = np.abs(np.fft.rfft2(kernel)) ** 2  # half-plane without its mirror terms
    half_radius = np.hypot(frequency[:, None], np.fft.rfftfreq(64)[None, :])
    wrong = {
        "float32 initialiser draw": share(float32_draw, radius),  # 1.5% away
        "fftshift mix-up": share(
            kernel, np.hypot(shifted[:, None], shifted[None, :])
        ),  # 3.0%
        "rfft2 half-plane": float(half[half_radius >= 0.3].sum() / half.sum()),  # 0.06%
        "three digits (the statement asks for four)": 0.736,  # 0.017%
    }
    for name, value in wrong.items():
        assert ex[2].check(value).status == "incorrect", name


ODD_INPUTS = {
    "10**400": 10**400,
    "-10**400": -(10**400),
    "[10**400]": [10**400],
    "nan": float("nan"),
    "inf": float("inf"),
    "numeric string": "0.74",
    "word": "thirteen",
    "bytes": b"1",
    "complex": 1j,
    "bool": True,
    "dict": {"a": 1},
    "object": object(),
    "ragged": [[1, 2], [3]],
    "3x3": np.zeros((3, 3)),
    "4x4x1": np.zeros((4, 4, 1)),
    "string array": np.array(["a"]),
    "object array of 10**400": np.array([10**400], dtype=object),
    "empty tuple": (),
    "empty list": [],
    "function": lambda: 0.5,
    "complex array": np.zeros((4, 4), dtype=complex),
    "string of the answer": "13",
}


@pytest.mark.parametrize("number", [1, 2, 3, 4])
@pytest.mark.parametrize("answer", ODD_INPUTS.values(), ids=ODD_INPUTS.keys())
def test_no_checker_raises_on_any_input(ex, number, answer):
    feedback = ex[number].check(answer)
    assert feedback.status == "incorrect" and feedback.message


def test_exercise_4_passes_a_kernel_within_a_third_of_gs_distance_and_names_each_failure(
    ex,
):
    from course_utils.blur import tf_equivalent
    from course_utils.kernels import gaussian_kernel

    factor, kernel = ex[4].expected()  # 4,900 quick-scale steps at factor 0.03
    assert ex[4].check((factor, kernel)).correct
    g = gaussian_kernel(64, 1.75)
    w_true = tf_equivalent(g)
    too_far = ex[4].check((1.0, w_true + 2 * (g - w_true)))  # twice g's own distance
    assert not too_far.correct and "farther than g started" in too_far.message
    halfway = ex[4].check((0.001, w_true + 0.5 * (g - w_true)))
    assert not halfway.correct and "not a third of it" in halfway.message
    for odd in [
        kernel,
        (factor,),
        (factor, kernel[:10]),
        ("fast", kernel),
        (factor, "k"),
    ]:
        feedback = ex[4].check(odd)
        assert not feedback.correct, odd

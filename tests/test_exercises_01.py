"""Exercises of lesson 01: each reference passes, plausible wrong answers fail with a useful
message, and an unattempted answer is reported as such. The references are checked against
an independent computation: plain gradient descent on the least-squares loss."""

from fractions import Fraction

import numpy as np
import pytest

import course_utils as cu
from course_utils import exercises_01

STRIPE = np.ones((4, 6))
STRIPE[:, 2:4] = 0.0


@pytest.fixture(scope="module")
def ex():
    return cu.exercises.load("01")


def _descend(image, target_kernel, start, lr, steps):
    """Independent oracle: gradient descent on sum((P w - P w*)^2) with P the 1x2 patches."""
    patches = np.stack([image[:, :-1].ravel(), image[:, 1:].ravel()], axis=1)
    target = patches @ target_kernel
    w = np.asarray(start, dtype=np.float64)
    for _ in range(steps):
        w = w - lr * 2 * patches.T @ (patches @ w - target)
    return w


def test_stripe_hessian_matches_the_image_patches():
    patches = np.stack([STRIPE[:, :-1].ravel(), STRIPE[:, 1:].ravel()], axis=1)
    assert np.array_equal(2 * patches.T @ patches, exercises_01.STRIPE_HESSIAN)


@pytest.mark.parametrize("number", [1, 2, 3])
def test_every_reference_passes_its_own_check(ex, number):
    feedback = ex[number].check(ex[number].expected())
    assert feedback.correct, feedback.message


@pytest.mark.parametrize("number", [1, 2, 3])
def test_ellipsis_is_reported_unattempted_without_raising(ex, number):
    feedback = ex[number].check(...)
    assert feedback.status == "unattempted"
    assert f"ex[{number}].hint()" in feedback.message


def test_exercise_1_reference_matches_gradient_descent(ex):
    oracle = _descend(STRIPE, np.array([1.0, 1.0]), [-0.1, 0.4], 0.03, 10)
    assert np.allclose(ex[1].expected(), oracle, atol=1e-12)
    assert np.allclose(ex[1].expected(), [0.98393, 1.01607], atol=1e-5)


def test_exercise_1_rejects_the_fully_converged_kernel(ex):
    feedback = ex[1].check(np.array([1.0, 1.0]))
    assert feedback.status == "incorrect"
    assert "max difference 0.0161" in feedback.message


def test_exercise_1_rejects_a_wrong_shape(ex):
    feedback = ex[1].check([1.0, 1.0, 1.0])
    assert feedback.status == "incorrect" and "shape" in feedback.message


def test_exercise_2_reference_is_one_over_24_with_35_steps(ex):
    assert ex[2].expected() == pytest.approx(1 / 24)
    assert exercises_01.steps_to_shrink(1 / 24) == 35
    assert exercises_01.steps_to_shrink(0.03) == 51


def test_exercise_2_step_count_matches_gradient_descent_on_the_worst_start():
    # The worst start for lr = 1/24 lies on an eigenvector; both shrink by 2/3 per step.
    eigenvector = np.array([-1.0, 1.0]) / np.sqrt(2)
    target = np.array([-1.0, 1.0])
    errors = [
        np.linalg.norm(
            _descend(STRIPE, target, target + eigenvector, 1 / 24, t) - target
        )
        for t in (34, 35)
    ]
    assert errors[0] > 1e-6 >= errors[1]


def test_exercise_2_accepts_a_rounded_optimum(ex):
    assert ex[2].check(0.0417).correct


def test_exercise_2_rejects_the_posts_learning_rate_with_step_counts(ex):
    feedback = ex[2].check(0.03)
    assert feedback.status == "incorrect"
    assert "51 steps" in feedback.message and "needs 35" in feedback.message


def test_exercise_2_rejects_learning_rate_at_or_above_stability_limit(ex):
    for lr in (0.05, 0.06):
        feedback = ex[2].check(lr)
        assert feedback.status == "incorrect" and "never converges" in feedback.message


@pytest.mark.parametrize("answer", ["0.04", True, -0.01, float("nan")])
def test_exercise_2_rejects_non_numbers_and_non_positive_rates(ex, answer):
    feedback = ex[2].check(answer)
    assert feedback.status == "incorrect"
    assert "number" in feedback.message or "positive" in feedback.message


def test_exercise_3_reference_is_an_impulse_with_identity_hessian(ex):
    image = ex[3].expected()
    patches = exercises_01.two_by_two_patches(image)
    assert np.array_equal(2 * patches.T @ patches, 2 * np.eye(4))


def test_exercise_3_accepts_a_random_image(ex):
    image = np.random.default_rng(0).random((5, 5))
    assert np.linalg.matrix_rank(exercises_01.two_by_two_patches(image)) == 4
    assert ex[3].check(image).correct


def test_exercise_3_rejects_the_stripe_and_names_the_untaught_kernel(ex):
    feedback = ex[3].check(STRIPE)
    assert feedback.status == "incorrect"
    assert "only 2 of 4" in feedback.message and "[[1, 0], [-1, 0]]" in feedback.message


def test_exercise_3_rejects_the_all_ones_image(ex):
    feedback = ex[3].check(np.ones((3, 3)))
    assert feedback.status == "incorrect" and "only 1 of 4" in feedback.message


def test_exercise_3_patches_match_a_direct_window_loop():
    image = np.arange(12.0).reshape(3, 4)
    windows = [image[r : r + 2, c : c + 2].ravel() for r in range(2) for c in range(3)]
    assert np.array_equal(exercises_01.two_by_two_patches(image), np.array(windows))


@pytest.mark.parametrize(
    "answer, words",
    [
        ([1.0, 2.0], "at least 2x2"),
        (np.ones((1, 5)), "at least 2x2"),
        ("image", "2-D array"),
        ([[1.0, np.inf], [0.0, 1.0]], "nan or inf"),
    ],
)
def test_exercise_3_rejects_malformed_images_with_a_message(ex, answer, words):
    feedback = ex[3].check(answer)
    assert feedback.status == "incorrect" and words in feedback.message


# Findings of the learner's walkthrough (shared/reviews/lessons-03-04-and-exercises.md, "Exercises").


@pytest.mark.parametrize(
    "answer",
    [np.array(1 / 24), np.float32(1 / 24), Fraction(1, 24)],
    ids=["0-d array", "float32", "Fraction"],
)
def test_exercise_2_accepts_the_optimum_as_any_real_number_type(ex, answer):
    feedback = ex[2].check(answer)
    assert feedback.correct, feedback.message


def test_exercise_2_accepts_the_optimum_as_a_tensor(ex):
    import tensorflow as tf

    feedback = ex[2].check(tf.constant(1 / 24))
    assert feedback.correct, feedback.message


def test_exercise_2_rejects_an_array_of_several_numbers(ex):
    feedback = ex[2].check(np.array([1 / 24, 1 / 24]))
    assert feedback.status == "incorrect" and "a single number" in feedback.message


@pytest.mark.parametrize("scale", [1e-5, 1e-6, 1e-9, 1e5])
def test_exercise_3_judges_a_scaled_image_like_the_original(ex, scale):
    # Identifiability does not depend on the image's scale: 1e-6 * a good image is still good
    # (the absolute threshold called every direction of it "never learned").
    image = np.random.default_rng(0).random((5, 5))
    assert ex[3].check(scale * image).correct
    assert ex[3].check(scale * ex[3].expected()).correct
    feedback = ex[3].check(scale * STRIPE)
    assert feedback.status == "incorrect" and "only 2 of 4" in feedback.message


def test_exercise_3_rejects_an_image_whose_hessian_overflows(ex):
    image = np.random.default_rng(0).random((5, 5)) * 1e160
    feedback = ex[3].check(image)
    assert feedback.status == "incorrect" and "overflows" in feedback.message


def test_exercise_3_rejects_an_all_zero_image(ex):
    feedback = ex[3].check(np.zeros((3, 3)))
    assert feedback.status == "incorrect" and "only 0 of 4" in feedback.message

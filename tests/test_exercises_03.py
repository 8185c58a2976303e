"""Exercises of lesson 03: each reference passes, a plausible wrong answer fails, ... is unattempted."""

import numpy as np
import pytest

from course_utils import exercises
from course_utils.exercises_03 import _valid_logits

EX = exercises.load("03")


@pytest.mark.parametrize("number", sorted(EX))
def test_reference_passes_its_own_check(number):
    assert EX[number].check(EX[number].reference()).correct


@pytest.mark.parametrize("number", sorted(EX))
def test_ellipsis_is_reported_unattempted(number):
    assert EX[number].check(...).status == "unattempted"


def test_exercise_1_matches_a_direct_softmax_computation():
    second = np.exp([1.0, 0.0, 0.0]) / np.exp([1.0, 0.0, 0.0]).sum()
    losses = -np.log(second)                  # label 0, 1, 2 against a class-0 prediction
    assert EX[1].check(float(losses.mean())).correct


def test_exercise_1_rejects_the_two_class_value():
    feedback = EX[1].check(0.8133)
    assert not feedback.correct and "difference" in feedback.message


def test_exercise_2_names_the_wrong_pairs():
    feedback = EX[2].check((True, False, False, False, True))
    assert not feedback.correct and "[4, 5]" in feedback.message


def test_exercise_2_rejects_a_wrong_length():
    assert "5 booleans" in EX[2].check((True,)).message


def test_exercise_2_pair_5_matches_keras_behaviour():
    """Keras 3: CategoricalCrossentropy(from_logits=True) on a Keras softmax uses its logits."""
    import tensorflow as tf
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    labels = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    layer = keras.layers.Dense(2, activation="softmax")
    layer.build((None, 3))
    logits = x @ layer.kernel.numpy() + layer.bias.numpy()
    loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    with pytest.warns(UserWarning, match="does not represent logits"):
        in_graph = tf.function(lambda: loss(labels, layer(x)))()
    once = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels, logits))
    assert abs(float(in_graph) - float(once)) < 1e-5


def test_exercise_3_checker_agrees_with_tensorflow_conv():
    import tensorflow as tf
    from course_utils.data import row_column_images

    kernel, dense, bias = EX[3].reference()
    x, _ = row_column_images()
    conv = tf.nn.conv2d(x.astype(np.float64), kernel, strides=1, padding="VALID").numpy()
    expected = np.maximum(conv, 0).reshape(6, -1) @ dense + bias
    assert np.allclose(_valid_logits(kernel, dense, bias), expected)


def test_exercise_3_rejects_row_detectors():
    row_top = np.array([[1.0, 1.0], [-1.0, -1.0]])
    kernel = np.stack([row_top, -row_top], axis=-1)[:, :, np.newaxis, :]
    dense = np.stack([np.full(8, 1 / 255), np.zeros(8)], axis=1)
    feedback = EX[3].check((kernel, dense, np.array([0.0, 1.0])))
    assert not feedback.correct and "column detectors" in feedback.message


def test_exercise_3_rejects_a_zero_margin():
    kernel, dense, bias = EX[3].reference()
    feedback = EX[3].check((kernel, dense, np.zeros(2)))       # rows tie at (0, 0)
    assert not feedback.correct and "margin" in feedback.message


def test_exercise_3_rejects_wrong_shapes():
    assert "shapes" in EX[3].check((np.zeros((2, 2, 1, 6)), np.zeros((8, 2)), np.zeros(2))).message


def test_exercise_4_rejects_single_softmax_alone_with_a_reason():
    feedback = EX[4].check({"single softmax"})
    assert not feedback.correct and "still fails" in feedback.message


def test_exercise_4_accepts_any_capitalisation_and_rejects_a_larger_set():
    assert EX[4].check({"Adam"}).correct
    assert "not the smallest" in EX[4].check({"Adam", "single softmax"}).message


def test_exercise_4_rejects_an_unknown_change():
    assert "unknown" in EX[4].check({"more filters"}).message

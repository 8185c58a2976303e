"""course_utils.analysis.conv_output_size against TensorFlow's real output shapes."""

import numpy as np
import pytest
import tensorflow as tf

from course_utils.analysis import conv_output_size


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@pytest.mark.parametrize("stride", [1, 2, 3, 4])
def test_conv_output_size_matches_tensorflow(padding, stride):
    for n in range(1, 13):
        x = tf.zeros((1, n, n, 1))
        for k in range(1, 13):
            if padding == "VALID" and k > n:
                continue
            w = tf.zeros((k, k, 1, 1))
            got = tf.nn.conv2d(x, w, strides=stride, padding=padding).shape[1]
            assert conv_output_size(n, k, stride, padding) == got, (
                n,
                k,
                stride,
                padding,
            )


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_output_size_matches_tensorflow_max_pooling(padding):
    for n in range(2, 15):
        x = tf.zeros((1, n, n, 1))
        for k, stride in [(2, 2), (3, 2), (3, 1)]:
            if padding == "valid" and k > n:
                continue
            got = tf.nn.max_pool2d(x, k, stride, padding.upper()).shape[1]
            assert conv_output_size(n, k, stride=stride, padding=padding) == got


def test_conv_output_size_hand_worked_cases():
    assert conv_output_size(28, 5) == 24
    assert conv_output_size(28, 5, stride=2, padding="SAME") == 14
    assert conv_output_size(7, 3, stride=2) == 3
    assert (
        conv_output_size(3, 5, padding="same") == 3
    )  # SAME allows a kernel larger than the input


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv_output_size_with_explicit_padding_matches_tensorflow(stride):
    for n in range(1, 10):
        x = tf.zeros((1, n, n, 1))
        for k in range(1, 7):
            for p in range(0, 4):
                if k > n + 2 * p:
                    continue
                pads = [[0, 0], [p, p], [p, p], [0, 0]]
                got = tf.nn.conv2d(x, tf.zeros((k, k, 1, 1)), stride, pads).shape[1]
                assert conv_output_size(n, k, stride, p) == got, (n, k, stride, p)


def test_full_padding_is_k_minus_one_zeros_and_matches_scipy():
    import scipy.signal

    x = np.ones((6, 6))
    for k in (1, 2, 3, 5):
        full = scipy.signal.correlate2d(x, np.ones((k, k)), mode="full")
        assert conv_output_size(6, k, padding="full") == full.shape[0] == 6 + k - 1
        assert conv_output_size(6, k, padding="FULL") == conv_output_size(
            6, k, 1, k - 1
        )


def test_conv_output_size_accepts_numpy_integers():
    assert conv_output_size(np.int64(10), np.int32(3)) == 8


@pytest.mark.parametrize(
    "args, message",
    [
        ((3, 5), r"kernel must fit: k=5 > n \+ 2p=3"),
        ((3, 8, 1, 2), r"kernel must fit: k=8 > n \+ 2p=7"),
        ((3, 2, 1, -1), r"padding must be at least 0, got -1"),
        ((0, 1), r"n must be a positive int, got 0"),
        ((5, 0), r"k must be a positive int, got 0"),
        ((5, 2, 0), r"stride must be a positive int, got 0"),
        (
            (5, 2, 1, "wide"),
            r"padding must be 'valid', 'same', 'full' \(any case\) or an int, got 'wide'",
        ),
    ],
)
def test_conv_output_size_rejects_bad_values(args, message):
    with pytest.raises(ValueError, match=message):
        conv_output_size(*args)


@pytest.mark.parametrize(
    "args, message",
    [
        ((5.0, 2), "n must be an int, got float"),
        ((5, True), "k must be an int, got bool"),
        ((5, 2, 1, None), "padding must be a str or an int, got NoneType"),
        ((5, 2, 1, 1.0), "padding must be a str or an int, got float"),
    ],
)
def test_conv_output_size_rejects_bad_types(args, message):
    with pytest.raises(TypeError, match=message):
        conv_output_size(*args)

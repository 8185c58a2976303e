"""Exercises of lesson 00 (notebooks/00_convolution_primer.ipynb)."""

from __future__ import annotations

import numpy as np

from course_utils.exercises import Exercise


def _reference_1():
    n, k, stride = 32, 5, 3
    valid = (n - k) // stride + 1  # window starts 0, 3, ..., 27: 10 of them
    same = -(-n // stride)  # ceil(32 / 3) = 11, whatever k is
    return (valid, same)


def _reference_2():
    k, c_in, c_out = 3, 3, 16
    return k * k * c_in * c_out + c_out  # 432 weights + 16 biases


def _reference_3():
    k = np.array([[1, 2], [3, 4]])
    return k[::-1, ::-1]  # correlating with the flipped kernel = convolving


def _reference_4():
    fmap = np.array([[1, 0, 2, 3], [4, 6, 6, 8], [3, 1, 1, 0], [1, 2, 2, 4]])
    return fmap.reshape(2, 2, 2, 2).max(axis=(1, 3))  # one maximum per 2x2 block


EXERCISES = [
    Exercise(
        number=1,
        title="output size with stride and padding",
        reference=_reference_1,
        hints=[
            "Valid: count the window start positions 0, s, 2s, ... that still fit.",
            "Valid is floor((n - k) / s) + 1; same is ceil(n / s).",
        ],
        explanation="Without padding the window can start at 0, 3, ..., 27 (27 + 5 = 32 fits, "
        "30 + 5 does not): 10 positions. With 'same' TensorFlow pads until "
        "ceil(32 / 3) = 11 windows fit.",
    ),
    Exercise(
        number=2,
        title="parameters of a convolution layer",
        reference=_reference_2,
        hints=[
            "Each of the 16 filters spans all 3 input channels.",
            "k * k * C_in * C_out weights, plus one bias per filter.",
        ],
        explanation="Each filter is 3x3x3 = 27 weights, 16 filters make 432, plus 16 biases.",
    ),
    Exercise(
        number=3,
        title="from convolution to cross-correlation",
        reference=_reference_3,
        hints=[
            "tf.nn.conv2d does not flip the kernel; convolve2d does.",
            "Rotate the kernel by 180 degrees: reverse both axes.",
        ],
        explanation="Convolution flips the kernel along both axes before sliding it, so "
        "tf.nn.conv2d must be given the flipped kernel to match.",
    ),
    Exercise(
        number=4,
        title="max pooling by hand",
        reference=_reference_4,
        hints=[
            "Split the map into four 2x2 blocks that do not overlap.",
            "Top-left block: 1, 0, 4, 6.",
        ],
        explanation="The blocks are [[1,0],[4,6]], [[2,3],[6,8]], [[3,1],[1,2]], [[1,0],[2,4]]; "
        "their maxima are 6, 8, 3, 4.",
    ),
]

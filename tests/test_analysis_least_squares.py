"""Tests of course_utils.analysis.least_squares_kernel (lesson 02).

Oracles: numpy.linalg.lstsq on an explicit patch matrix built here, independently
(loops over output pixels), and tf.nn.conv2d itself.
"""

import numpy as np
import pytest
from scipy import signal

from course_utils.analysis import least_squares_kernel
from course_utils.kernels import gaussian_kernel


def patch_matrix(x, kh, kw, padding):
    """One row per output pixel: the input pixels each kernel entry multiplies."""
    n, h, w = x.shape
    if padding == "SAME":
        top, left, out_h, out_w = (kh - 1) // 2, (kw - 1) // 2, h, w
    else:
        top, left, out_h, out_w = 0, 0, h - kh + 1, w - kw + 1
    rows = []
    for image in x:
        for i in range(out_h):
            for j in range(out_w):
                row = np.zeros((kh, kw))
                for u in range(kh):
                    for v in range(kw):
                        r, c = i + u - top, j + v - left
                        if 0 <= r < h and 0 <= c < w:
                            row[u, v] = image[r, c]
                rows.append(row.ravel())
    return np.array(rows)


def lstsq_oracle(x, y, kh, kw, padding):
    solution = np.linalg.lstsq(patch_matrix(x, kh, kw, padding), y.ravel(), rcond=None)[
        0
    ]
    return solution.reshape(kh, kw)


def tf_conv(x, kernel, padding):
    import tensorflow as tf

    out = tf.nn.conv2d(
        x[..., None], kernel.reshape(kernel.shape[:2] + (1, 1)), 1, padding
    )
    return out.numpy()[..., 0]


CASES = [  # kh, kw, padding, n, size
    (3, 3, "SAME", 2, 8),
    (4, 4, "SAME", 2, 9),
    (4, 5, "SAME", 3, 7),
    (2, 6, "SAME", 2, 8),
    (3, 4, "VALID", 2, 8),
]


@pytest.mark.parametrize("method", ["direct", "cg"])
@pytest.mark.parametrize("kh, kw, padding, n, size", CASES)
def test_matches_lstsq_on_the_explicit_patch_matrix(method, kh, kw, padding, n, size):
    rng = np.random.default_rng(kh * 10 + kw)
    x = rng.standard_normal((n, size, size))
    out = (size, size) if padding == "SAME" else (size - kh + 1, size - kw + 1)
    y = rng.standard_normal(
        (n,) + out
    )  # inconsistent targets: a genuine least-squares fit
    got = least_squares_kernel(x, y, (kh, kw), padding, method=method)
    np.testing.assert_allclose(
        got, lstsq_oracle(x, y, kh, kw, padding), rtol=0, atol=1e-11
    )


@pytest.mark.parametrize("kh, kw, padding, n, size", CASES)
def test_recovers_the_kernel_that_made_y_through_tf_conv2d(kh, kw, padding, n, size):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, size, size))
    true = rng.standard_normal((kh, kw))
    y = tf_conv(x, true, padding)
    got = least_squares_kernel(x, y, (kh, kw), padding)
    np.testing.assert_allclose(got, true, rtol=0, atol=1e-12)
    np.testing.assert_allclose(tf_conv(x, got, padding), y, rtol=0, atol=1e-12)


def test_large_kernel_on_smooth_images_uses_cg_and_reproduces_y():
    rng = np.random.default_rng(3)
    x = signal.fftconvolve(
        rng.standard_normal((4, 48, 48)), gaussian_kernel(7, 1.0)[None], mode="same"
    )
    true = rng.standard_normal((40, 40)) * gaussian_kernel(40, 6.0)
    y = tf_conv(x, true, "SAME")
    got, info = least_squares_kernel(x, y, (40, 40), return_info=True)
    assert info["method"] == "cg" and info["converged"]
    np.testing.assert_allclose(
        tf_conv(x, got, "SAME"), y, rtol=0, atol=1e-8 * np.abs(y).max()
    )


def test_accepts_channel_axis_and_four_dimensional_kernel_shape():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6, 1))
    true = rng.standard_normal((3, 3, 1, 1))
    y = tf_conv(x[..., 0], true, "SAME")[..., None]
    got = least_squares_kernel(x, y, (3, 3, 1, 1))
    assert got.shape == (3, 3, 1, 1)
    np.testing.assert_allclose(got, true, atol=1e-12)


@pytest.mark.parametrize("method", ["direct", "cg"])
def test_entries_that_only_meet_padding_are_zero(method):
    # A 7x7 kernel on 3x3 images: the outer ring of entries never meets a pixel;
    # 8 images give 72 equations for the 25 inner entries, which they determine.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3, 3))
    y = rng.standard_normal((8, 3, 3))
    got = least_squares_kernel(x, y, (7, 7), method=method)
    seen = np.zeros((7, 7), bool)
    seen[1:6, 1:6] = True  # pad_top = 3: entry u meets rows u - 3 + i, i in 0..2
    assert np.all(got[~seen] == 0.0)
    np.testing.assert_allclose(got, lstsq_oracle(x, y, 7, 7, "SAME"), atol=1e-12)


@pytest.mark.parametrize(
    "kwargs", [{"method": "direct"}, {"method": "cg", "precondition": False}]
)
def test_returns_the_minimum_norm_solution_when_underdetermined(kwargs):
    # VALID: 4 equations, 25 unknowns; SAME 6x6 kernel on one 3x3 image: 9 equations.
    rng = np.random.default_rng(2)
    for shape, kernel, padding in [
        ((1, 6, 6), (5, 5), "VALID"),
        ((1, 3, 3), (6, 6), "SAME"),
    ]:
        x = rng.standard_normal(shape)
        out = (shape[1] - kernel[0] + 1,) * 2 if padding == "VALID" else shape[1:]
        y = rng.standard_normal((1,) + out)
        got = least_squares_kernel(x, y, kernel, padding, **kwargs)
        np.testing.assert_allclose(
            got, lstsq_oracle(x, y, *kernel, padding), atol=1e-12
        )


def test_preconditioned_cg_still_fits_underdetermined_data_exactly():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 6, 6))
    y = rng.standard_normal((1, 2, 2))
    got = least_squares_kernel(x, y, (5, 5), "VALID", method="cg")
    np.testing.assert_allclose(tf_conv(x, got, "VALID"), y, atol=1e-12)
    assert (
        np.linalg.norm(got) >= np.linalg.norm(lstsq_oracle(x, y, 5, 5, "VALID")) - 1e-12
    )


def test_even_gaussian_from_convolve2d_is_recovered_flipped_and_shifted():
    # scipy's 'same' convolution with an even kernel g equals TensorFlow's SAME
    # cross-correlation with w[u, v] = g[k - 2 - u, k - 2 - v] (and w = 0 on the last row/column).
    rng = np.random.default_rng(4)
    g = gaussian_kernel(6, 0.8)
    g[-1, :] = g[:, -1] = 0.0  # the row and column TensorFlow's SAME cannot reach
    x = rng.standard_normal((3, 10, 10))
    y = np.stack([signal.convolve2d(image, g, mode="same") for image in x])
    expected = np.zeros_like(g)
    expected[:-1, :-1] = g[::-1, ::-1][1:, 1:]
    np.testing.assert_allclose(least_squares_kernel(x, y, (6, 6)), expected, atol=1e-13)


def test_practical_at_256x256():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 256, 256))
    g = gaussian_kernel(256, 7.0)
    y = signal.fftconvolve(x, g[None], mode="same", axes=(1, 2))
    got, info = least_squares_kernel(x, y, (256, 256), return_info=True)
    expected = np.zeros_like(g)
    expected[:-1, :-1] = g[::-1, ::-1][1:, 1:]
    assert info["method"] == "cg" and info["iterations"] < 100
    assert np.linalg.norm(got - expected) / np.linalg.norm(expected) < 1e-9


def test_warns_when_cg_runs_out_of_iterations():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 16, 16))
    y = rng.standard_normal((1, 16, 16))
    with pytest.warns(RuntimeWarning, match="stopped after 2 iterations"):
        least_squares_kernel(x, y, (16, 16), method="cg", max_iter=2)


@pytest.mark.parametrize(
    "x_shape, y_shape, kernel_shape, padding, message",
    [
        ((2, 8, 8), (2, 8, 7), (3, 3), "SAME", r"y must have shape \(2, 8, 8\)"),
        ((2, 8, 8), (3, 8, 8), (3, 3), "SAME", r"y must have shape \(2, 8, 8\)"),
        ((2, 8, 8), (2, 8, 8), (3, 3), "VALID", r"y must have shape \(2, 6, 6\)"),
        ((8, 8), (8, 8), (3, 3), "SAME", r"x must have shape \(N, H, W\)"),
        ((2, 8, 8, 2), (2, 8, 8), (3, 3), "SAME", r"got shape \(2, 8, 8, 2\)"),
        ((2, 4, 4), (2, 0, 0), (5, 5), "VALID", "kernel must fit"),
        ((2, 8, 8), (2, 8, 8), (3,), "SAME", "kernel_shape must be"),
        (
            (2, 8, 8),
            (2, 8, 8),
            (3, 3, 2, 1),
            "SAME",
            "one input and one output channel",
        ),
        ((2, 8, 8), (2, 8, 8), (3, 3), "FULL", "padding must be 'SAME' or 'VALID'"),
    ],
)
def test_inconsistent_shapes_raise_value_error(
    x_shape, y_shape, kernel_shape, padding, message
):
    with pytest.raises(ValueError, match=message):
        least_squares_kernel(
            np.zeros(x_shape), np.zeros(y_shape), kernel_shape, padding
        )


def test_bad_types_and_values_raise():
    x, y = np.zeros((1, 4, 4)), np.zeros((1, 4, 4))
    with pytest.raises(TypeError, match="kernel_shape\\[0\\] must be an int"):
        least_squares_kernel(x, y, (2.5, 3))
    with pytest.raises(ValueError, match="must be a positive int"):
        least_squares_kernel(x, y, (0, 3))
    with pytest.raises(TypeError, match="padding must be a str"):
        least_squares_kernel(x, y, (3, 3), padding=1)
    with pytest.raises(ValueError, match="method must be one of"):
        least_squares_kernel(x, y, (3, 3), method="svd")
    with pytest.raises(ValueError, match="nan or inf"):
        least_squares_kernel(np.full((1, 4, 4), np.nan), y, (3, 3))
    with pytest.raises(TypeError, match="real numbers"):
        least_squares_kernel(np.full((1, 4, 4), "a"), y, (3, 3))


def test_zero_targets_give_the_zero_kernel():
    x = np.random.default_rng(0).standard_normal((2, 8, 8))
    for method in ("direct", "cg"):
        assert np.all(
            least_squares_kernel(x, np.zeros_like(x), (3, 3), method=method) == 0
        )


def test_ridge_matches_the_regularised_normal_equations():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 10, 10))
    y = rng.standard_normal((3, 10, 10))
    ridge = 7.5
    direct = least_squares_kernel(x, y, (4, 4), method="direct", ridge=ridge)
    cg = least_squares_kernel(x, y, (4, 4), method="cg", ridge=ridge, max_iter=500)
    # oracle: numpy.linalg.lstsq on the patch matrix stacked over sqrt(ridge) I
    padded = np.pad(x, ((0, 0), (1, 2), (1, 2)))
    patches = np.stack(
        [padded[:, u : u + 10, v : v + 10].ravel() for u in range(4) for v in range(4)],
        1,
    )
    stacked = np.vstack([patches, np.sqrt(ridge) * np.eye(16)])
    target = np.concatenate([y.ravel(), np.zeros(16)])
    oracle = np.linalg.lstsq(stacked, target, rcond=None)[0].reshape(4, 4)
    assert np.abs(direct - oracle).max() < 1e-10
    assert np.abs(cg - oracle).max() < 1e-8


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "1"])
def test_ridge_must_be_a_non_negative_number(bad):
    x = np.zeros((1, 6, 6))
    with pytest.raises(ValueError, match="ridge must be a finite number >= 0"):
        least_squares_kernel(x, x, (3, 3), ridge=bad)

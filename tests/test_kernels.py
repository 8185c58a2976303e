"""course_utils.kernels.gaussian_kernel: shape, normalisation, centre, and an oracle."""

import numpy as np
import pytest
from scipy.signal.windows import gaussian

from course_utils.kernels import gaussian_kernel


@pytest.mark.parametrize("size", [1, 2, 5, 8, 64, 256])
def test_gaussian_kernel_is_float64_square_and_sums_to_one(size):
    k = gaussian_kernel(size, 7.0)
    assert k.shape == (size, size) and k.dtype == np.float64
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    assert (k >= 0).all()


@pytest.mark.parametrize("size", [4, 5, 256, 257])
def test_gaussian_kernel_peaks_on_pixel_size_over_2(size):
    k = gaussian_kernel(size, 2.0)
    assert np.unravel_index(k.argmax(), k.shape) == (size // 2, size // 2)


def test_odd_gaussian_kernel_matches_scipy_window_and_is_flip_symmetric():
    k = gaussian_kernel(9, 1.5)
    window = gaussian(9, 1.5)
    oracle = np.outer(window, window) / np.outer(window, window).sum()
    np.testing.assert_allclose(k, oracle, rtol=1e-12)
    np.testing.assert_array_equal(k, k[::-1, ::-1])


def test_even_gaussian_kernel_is_not_flip_symmetric():
    k = gaussian_kernel(8, 1.5)
    assert not np.allclose(k, k[::-1, ::-1])
    np.testing.assert_allclose(k[1:, 1:], k[1:, 1:][::-1, ::-1], rtol=1e-12)


@pytest.mark.parametrize(
    "size, sigma, error, message",
    [
        (0, 1.0, ValueError, "size must be >= 1, got 0"),
        (5, 0.0, ValueError, "sigma must be positive and finite, got 0.0"),
        (5, float("nan"), ValueError, "sigma must be positive and finite"),
        (5.0, 1.0, TypeError, "size must be an int, got float"),
        (5, "1", TypeError, "sigma must be a real number, got str"),
    ],
)
def test_gaussian_kernel_rejects_bad_input(size, sigma, error, message):
    with pytest.raises(error, match=message):
        gaussian_kernel(size, sigma)

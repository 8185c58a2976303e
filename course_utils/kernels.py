"""Kernels that the lessons make data with.

- ``gaussian_kernel``: a normalised 2-D Gaussian (lesson 02 uses a 256x256 one).
"""

from __future__ import annotations

import numpy as np


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """A ``size x size`` float64 Gaussian kernel that sums to 1.

    The peak sits on pixel ``(size // 2, size // 2)``. For odd sizes that is the
    geometric centre; for even sizes it is half a pixel below and to the right of
    the geometric centre ``((size - 1) / 2, (size - 1) / 2)``, so an even kernel is
    *not* symmetric under flipping: ``k[::-1, ::-1]`` peaks at ``size // 2 - 1``.
    Lesson 02 shows what that does under ``scipy.signal.convolve2d(mode="same")``
    and ``tf.nn.conv2d(padding="SAME")``.

    Args:
        size: side length in pixels, ``size >= 1``.
        sigma: standard deviation in pixels, ``sigma > 0``.

    Returns:
        Array of shape ``(size, size)``, dtype float64, entries >= 0, sum 1.

    Raises:
        TypeError: ``size`` is not an int or ``sigma`` not a real number.
        ValueError: ``size < 1``, or ``sigma`` not positive and finite.

    Example:
        >>> k = gaussian_kernel(5, 1.0)
        >>> k.shape, round(float(k.sum()), 12), np.unravel_index(k.argmax(), k.shape)
        ((5, 5), 1.0, (np.int64(2), np.int64(2)))
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"size must be an int, got {type(size).__name__}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if isinstance(sigma, bool) or not isinstance(
        sigma, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"sigma must be a real number, got {type(sigma).__name__}")
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be positive and finite, got {sigma}")
    offsets = np.arange(int(size), dtype=np.float64) - int(size) // 2
    profile = np.exp(-0.5 * (offsets / float(sigma)) ** 2)
    kernel = np.outer(profile, profile)
    return kernel / kernel.sum()

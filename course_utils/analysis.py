"""Arithmetic and closed-form answers that the lessons derive in the open first.

- ``conv_output_size``: the spatial size of a convolution's output (lesson 00).
"""

from __future__ import annotations

import math

PADDINGS = ("valid", "same")


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # numpy integers are accepted: they are what shape arithmetic often produces
        try:
            import numpy as np

            if isinstance(value, np.integer):
                value = int(value)
            else:
                raise TypeError
        except TypeError:
            raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return value


def conv_output_size(n: int, k: int, stride: int = 1, padding: str = "valid") -> int:
    """Spatial output size of a convolution or pooling along one axis, TensorFlow's rule.

    ``"valid"`` (no padding) keeps only windows that fit: ``ceil((n - k + 1) / stride)``.
    ``"same"`` zero-pads so that ``ceil(n / stride)`` windows fit, whatever ``k`` is.
    Introduced in lesson 00, where it is checked against ``tf.nn.conv2d`` output shapes.

    Args:
        n: input size along the axis (pixels), ``n >= 1``.
        k: kernel (or pooling window) size along the axis, ``k >= 1``; ``k <= n`` for "valid".
        stride: step between windows, ``stride >= 1``.
        padding: ``"valid"`` or ``"same"``, any case.

    Returns:
        The output size, an ``int >= 1``.

    Raises:
        TypeError: a size or the padding has the wrong type.
        ValueError: a non-positive size, ``k > n`` with "valid", or an unknown padding.

    Example:
        >>> conv_output_size(28, 5), conv_output_size(28, 5, stride=2, padding="SAME")
        (24, 14)
    """
    n = _positive_int("n", n)
    k = _positive_int("k", k)
    stride = _positive_int("stride", stride)
    if not isinstance(padding, str):
        raise TypeError(f"padding must be a str, got {type(padding).__name__}")
    mode = padding.lower()
    if mode not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same' (any case), got {padding!r}")
    if mode == "same":
        return math.ceil(n / stride)
    if k > n:
        raise ValueError(f"with 'valid' padding the kernel must fit: k={k} > n={n}")
    return (n - k) // stride + 1

"""Lesson 01's machinery: many 1x2 kernels trained at once, and the lesson's error figure.

Introduced in lesson 01 ("Learning the [-1, 1] edge kernel"), where the training loop is
first written in the open for one kernel (the port of the post's PyTorch loop) and then
checked against :func:`descend`, which runs R kernels as R output channels of one
convolution. Importing this module imports neither TensorFlow nor Matplotlib: each
function imports what it needs when called.

    >>> import numpy as np
    >>> image = np.ones((1, 4, 6, 1)); image[:, :, 2:4] = 0
    >>> target = np.tile([0.0, -1, 0, 1, 0], (1, 4, 1))[..., None]
    >>> losses, kernels = descend([[0.0, 0.0]], image, target, lr=0.03, n_steps=2)
    >>> losses.shape, kernels.shape
    ((2, 1), (3, 1, 2))
"""

from __future__ import annotations

from typing import Any

import numpy as np

_STEP = None  # the compiled step, built on first use (TensorFlow is imported lazily)


def _gd_step():
    global _STEP
    if _STEP is None:
        import tensorflow as tf

        @tf.function
        def step(kernel, image, target, lr):
            with tf.GradientTape() as tape:
                prediction = tf.nn.conv2d(image, kernel, strides=1, padding="VALID")
                losses = tf.reduce_sum((prediction - target) ** 2, axis=[0, 1, 2])
                total = tf.reduce_sum(losses)
            # the channels do not interact, so each kernel gets exactly its own gradient
            kernel.assign_sub(lr * tape.gradient(total, kernel))
            return losses

        _STEP = step
    return _STEP


def descend(
    w0: Any, image: Any, target: Any, lr: Any, n_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Plain gradient descent on the sum of squared errors for R 1x2 kernels at once.

    Args:
        w0: starting kernels, shape (R, 2).
        image: the input, NHWC float64, shape (1, H, W, 1).
        target: the target map, shape (1, H, W - 1, 1).
        lr: one learning rate, or one per kernel (shape (R,)).
        n_steps: number of steps, >= 0.

    Returns:
        ``(losses, kernels)``: each kernel's loss before each step, shape (n_steps, R),
        and the kernels before the first and after every step, shape (n_steps + 1, R, 2),
        both float64.
    """
    import tensorflow as tf

    w0 = np.asarray(w0, dtype=np.float64)
    if w0.ndim != 2 or w0.shape[1] != 2:
        raise ValueError(f"w0 must have shape (R, 2), got {w0.shape}")
    image = np.asarray(image, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if image.ndim != 4 or image.shape[0] != 1 or image.shape[3] != 1:
        raise ValueError(f"image must have shape (1, H, W, 1), got {image.shape}")
    expected = (1, image.shape[1], image.shape[2] - 1, 1)
    if target.shape != expected:
        raise ValueError(f"target must have shape {expected}, got {target.shape}")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a whole number >= 0, got {n_steps!r}")
    rates = np.broadcast_to(np.asarray(lr, dtype=np.float64), (len(w0),))
    kernel = tf.Variable(w0.T.reshape(1, 2, 1, -1))
    step = _gd_step()
    rates_t = tf.constant(rates)  # a tensor: a new rate does not retrace the step
    losses, kernels = [], [w0]
    for _ in range(int(n_steps)):
        losses.append(step(kernel, image, target, rates_t).numpy())
        kernels.append(kernel.numpy().reshape(2, -1).T)
    return np.array(losses).reshape(int(n_steps), len(w0)), np.array(kernels)


def plot_eigen_errors(
    errors: np.ndarray,
    errors_predicted: np.ndarray,
    losses: np.ndarray,
    losses_predicted: np.ndarray,
):
    """Two panels: |error| along the slow and fast eigenvectors, and the loss, per step.

    Args:
        errors, errors_predicted: shape (T + 1, 2), columns slow (difference) and fast (sum).
        losses, losses_predicted: shape (T,), the loss before each step.

    Returns:
        The Matplotlib figure (dots are measurements, lines predictions).
    """
    import matplotlib.pyplot as plt

    errors, errors_predicted = np.asarray(errors), np.asarray(errors_predicted)
    if (
        errors.shape != errors_predicted.shape
        or errors.ndim != 2
        or errors.shape[1] != 2
    ):
        raise ValueError(
            f"errors must both have shape (T + 1, 2), got {errors.shape} "
            f"and {errors_predicted.shape}"
        )
    t = np.arange(len(errors))
    fig, (ax_c, ax_l) = plt.subplots(1, 2, figsize=(8.4, 3.0))
    for k, (name, colour) in enumerate(
        [("slow: difference", "C0"), ("fast: sum", "C3")]
    ):
        ax_c.semilogy(
            t,
            np.abs(errors_predicted[:, k]),
            "-",
            color=colour,
            label=f"{name}, predicted",
        )
        ax_c.semilogy(
            t, np.abs(errors[:, k]), "o", color=colour, ms=3, label=f"{name}, measured"
        )
    ax_c.set(
        xlabel="step t",
        ylabel="|error along eigenvector|",
        title="each direction shrinks by its own factor",
    )
    ax_c.legend(fontsize=7)
    ax_l.semilogy(
        t[: len(losses_predicted)], losses_predicted, "-", color="k", label="predicted"
    )
    ax_l.semilogy(
        t[: len(losses)], losses, "o", color="C1", ms=3, label="measured (TensorFlow)"
    )
    ax_l.set(
        xlabel="step t", ylabel="loss (sum of squares)", title="loss $= 4d^2 + 20s^2$"
    )
    ax_l.legend(fontsize=7)
    fig.tight_layout()
    return fig


def steps_to_tol(errors: Any, tol: float = 1e-6) -> np.ndarray:
    """First step at which each column of ``errors`` (steps, runs) is <= tol; -1 if never.

    >>> steps_to_tol(np.array([[1.0, 1.0], [1e-3, 1.0], [1e-7, 1.0]])).tolist()
    [2, -1]
    """
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 2:
        raise ValueError(f"errors must be 2-D (steps, runs), got shape {errors.shape}")
    below = errors <= tol
    return np.where(below.any(axis=0), below.argmax(axis=0), -1)

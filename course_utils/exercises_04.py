"""Exercises of lesson 04 (notebooks/04_why_first_layer_filters_look_frozen.ipynb)."""

from __future__ import annotations

import numpy as np

from course_utils.exercises import Exercise


def trap_kernels() -> tuple[np.ndarray, np.ndarray]:
    """The two first-layer kernels of exercise 3, shape (5, 5, 1, 32) float64 each.

    ``after`` is ``before`` trained by a made-up rule: scaled by 1.5 and shifted by
    -0.2, so every weight moved, most of them by more than 0.2.
    """
    before = np.random.default_rng(404).normal(size=(5, 5, 1, 32))
    return before, 1.5 * before - 0.2


def _reference_1():
    # Adam with a gradient of constant sign and size: m_hat = g and v_hat = g**2 at
    # every step (bias correction makes that exact), so each step is
    # lr * g / (|g| + eps), which is lr as long as |g| >> eps = 1e-7, whatever g is.
    lr, steps, g = 5e-4, 3000, 1e-3
    beta1, beta2, eps = 0.9, 0.999, 1e-7
    w, m, v = 0.0, 0.0, 0.0
    for t in range(1, steps + 1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        w -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return abs(w)  # steps * lr = 1.5, less 0.01 % for eps


def _reference_2():
    # He initialisation keeps the variance of ReLU pre-activations: std = sqrt(2 / fan_in),
    # where a conv layer's fan-in is kernel height * kernel width * input channels.
    fan_in = 5 * 5 * 32
    return float(np.sqrt(2.0 / fan_in))


def _reference_3():
    from course_utils.plotting import filter_grid_image

    before, after = trap_kernels()
    grey_before = np.round(255 * filter_grid_image(before, normalize="tensor"))
    grey_after = np.round(255 * filter_grid_image(after, normalize="tensor"))
    largest_grey_change = float(np.nanmax(np.abs(grey_after - grey_before)))
    largest_weight_change = float(np.max(np.abs(after - before)))
    return (largest_grey_change, largest_weight_change)


EXERCISES = [
    Exercise(
        number=1,
        title="How far can Adam move one weight?",
        reference=_reference_1,
        hints=[
            "Write Adam's m_hat and v_hat for a gradient that is the same number g at every step.",
            "m_hat = g and v_hat = g**2 exactly, so each step is lr * g / (|g| + eps), "
            "and eps = 1e-7 is negligible next to g = 1e-3.",
        ],
        explanation=(
            "With a constant gradient Adam's ratio m_hat / sqrt(v_hat) is exactly 1, so each "
            "step moves the weight by the learning rate, however small or large the gradient: "
            "3000 steps of 5e-4 give 1.5. A gradient of 1e4 gives the same 1.5; only a gradient "
            "comparable to eps = 1e-7 would move it less."
        ),
        rtol=1e-3,
    ),
    Exercise(
        number=2,
        title="He initialisation for conv2's fan-in",
        reference=_reference_2,
        hints=[
            "A conv layer's fan-in is the number of inputs of one output unit.",
            "fan_in = 5 * 5 * 32 = 800 for conv2; He's standard deviation is sqrt(2 / fan_in).",
        ],
        explanation=(
            "One conv2 output sums 5 x 5 x 32 = 800 inputs. To keep the pre-activation variance "
            "the same after a ReLU (which zeroes half of the signal), each weight needs variance "
            "2 / 800, a standard deviation of 0.05: twenty times smaller than the question's 1.0."
        ),
        rtol=1e-3,
    ),
    Exercise(
        number=3,
        title="Spot the visualisation trap",
        reference=_reference_3,
        hints=[
            "Draw both kernels with cu.plotting.filter_grid_image(..., normalize='tensor') and "
            "compare the grids in grey levels (multiply by 255 and round).",
            "after = 1.5 * before - 0.2 is a positive affine map: the per-tensor min-max "
            "normalisation undoes it exactly.",
        ],
        explanation=(
            "Per-tensor min-max normalisation maps w to (w - min) / (max - min). A positive "
            "scale and a shift change min and max in step, so the drawn grid is identical "
            "(0 grey levels of change) while weights moved by up to about 2."
        ),
        rtol=1e-3,
        atol=1e-6,
    ),
]

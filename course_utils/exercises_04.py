"""Exercises of lesson 04 (notebooks/04_why_first_layer_filters_look_frozen.ipynb).

Every checker judges any input without raising: numbers too large for a float
(``10**400``), nan, strings, wrong shapes and odd objects each get a "not yet"
message that says what was received.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.exercises import Exercise, Feedback, as_numbers, compare

# exercise 3's trap: ``after = _TRAP_SCALE * before + _TRAP_SHIFT``, a positive affine map
_TRAP_SCALE, _TRAP_SHIFT = 0.5, 0.5


def trap_kernels() -> tuple[np.ndarray, np.ndarray]:
    """The two first-layer kernels of exercise 3, shape (5, 5, 1, 32) float64 each.

    ``before`` holds standard-normal weights (the question's initialisation);
    ``after`` is ``before`` changed by a made-up training rule that moved every
    weight. Import it explicitly (``from course_utils.exercises_04 import
    trap_kernels``): ``import course_utils`` alone does not load exercise modules.

    Example:
        >>> before, after = trap_kernels()
        >>> before.shape == after.shape == (5, 5, 1, 32)
        True
    """
    before = np.random.default_rng(404).normal(size=(5, 5, 1, 32))
    return before, _TRAP_SCALE * before + _TRAP_SHIFT


def _reference_1():
    # Keras 3's Adam: m and v are running averages started at zero, and each step is
    # lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps).
    # For a gradient that is the same number g at every step, m = g (1 - beta1**t) and
    # sqrt(v) = |g| sqrt(1 - beta2**t), so each step is lr * |g| s / (|g| s + eps) with
    # s = sqrt(1 - beta2**t): the learning rate, as long as |g| s >> eps = 1e-7.
    lr, steps, g = 5e-4, 3000, 1e-3
    beta1, beta2, eps = 0.9, 0.999, 1e-7
    w, m, v = 0.0, 0.0, 0.0
    for t in range(1, steps + 1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        w -= lr * np.sqrt(1 - beta2**t) / (1 - beta1**t) * m / (np.sqrt(v) + eps)
    return abs(w)  # steps * lr = 1.5, less about 0.01 % for eps


def _judge_1(answer: Any, expected: float) -> Feedback:
    verdict = compare(answer, expected, rtol=1e-3, atol=1e-9)
    got, _ = as_numbers(answer)
    if (
        verdict.correct
        or verdict.status != "incorrect"
        or got is None
        or got.shape != ()
    ):
        return verdict
    value = float(got)
    slips = {
        # (value, what it is)
        "SGD's answer, lr * g * steps: Adam divides each step by the gradient's own size, "
        "so the step does not shrink with a small gradient": 5e-4 * 1e-3 * 3000,
        "one step of lr; the question asks for all 3,000": 5e-4,
        "where the weight ends (it moves against the gradient); the question asks how far, "
        "a distance": -expected,
    }
    for what, value_of_slip in slips.items():
        if np.isclose(value, value_of_slip, rtol=1e-3, atol=1e-12):
            return Feedback("incorrect", f"{value:g} is {what}")
    return verdict


def _reference_2():
    # He initialisation keeps the variance of ReLU pre-activations: std = sqrt(2 / fan_in),
    # where a conv layer's fan-in is kernel height * kernel width * input channels.
    fan_in = 5 * 5 * 32
    return float(np.sqrt(2.0 / fan_in))


def _reference_3():
    from course_utils.exercises_04 import trap_kernels
    from course_utils.plotting import filter_grid_image

    before, after = trap_kernels()
    grey_before = np.round(255 * filter_grid_image(before, normalize="tensor"))
    grey_after = np.round(255 * filter_grid_image(after, normalize="tensor"))
    largest_grey_change = float(np.nanmax(np.abs(grey_after - grey_before)))
    relative_change = float(np.linalg.norm(after - before) / np.linalg.norm(before))
    return (largest_grey_change, relative_change)


def _judge_3(answer: Any, expected: tuple[float, float]) -> Feedback:
    got, problem = as_numbers(answer, "a pair of numbers")
    if got is None:
        return Feedback("incorrect", problem)
    if got.shape != (2,):
        return Feedback(
            "incorrect",
            f"expected a pair (grey levels, relative change), got shape {got.shape}",
        )
    grey, relative = (float(x) for x in got)
    verdict = compare(got, np.asarray(expected), rtol=1e-3, atol=1e-9)
    if verdict.correct:
        return verdict
    before, after = trap_kernels()
    notes = []
    if grey != expected[0]:
        notes.append(
            f"grey levels: {grey:g}, but the two drawn grids are identical pixel for pixel"
        )
    if not np.isclose(relative, expected[1], rtol=1e-3, atol=1e-9):
        slips = {
            "the largest change of one weight, max|after - before|": np.max(
                np.abs(after - before)
            ),
            "the change of the norm, not the norm of the change": np.linalg.norm(after)
            / np.linalg.norm(before)
            - 1,
            "a difference of the largest sizes, max|after| - max|before|": np.max(
                np.abs(after)
            )
            - np.max(np.abs(before)),
            "measured on the drawn grid, not on the weights": 0.0,
            "a percentage; give the fraction": 100 * expected[1],
        }
        named = [
            name
            for name, value in slips.items()
            if np.isclose(abs(relative), abs(value), rtol=1e-3, atol=1e-9)
        ]
        what = f" (that is {named[0]})" if named else ""
        notes.append(
            f"relative change: {relative:.4g}{what}; the question asks for "
            "||after - before|| / ||before|| over all weights"
        )
    return Feedback("incorrect", "; ".join(notes) or verdict.message)


def _reference_4():
    import course_utils as cu
    from course_utils import mnist_trainer as mt

    # the lesson's data and split at seed 0 (section 2)
    images, labels = cu.data.load_mnist_subset()
    order = np.random.default_rng(0).permutation(len(images))
    x, y = (images[order] / np.float32(255))[..., np.newaxis], labels[order]
    split = mt.Split(x[1000:], y[1000:], x[:1000], y[:1000])
    # conv1 as the question initialised it; Glorot kernels and zero biases after it
    std1 = (mt.normal_std1, mt.normal_std1)
    model = mt.build_cnn(mt.glorot, mt.zeros, conv1=std1, seed=0)
    mt.train({"mine": model}, split, 50, seed=0)
    return model, split


def _judge_4(answer: Any, expected: Any) -> Feedback:
    from course_utils import mnist_trainer as mt

    usage = "expected (model, split): the trained Keras model and the lesson's mt.Split"
    if not isinstance(answer, tuple) or len(answer) != 2:
        return Feedback("incorrect", usage)
    model, split = answer
    if not isinstance(split, mt.Split) or not hasattr(model, "get_layer"):
        return Feedback("incorrect", usage)
    try:
        kernel = np.asarray(model.get_layer("conv1").kernel)
    except (ValueError, AttributeError):
        return Feedback(
            "incorrect",
            "the model has no layer 'conv1' with a kernel: build it with mt.build_cnn",
        )
    spread = float(kernel.std())
    predicted = mt.heldout_logits(model, split.x_heldout).argmax(axis=1)
    accuracy = float(np.mean(predicted == split.y_heldout))
    digits = f"{len(split.y_heldout):,} held-out digits"
    if spread < 0.5:
        return Feedback(
            "incorrect",
            f"conv1's weights have standard deviation {spread:.2f}: this experiment keeps "
            "conv1 as the question initialised it (std 1) and changes the layers after it",
        )
    if accuracy < 0.9:
        return Feedback(
            "incorrect",
            f"conv1 kept its scale (std {spread:.2f}), but the network classifies "
            f"{accuracy:.1%} of the {digits}, below 90%: which layers did the working "
            "row of section 6's table change?",
        )
    return Feedback(
        "correct",
        f"conv1 kept the question's scale (std {spread:.2f}) and the network classifies "
        f"{accuracy:.1%} of the {digits}: the std-1 first layer was no obstacle",
    )


EXERCISES = [
    Exercise(
        number=1,
        title="How far can Adam move one weight?",
        reference=_reference_1,
        judge=_judge_1,
        hints=[
            "Write Adam's m and v for a gradient that is the same number g at every step.",
            "m = g (1 - beta1**t) and sqrt(v) = |g| sqrt(1 - beta2**t): put them into Keras' step "
            "lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps) and compare |g| with eps.",
        ],
        explanation=(
            "With a constant gradient Adam's ratio m_hat / sqrt(v_hat) is exactly 1, so each "
            "step moves the weight by the learning rate, however small or large the gradient: "
            "3000 steps of 5e-4 give 1.5. A gradient of 1e4 gives the same 1.5; only a gradient "
            "comparable to eps / sqrt(1 - beta2**t) (3e-6 at step 1) would move it less."
        ),
        rtol=1e-3,
        atol=1e-9,
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
        atol=1e-9,
    ),
    Exercise(
        number=3,
        title="Spot the visualisation trap",
        reference=_reference_3,
        hints=[
            "Grey levels: 255 * cu.plotting.filter_grid_image(kernel, normalize='tensor'), rounded, "
            "for each kernel; compare them pixel by pixel (np.nanmax ignores the grid's padding). "
            "Weights: np.linalg.norm of the difference, divided by np.linalg.norm(before).",
            "Plot after.ravel() against before.ravel(). What kind of map turns one into the other, "
            "and what does a per-tensor min-max normalisation, (w - min) / (max - min), do to it?",
        ],
        explanation=(
            "Per-tensor min-max normalisation maps w to (w - min) / (max - min). Here after is a "
            "positive multiple of before plus a constant: min and max move with the weights, so "
            "the drawn grid is identical (0 grey levels of change) while the weights moved by 71% "
            "of their size. A drawing of after - before on a fixed scale shows it at once."
        ),
        judge=_judge_3,
    ),
    Exercise(
        number=4,
        title="An experiment: fix the network, keep its first layer",
        reference=_reference_4,
        judge=_judge_4,
        hints=[
            "Section 6 compared mixed initialisations: which layers' scale made the difference?",
            "Give conv1 the question's initialisers (conv1=std1) and every other layer Glorot "
            "kernels with zero biases: mt.build_cnn(mt.glorot, mt.zeros, conv1=std1, seed=seed).",
        ],
        explanation=(
            "With conv1 at std 1 and the later layers initialised for their fan-in, the network "
            "learns: the later layers' scale held the question's network back, not conv1's large "
            "weights. He-normal after conv1 passes too (93.0% at seed 0, 94.8% at seed 7, "
            "against 95.3% and 94.5% with Glorot); try your own and compare."
        ),
    ),
]

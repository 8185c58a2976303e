"""Exercises of lesson 03 (notebooks/03_debugging_a_row_column_classifier.ipynb)."""

from __future__ import annotations

import numpy as np

from course_utils.exercises import Exercise, Feedback, compare


def _reference_1():
    # The second softmax turns the saturated (1, 0, 0) into (e, 1, 1) / (e + 2).
    right = np.log((np.e + 2) / np.e)      # a class-0 sample: -log(e / (e + 2)) = log(1 + 2/e)
    wrong = np.log(np.e + 2)               # a class-1 or class-2 sample: -log(1 / (e + 2))
    return float((right + 2 * wrong) / 3)  # a third of the samples right, two thirds wrong


def _reference_2():
    return (
        True,   # 1. softmax output fed to a raw tf.nn loss that applies softmax again
        False,  # 2. logits fed to a loss told they are logits: one softmax
        False,  # 3. probabilities fed to a loss that expects probabilities: one softmax
        True,   # 4. a raw tf.nn loss knows nothing about Keras: softmax twice
        False,  # 5. Keras 3 uses the logits remembered by the softmax layer (and warns)
    )


def _reference_3():
    col_left = np.array([[1.0, -1.0], [1.0, -1.0]])     # row sums 0: blind to rows
    kernel = np.stack([col_left, -col_left], axis=-1)[:, :, np.newaxis, :]   # (2, 2, 1, 2)
    dense = np.zeros((8, 2))
    dense[:, 1] = 1 / 255                               # "column" adds up every feature
    bias = np.array([1.0, 0.0])                         # "row" wins when nothing fires
    return kernel, dense, bias


def _reference_4():
    # Ablation rows with 6 'same' filters and inputs / 255:
    #   double softmax + SGD 1e-3   -> fails (the colleague's setup)
    #   single softmax + SGD 1e-3   -> still fails: with scaled inputs SGD's steps are too small
    #   double softmax + Adam       -> reliable: Adam rescales its steps
    # "raw inputs" alone keeps the double softmax on saturated outputs: fails.
    return {"adam"}


def _valid_logits(kernel: np.ndarray, dense: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Logits (6, 2) of Conv2D('valid', no bias) -> ReLU -> Flatten -> Dense on the raw images."""
    from course_utils.data import row_column_images

    x, _ = row_column_images()
    images = x[..., 0].astype(np.float64)
    conv = np.zeros((6, 2, 2, kernel.shape[-1]))
    for p in range(2):
        for q in range(2):
            window = images[:, p:p + 2, q:q + 2]
            conv[:, p, q, :] = np.einsum("nij,ijf->nf", window, kernel[:, :, 0, :])
    return np.maximum(conv, 0).reshape(6, -1) @ dense + bias


def _judge_2(answer, expected) -> Feedback:
    if not isinstance(answer, (tuple, list)) or len(answer) != len(expected):
        return Feedback("incorrect", f"expected a tuple of {len(expected)} booleans, got {answer!r}")
    if not all(isinstance(a, (bool, np.bool_)) for a in answer):
        return Feedback("incorrect", "every entry must be True or False")
    wrong = [i + 1 for i, (a, e) in enumerate(zip(answer, expected)) if bool(a) != e]
    if not wrong:
        return Feedback("correct", "all five right")
    return Feedback("incorrect", f"{len(wrong)} of {len(expected)} wrong: pair(s) {wrong}")


def _judge_3(answer, expected) -> Feedback:
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        return Feedback("incorrect", "expected a tuple (kernel, dense, bias)")
    try:
        kernel, dense, bias = (np.asarray(a, dtype=np.float64) for a in answer)
    except (TypeError, ValueError):
        return Feedback("incorrect", "kernel, dense and bias must be numeric arrays")
    shapes = (kernel.shape, dense.shape, bias.shape)
    if shapes != ((2, 2, 1, 2), (8, 2), (2,)):
        return Feedback("incorrect", f"shapes {shapes}, expected ((2, 2, 1, 2), (8, 2), (2,))")
    if not all(np.all(np.isfinite(a)) for a in (kernel, dense, bias)):
        return Feedback("incorrect", "the weights contain nan or inf")
    row_sums = np.abs(kernel[:, :, 0, :].sum(axis=1)).max()
    if row_sums > 1e-6:
        return Feedback("incorrect", f"not column detectors: a filter row sums to {row_sums:.3g}, "
                                     "expected 0 (each row [a, -a])")
    logits = _valid_logits(kernel, dense, bias)
    labels = np.array([0, 0, 0, 1, 1, 1])
    margin = logits[np.arange(6), labels] - logits[np.arange(6), 1 - labels]
    if margin.min() < 1 - 1e-6:
        worst = int(np.argmin(margin))
        return Feedback("incorrect", f"image {worst} has margin {margin[worst]:.3g} "
                                     f"(logits {np.round(logits[worst], 3).tolist()}); need >= 1")
    return Feedback("correct", f"all six images right, smallest margin {margin.min():.3g}")


_FIXES = {"single softmax", "adam", "raw inputs"}


def _judge_4(answer, expected) -> Feedback:
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(a, str) for a in answer):
        return Feedback("incorrect", "expected a set of strings such as {'Adam'}")
    chosen = {" ".join(a.lower().split()) for a in answer}
    unknown = chosen - _FIXES
    if unknown:
        return Feedback("incorrect", f"unknown change(s) {sorted(unknown)}; choose from "
                                     "'single softmax', 'Adam', 'raw inputs'")
    if chosen == expected:
        return Feedback("correct", "one change: Adam, keeping the double softmax and the scaling")
    if chosen == {"single softmax"}:
        return Feedback("incorrect", "single softmax with inputs / 255 and SGD 1e-3 still fails in "
                                     "the ablation (at most 1 of 10 seeds): look at the row with "
                                     "single softmax, /255, no Adam, 6 'same'")
    if expected < chosen:
        return Feedback("incorrect", f"{sorted(chosen)} works but is not the smallest set")
    return Feedback("incorrect", f"{sorted(chosen)} is not reliable in the ablation table")


EXERCISES = [
    Exercise(
        number=1,
        title="the plateau value for three classes",
        reference=_reference_1,
        hints=["Pass the one-hot output (1, 0, 0) through softmax: what are its three entries?",
               "softmax((1, 0, 0)) = (e, 1, 1) / (e + 2). A right sample costs log((e + 2) / e), "
               "a wrong one log(e + 2); a third are right."],
        explanation="The second softmax sees (1, 0, 0) whatever the logits were, so every sample "
                    "costs one of two constants: log(1 + 2/e) = 0.551 if right, log(e + 2) = 1.551 "
                    "if wrong. With one sample in three right the mean is 1.218.",
        rtol=1e-4,
        atol=1e-4,
    ),
    Exercise(
        number=2,
        title="who applies softmax twice?",
        reference=_reference_2,
        hints=["A loss applies softmax itself when it is told it receives logits "
               "(from_logits=True, or any tf.nn ..._with_logits function).",
               "Keras 3's own losses look for the logits a Keras softmax remembers (section 2.5); "
               "raw tf.nn functions cannot."],
        explanation="Softmax is applied twice when a softmax output reaches a function that applies "
                    "softmax again. Raw tf.nn losses always do; Keras 3's losses with from_logits=True "
                    "use the logits cached by a Keras softmax activation instead, and warn.",
        judge=_judge_2,
    ),
    Exercise(
        number=3,
        title="a 2-filter network built from column detectors",
        reference=_reference_3,
        hints=["A filter [[a, -a], [b, -b]] gives 0 on every row (each row of the window sums to 0).",
               "Use [[1, -1], [1, -1]] and its negative: every column image lights one of them; "
               "then let the dense layer add the features for 'column' and give 'row' a bias of 1."],
        explanation="Column detectors with zero row sums leave every row image with all-zero "
                    "features, so rows are decided by the bias; each column image has its white "
                    "column in the left half of some window (first filter) or the right half "
                    "(second filter), giving features of 510 that the dense layer turns into a "
                    "column logit of 4 or 8.",
        judge=_judge_3,
    ),
    Exercise(
        number=4,
        title="the smallest fix for a new broken setup",
        reference=_reference_4,
        hints=["Find the rows of the ablation table with 6 'same' filters and inputs / 255.",
               "Among those rows, which is reliable with the double softmax kept?"],
        explanation="With scaled inputs the first softmax is not saturated, so the double softmax "
                    "no longer freezes training; what fails is SGD at 1e-3, whose steps are far "
                    "too small at this scale. Adam rescales its steps and makes it reliable; "
                    "a single softmax alone does not.",
        judge=_judge_4,
    ),
]

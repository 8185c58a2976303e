"""Exercises of lesson 03 (notebooks/03_debugging_a_row_column_classifier.ipynb).

Every checker judges and never raises, whatever it is given (huge ints, nan, strings,
arrays of the wrong shape). Exercise 4 judges a set of fixes by looking its row up in the
ablation table that the lesson prints: the notebook hands that table over with
:func:`use_ablation`; until it does, the table shipped here (the same code at full scale)
is used.
"""

from __future__ import annotations

import itertools

import numpy as np

from course_utils.exercises import Exercise, Feedback, as_numbers, compare

# Exercise 2's five (layers, loss, labels) pairs, exactly as the lesson states them. The unit
# tests build each one, train it with Keras 3 `fit`, and check the reference answer against
# the loss that `fit` reports.
PAIRS = (
    ('Dense(2), Activation("softmax")', "question_loss", "one-hot"),
    ("Dense(2)", "CategoricalCrossentropy(from_logits=True)", "one-hot"),
    ('Dense(2, activation="softmax")', "CategoricalCrossentropy()", "one-hot"),
    (
        'Dense(2, activation="softmax")',
        "lambda t, p: tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(t, tf.int32), p)",
        "integer",
    ),
    (
        'Dense(2, activation="softmax")',
        "CategoricalCrossentropy(from_logits=True)",
        "one-hot",
    ),
)


def _reference_1():
    # The second softmax turns the saturated (1, 0, 0) into (e, 1, 1) / (e + 2).
    right = np.log(
        (np.e + 2) / np.e
    )  # a class-0 sample: -log(e / (e + 2)) = log(1 + 2/e)
    wrong = np.log(np.e + 2)  # a class-1 or class-2 sample: -log(1 / (e + 2))
    return float(
        (right + 2 * wrong) / 3
    )  # a third of the samples right, two thirds wrong


def _judge_1(answer, expected) -> Feedback:
    wanted = "one real number (a float)"
    value, problem = as_numbers(answer, wanted)
    if value is None:
        return Feedback("incorrect", problem)
    if value.shape != ():
        return Feedback(
            "incorrect", f"expected {wanted}, got an array of shape {value.shape}"
        )
    value = float(value)
    for slip, why in _SLIPS_1:
        if (
            abs(value - slip) <= 3e-3 * abs(slip)
            and abs(value - expected) > 3e-3 * expected
        ):
            return Feedback("incorrect", f"{value:g} is {why}")
    return compare(value, expected, rtol=3e-3, atol=0.0)


# Common slips in exercise 1, each with what it computes instead (rtol 3e-3, as the answer).
_SLIPS_1 = (
    (
        float(np.log(np.e + 2)),
        "the loss of a wrong sample alone, log(e + 2): a third of the samples "
        "(class 0) are predicted right",
    ),
    (
        float((np.log1p(np.exp(-1.0)) + np.log1p(np.e)) / 2),
        "the lesson's two-class value: with three classes the second softmax turns "
        "(1, 0, 0) into (e, 1, 1) / (e + 2)",
    ),
    (
        float(np.log(3)),
        "ln 3, the loss of a uniform prediction; here the first softmax is saturated",
    ),
    (
        float(np.log(np.e + 2) - np.log(np.e)),
        "the loss of a right sample alone, log(1 + 2/e): two thirds are wrong",
    ),
)


def _reference_2():
    return (
        True,  # 1. softmax output fed to a raw tf.nn loss that applies softmax again
        False,  # 2. logits fed to a loss told they are logits: one softmax
        False,  # 3. Keras 3 reads the logits behind the softmax layer: one softmax
        True,  # 4. a raw tf.nn loss knows nothing about Keras: softmax twice
        False,  # 5. Keras 3 uses the logits remembered by the softmax layer (and warns)
    )


def _judge_2(answer, expected) -> Feedback:
    if not isinstance(answer, (tuple, list, np.ndarray)) or len(answer) != len(
        expected
    ):
        return Feedback(
            "incorrect",
            f"expected a tuple of {len(expected)} booleans, "
            f"got {type(answer).__name__}",
        )
    if not all(isinstance(a, (bool, np.bool_)) for a in answer):
        return Feedback("incorrect", "every entry must be True or False")
    wrong = [i + 1 for i, (a, e) in enumerate(zip(answer, expected)) if bool(a) != e]
    if not wrong:
        return Feedback("correct", "all five right")
    reasons = "; ".join(f"pair {i}: {_WHY_2[i - 1]}" for i in wrong)
    return Feedback(
        "incorrect",
        f"{len(wrong)} of {len(expected)} wrong: pair(s) {wrong}. Ask for each: {reasons}",
    )


# What decides each pair of exercise 2 (said as a question, so that it does not give the answer).
_WHY_2 = (
    "what does a raw tf.nn ..._with_logits function do to whatever it is given?",
    "what does from_logits=True tell the loss about the Dense output it receives?",
    "what does a Keras 3 loss read when its input comes from a Keras softmax layer?",
    "does a raw tf.nn function know about the logits a Keras softmax layer remembers?",
    "what does Keras 3 do (and warn about) when from_logits=True meets a softmax layer?",
)


def _reference_3():
    col_left = np.array([[1.0, -1.0], [1.0, -1.0]])  # row sums 0: blind to rows
    kernel = np.stack([col_left, -col_left], axis=-1)[
        :, :, np.newaxis, :
    ]  # (2, 2, 1, 2)
    dense = np.zeros((8, 2))
    dense[:, 1] = 1 / 255  # "column" adds up every feature
    bias = np.array([1.0, 0.0])  # "row" wins when nothing fires
    return kernel, dense, bias


def _valid_logits(
    kernel: np.ndarray, dense: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """Logits (6, 2) of Conv2D('valid', no bias) -> ReLU -> Flatten -> Dense on the raw images."""
    from course_utils.data import row_column_images

    x, _ = row_column_images()
    images = x[..., 0].astype(np.float64)
    conv = np.zeros((6, 2, 2, kernel.shape[-1]))
    for p in range(2):
        for q in range(2):
            window = images[:, p : p + 2, q : q + 2]
            conv[:, p, q, :] = np.einsum("nij,ijf->nf", window, kernel[:, :, 0, :])
    return np.maximum(conv, 0).reshape(6, -1) @ dense + bias


def _judge_3(answer, expected) -> Feedback:
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        return Feedback("incorrect", "expected a tuple (kernel, dense, bias)")
    arrays = [as_numbers(a, finite=False)[0] for a in answer]
    if any(a is None for a in arrays):
        return Feedback(
            "incorrect",
            "kernel, dense and bias must be numeric arrays (float64 can hold them)",
        )
    kernel, dense, bias = arrays
    shapes = (kernel.shape, dense.shape, bias.shape)
    if shapes != ((2, 2, 1, 2), (8, 2), (2,)):
        return Feedback(
            "incorrect", f"shapes {shapes}, expected ((2, 2, 1, 2), (8, 2), (2,))"
        )
    if not all(np.all(np.isfinite(a)) for a in arrays):
        return Feedback("incorrect", "the weights contain nan or inf")
    row_sums = np.abs(kernel[:, :, 0, :].sum(axis=1)).max()
    if row_sums > 1e-6:
        return Feedback(
            "incorrect",
            f"not column detectors: a filter row sums to {row_sums:.3g}, "
            "expected 0 (each row [a, -a])",
        )
    logits = _valid_logits(kernel, dense, bias)
    if not np.all(np.isfinite(logits)):
        return Feedback("incorrect", "the logits overflow: use smaller weights")
    labels = np.array([0, 0, 0, 1, 1, 1])
    margin = logits[np.arange(6), labels] - logits[np.arange(6), 1 - labels]
    if margin.min() < 1 - 1e-6:
        worst = int(np.argmin(margin))
        return Feedback(
            "incorrect",
            f"image {worst} has margin {margin[worst]:.3g} "
            f"(logits {np.round(logits[worst], 3).tolist()}); need >= 1",
        )
    return Feedback(
        "correct", f"all six images right, smallest margin {margin.min():.3g}"
    )


# ---- exercise 4: the ablation table is the one source of truth ----

CHANGES = ("single softmax", "adam", "raw inputs")  # what the colleague may change
_NAMES = {
    "single softmax": "single softmax",
    "adam": "Adam",
    "raw inputs": "raw inputs",
}

# The rows exercise 4 can reach, from the lesson's ablation at full scale and seed 0 (1,000 starts
# per row, 300 epochs): key (loss, inputs / 255, Adam, filters) -> (starts at 100% accuracy by
# epoch 300, starts, verdict). The notebook replaces it with its own table (use_ablation).
_SHIPPED = {
    ("softmax twice", True, False, 6): (0, 1000, "not reliable"),
    ("softmax twice", True, True, 6): (986, 1000, "reliable"),
    ("softmax twice", False, False, 6): (2, 1000, "not reliable"),
    ("softmax twice", False, True, 6): (6, 1000, "not reliable"),
    ("from logits", True, False, 6): (1, 1000, "not reliable"),
    ("from logits", True, True, 6): (992, 1000, "reliable"),
    ("from logits", False, False, 6): (992, 1000, "reliable"),
    ("from logits", False, True, 6): (992, 1000, "reliable"),
}
_table: dict | None = None


def _row_after(changes) -> tuple:
    """The ablation row the colleague's setup moves to after ``changes``."""
    loss = "from logits" if "single softmax" in changes else "softmax twice"
    return (loss, "raw inputs" not in changes, "adam" in changes, 6)


def use_ablation(table: dict | None) -> None:
    """Give exercise 4 the lesson's ablation table (None: the shipped one).

    Args:
        table: ``{(loss, scaled, adam, filters): (successes, runs, verdict)}`` with at least
            the 8 rows of 6 filters with ``loss`` "softmax twice" or "from logits"; a row is
            usable when ``verdict`` is "reliable". Introduced in lesson 03, section 6.1.

    Raises:
        TypeError: ``table`` is not a dict (or None).
        ValueError: a row exercise 4 needs is missing or malformed.
    """
    global _table
    if table is None:
        _table = None
        return
    if not isinstance(table, dict):
        raise TypeError(
            f"table must be a dict {{row: (successes, runs, verdict)}}, "
            f"got {type(table).__name__}"
        )
    for changes in itertools.chain.from_iterable(
        itertools.combinations(CHANGES, k) for k in range(len(CHANGES) + 1)
    ):
        key = _row_after(changes)
        value = table.get(key)
        if (
            not isinstance(value, tuple)
            or len(value) != 3
            or not isinstance(value[2], str)
            or not 0 <= value[0] <= value[1]
        ):
            raise ValueError(
                f"the table needs row {key} as (successes, runs, verdict), "
                f"got {value!r}"
            )
    _table = dict(table)


def ablation_table() -> dict:
    """The table exercise 4 judges by: the lesson's (after ``use_ablation``) or the shipped one."""
    return _SHIPPED if _table is None else _table


def _reference_4():
    table = ablation_table()  # section 6.1's table, as the lesson printed it
    options = [set(c) for k in range(4) for c in itertools.combinations(CHANGES, k)]
    reliable = [c for c in options if table[_row_after(c)][2] == "reliable"]
    return (
        min(reliable, key=len) if reliable else None
    )  # the first of the smallest sets


def _judge_4(answer, expected) -> Feedback:
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(
        isinstance(a, str) for a in answer
    ):
        return Feedback("incorrect", "expected a set of strings such as {'Adam'}")
    chosen = {" ".join(a.lower().split()) for a in answer}
    unknown = chosen - set(CHANGES)
    if unknown:
        return Feedback(
            "incorrect",
            f"unknown change(s) {sorted(unknown)}; choose from "
            "'single softmax', 'Adam', 'raw inputs'",
        )
    table = ablation_table()
    successes, runs, verdict = table[_row_after(chosen)]
    loss, scaled, adam, filters = _row_after(chosen)
    row = (
        f"row ({loss}, {'inputs / 255' if scaled else 'raw inputs'}, "
        f"{'Adam' if adam else 'SGD'}, {filters} 'same' filters): {successes} of {runs} "
        f"starts at 100%"
    )
    if verdict != "reliable":
        return Feedback("incorrect", f"{verdict}: {row}")
    options = [set(c) for k in range(4) for c in itertools.combinations(CHANGES, k)]
    fewest = min(len(c) for c in options if table[_row_after(c)][2] == "reliable")
    if len(chosen) > fewest:
        return Feedback(
            "incorrect",
            f"reliable ({row}), but not the smallest: a set with "
            f"{fewest} change(s) is reliable too",
        )
    names = ", ".join(_NAMES[c] for c in sorted(chosen)) or "no change"
    return Feedback("correct", f"{names}: reliable, {row}")


EXERCISES = [
    Exercise(
        number=1,
        title="the plateau value for three classes",
        reference=_reference_1,
        hints=[
            "Pass the one-hot output (1, 0, 0) through softmax: what are its three entries?",
            "softmax((1, 0, 0)) = (e, 1, 1) / (e + 2). A right sample costs log((e + 2) / e), "
            "a wrong one log(e + 2); a third are right.",
        ],
        explanation="The second softmax sees (1, 0, 0) whatever the logits were, so every sample "
        "costs one of two constants: log(1 + 2/e) = 0.551 if right, log(e + 2) = 1.551 "
        "if wrong. With one sample in three right the mean is 1.218.",
        judge=_judge_1,
    ),
    Exercise(
        number=2,
        title="who applies softmax twice?",
        reference=_reference_2,
        hints=[
            "A loss applies softmax itself when it is told it receives logits "
            "(from_logits=True, or any tf.nn ..._with_logits function).",
            "Keras 3's own losses look for the logits a Keras softmax remembers (section 6, and "
            "the Going further section on Keras 3's losses); "
            "raw tf.nn functions cannot.",
        ],
        explanation="Softmax is applied twice when a softmax output reaches a function that applies "
        "softmax again. Raw tf.nn losses always do; Keras 3's losses use the logits "
        "cached by a Keras softmax activation instead (and warn when told "
        "from_logits=True).",
        judge=_judge_2,
    ),
    Exercise(
        number=3,
        title="a 2-filter network built from column detectors",
        reference=_reference_3,
        hints=[
            "A filter [[a, -a], [b, -b]] gives 0 on every row image (each row of the window "
            "sums to 0).",
            "Take a window with a white column in its left half, then one with it in the right "
            "half: which signs of a and b make the filter fire in each case? Every column image "
            "needs some filter that fires; then choose the dense layer so that 'row' wins when "
            "every feature is zero.",
        ],
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
        hints=[
            "Find the colleague's row in the table of section 6.1: 6 'same' filters, "
            "inputs / 255, softmax twice, SGD.",
            "Read the verdict of each row that is one change away before trying two changes.",
        ],
        explanation="With inputs / 255 the first softmax is not saturated, so the double softmax "
        "does not freeze training; what fails is SGD at 1e-3, whose steps are far too "
        "small at this scale. Adam rescales its steps; a single softmax alone keeps "
        "the small SGD steps. The checker reads each set's row from the table the "
        "lesson printed in section 6.1.",
        judge=_judge_4,
    ),
]

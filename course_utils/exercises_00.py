"""Exercises of lesson 00 (notebooks/00_convolution_primer.ipynb)."""

from __future__ import annotations

import numpy as np

from course_utils.exercises import Exercise, Feedback, as_numbers


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
]


def _reference_4():
    import course_utils as cu

    images, labels = cu.data.load_mnist_subset()
    digits = images.astype(np.float32) / 255.0
    order = np.random.default_rng(0).permutation(
        len(digits)
    )  # the lesson's split, seed 0
    train, test = order[:4000], order[4000:5000]
    nets = cu.primer.train_many(
        digits[train], labels[train], n_runs=10, steps=300, learning_rate=0.05, seed=0
    )
    accuracies = nets.accuracy(digits[test], labels[test])
    prediction = float(
        np.median(accuracies)
    )  # a prediction that matches the measurement
    return (prediction, accuracies)


PREDICTION_TOLERANCE = (
    0.1  # a prediction within 10 points of the measured median counts
)


def _judge_4(answer, expected):
    """Judge the prediction against the learner's own measurement, not against ours."""
    if not isinstance(answer, tuple) or len(answer) != 2:
        return Feedback(
            "incorrect", "give a tuple (prediction, accuracies), e.g. (0.6, accuracies)"
        )
    prediction, accuracies = answer
    guess, problem = as_numbers(prediction, "a fraction")
    if guess is None or guess.shape != ():
        return Feedback("incorrect", problem or "the prediction must be one number")
    runs, problem = as_numbers(accuracies, "an array of accuracies")
    if runs is None:
        return Feedback("incorrect", problem)
    if runs.ndim != 1 or len(runs) < 5:
        return Feedback(
            "incorrect",
            f"expected the held-out accuracies of at least 5 networks, got shape {runs.shape}",
        )
    if not 0 <= float(guess) <= 1 or np.any((runs < 0) | (runs > 1)):
        return Feedback(
            "incorrect", "accuracies and the prediction are fractions in [0, 1]"
        )
    median = float(np.median(runs))
    report = (
        f"your {len(runs)} networks: median {median:.1%} (lowest {runs.min():.1%}, "
        f"highest {runs.max():.1%}); you predicted {float(guess):.1%}"
    )
    if abs(float(guess) - median) <= PREDICTION_TOLERANCE:
        return Feedback("correct", report + ": within 10 points of your measurement")
    direction = "too high" if guess > median else "too low"
    return Feedback(
        "incorrect",
        report
        + f": {direction}. Smaller steps train more slowly, but do not stop training.",
    )


EXERCISES.append(
    Exercise(
        number=4,
        title="predict, then measure: a ten times smaller step",
        reference=_reference_4,
        judge=_judge_4,
        hints=[
            "Ten times smaller steps: after 300 steps the networks have moved as far as "
            "about 30 steps at lr 0.5 would take them, if the path were straight.",
            "Train: nets = cu.primer.train_many(x_train, y_train, n_runs=10, "
            "steps=train_steps, learning_rate=0.05, seed=cfg.seed); then "
            "ex[5].check((your_guess, nets.accuracy(x_test, y_test))).",
        ],
        explanation="The check compares your prediction with the median of your own "
        "networks. Small steps do not get stuck (section 9.1), but they need more of them "
        "to get as far.",
    )
)

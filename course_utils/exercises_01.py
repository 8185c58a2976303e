"""Exercises of lesson 01 (notebooks/01_learning_an_edge_kernel.ipynb).

1. Predict the kernel learned in 10 steps for the target kernel [1, 1].
2. The learning rate that shrinks every start's error a million-fold in the fewest steps.
3. Design an image from which a 2x2 kernel is fully identifiable.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course_utils.exercises import Exercise, Feedback, as_numbers

#: 2 P^T P of the lesson's 4x6 stripe image (columns 2 and 3 zero) for a 1x2 kernel.
STRIPE_HESSIAN = np.array([[24.0, 16.0], [16.0, 24.0]])
#: Exercise 2 counts the steps needed to shrink the error of any start by this factor.
SHRINK = 1e-6


def _reference_1():
    import numpy as np

    hessian = np.array(
        [[24.0, 16.0], [16.0, 24.0]]
    )  # 2 P^T P of the stripe image, as in the lesson
    target_kernel = np.array([1.0, 1.0])  # w*: the kernel that made the target
    start, lr, steps = np.array([-0.1, 0.4]), 0.03, 10
    # w_t = w* + (I - lr H)^t (w0 - w*): the sum direction shrinks by 0.2 per step, the
    # difference direction by 0.76, so only 0.76^10 = 0.064 of the start's difference is left.
    step_matrix = np.eye(2) - lr * hessian
    return target_kernel + np.linalg.matrix_power(step_matrix, steps) @ (
        start - target_kernel
    )


def _reference_2():
    eigenvalues = (8.0, 40.0)  # of the stripe image's Hessian
    # The worst-case factor max |1 - lr * lambda| is smallest where the two factors balance:
    # 1 - lr * 8 = -(1 - lr * 40), i.e. lr = 2 / (8 + 40) = 1/24, with factor 2/3.
    return 2 / (eigenvalues[0] + eigenvalues[1])


def _reference_3():
    import numpy as np

    # An impulse: its four 2x2 windows are the four one-hot patches, so 2 P^T P = 2 I and
    # every direction of the kernel is taught equally: each output pixel sees one weight.
    image = np.zeros((3, 3))
    image[1, 1] = 1.0
    return image


def worst_case_factor(lr: float) -> float:
    """max |1 - lr * lambda| over the stripe Hessian's eigenvalues (8 and 40)."""
    return float(max(abs(1 - lr * lam) for lam in np.linalg.eigvalsh(STRIPE_HESSIAN)))


def steps_to_shrink(lr: float) -> int | None:
    """Steps after which every start's error is at most SHRINK times its start; None if never."""
    factor = worst_case_factor(lr)
    if factor >= 1:
        return None
    if factor == 0:
        return 1
    return math.ceil(math.log(SHRINK) / math.log(factor) - 1e-12)


def _judge_2(answer: Any, expected: float) -> Feedback:
    wanted = "a single number (a learning rate)"
    got, problem = as_numbers(answer, wanted, finite=False)
    if got is None:
        return Feedback("incorrect", problem)
    if got.shape != ():
        return Feedback(
            "incorrect", f"expected {wanted}, got an array of shape {got.shape}"
        )
    lr = float(got)
    if not math.isfinite(lr) or lr <= 0:
        return Feedback(
            "incorrect", f"a learning rate must be positive and finite, got {lr!r}"
        )
    best = steps_to_shrink(expected)
    factor = worst_case_factor(lr)
    steps = steps_to_shrink(lr)
    if steps is None:
        return Feedback(
            "incorrect",
            f"lr = {lr:g}: the worst factor max|1 - lr*lambda| is {factor:.3f} >= 1, so some start "
            f"never converges (the stability limit is 2/40 = 0.05)",
        )
    if steps <= best:
        return Feedback(
            "correct",
            f"lr = {lr:g}: worst factor {factor:.4f}, {steps} steps to shrink any error "
            f"{1 / SHRINK:.0e}-fold, the fewest possible (1/24 gives factor 2/3)",
        )
    return Feedback(
        "incorrect",
        f"lr = {lr:g}: worst factor {factor:.4f} needs {steps} steps; the best rate needs {best}. "
        "Which eigenvalue limits you at this rate?",
    )


def two_by_two_patches(image: np.ndarray) -> np.ndarray:
    """All 2x2 windows of a 2-D image as rows of a (n_windows, 4) matrix."""
    windows = np.lib.stride_tricks.sliding_window_view(image, (2, 2))
    return windows.reshape(-1, 4)


#: Small kernels tried first when naming an untaught direction, so that the message shows
#: e.g. [[1, 0], [-1, 0]] rather than an arbitrary mix of several untaught directions.
_SIMPLE_KERNELS = [
    np.array(k, dtype=np.float64).reshape(4)
    for k in (
        [[1, 0], [-1, 0]],
        [[0, 1], [0, -1]],
        [[1, -1], [0, 0]],
        [[0, 0], [1, -1]],
        [[1, 0], [0, -1]],
        [[0, 1], [-1, 0]],
        [[1, -1], [-1, 1]],
        [[1, 1], [-1, -1]],
        [[1, -1], [1, -1]],
        [[1, 0], [0, 0]],
        [[0, 1], [0, 0]],
        [[0, 0], [1, 0]],
        [[0, 0], [0, 1]],
    )
]


#: A Hessian eigenvalue below this fraction of the largest one counts as zero (rounding error
#: of a rank-deficient 4x4 matrix is about 1e-15 of its largest eigenvalue). Relative, so that
#: scaling the image does not change the verdict.
RELATIVE_RANK_TOLERANCE = 1e-10


def _simple_null_direction(hessian: np.ndarray) -> np.ndarray | None:
    scale = float(np.abs(hessian).max())
    for kernel in _SIMPLE_KERNELS:
        if np.abs(hessian @ kernel).max() <= RELATIVE_RANK_TOLERANCE * scale:
            return kernel
    return None


def _judge_3(answer: Any, expected: np.ndarray) -> Feedback:
    image, problem = as_numbers(answer, "a 2-D array of numbers", finite=False)
    if image is None:
        return Feedback("incorrect", problem)
    if image.ndim != 2 or min(image.shape) < 2:
        return Feedback(
            "incorrect",
            f"expected a 2-D image of at least 2x2, got shape {image.shape}",
        )
    if not np.all(np.isfinite(image)):
        return Feedback("incorrect", "the image contains nan or inf")
    patches = two_by_two_patches(image)
    with np.errstate(over="ignore", invalid="ignore"):
        hessian = 2 * patches.T @ patches
    if not np.all(np.isfinite(hessian)):
        return Feedback(
            "incorrect",
            f"the Hessian 2 P^T P overflows (image values up to {np.abs(image).max():.3g}): "
            "rescale the image, identifiability does not depend on its scale",
        )
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    untaught = eigenvalues <= RELATIVE_RANK_TOLERANCE * max(float(eigenvalues[-1]), 0.0)
    rank = 4 - int(untaught.sum())
    if rank == 4:
        return Feedback(
            "correct",
            f"{patches.shape[0]} patches span all 4 kernel directions; smallest Hessian "
            f"eigenvalue {eigenvalues[0]:.3g} (larger = taught faster and more robustly)",
        )
    direction = _simple_null_direction(hessian)
    if direction is None:
        direction = eigenvectors[:, 0]
        direction = direction * np.sign(direction[np.argmax(np.abs(direction))])
    shown = np.round(direction.reshape(2, 2), 3)
    shown = shown.astype(int) if np.all(shown == np.round(shown)) else shown
    return Feedback(
        "incorrect",
        f"the patches span only {rank} of 4 directions: adding any multiple of the kernel "
        f"{shown.tolist()} changes no output, so it is never learned",
    )


EXERCISES = [
    Exercise(
        number=1,
        title="predict the kernel learned for the target kernel [1, 1]",
        reference=_reference_1,
        hints=[
            "The Hessian depends only on the image, so it is the lesson's [[24, 16], [16, 24]]; "
            "only w* changes, to [1, 1].",
            "Compute w* + matrix_power(I - lr H, 10) @ (w0 - w*), or split w0 - w* into its "
            "components along (1, 1)/sqrt(2) (factor -0.2 per step) and (-1, 1)/sqrt(2) (factor 0.76).",
        ],
        explanation="""The loss is quadratic with the same Hessian as in the lesson, so after t
        steps w_t = w* + (I - lr H)^t (w0 - w*). The start's error along the sum direction is
        multiplied by 0.2^10 (gone), along the difference direction by 0.76^10 = 0.064: the
        answer is [1, 1] plus 6.4% of the start's difference error, about [0.9839, 1.0161].""",
        rtol=1e-6,
        atol=1e-6,
    ),
    Exercise(
        number=2,
        title="the learning rate that converges in the fewest steps",
        reference=_reference_2,
        hints=[
            "One step multiplies the error along each eigenvector by 1 - lr * lambda, with lambda 8 "
            "and 40. The worst start is the one that sits on the worse of the two.",
            "Make the two factors equal in size and opposite in sign: 1 - 8 lr = -(1 - 40 lr).",
        ],
        explanation="""Every start's error shrinks at least by max|1 - lr lambda| per step, and
        some start shrinks by exactly that. The maximum of |1 - 8 lr| (falling) and |1 - 40 lr|
        (rising beyond lr = 1/40) is smallest where they cross, at lr = 2 / (8 + 40) = 1/24,
        with factor 2/3: 35 steps for a million-fold shrink, against 51 at the post's lr 0.03.
        The ratio 40/8, the Hessian's condition number, sets this best possible speed.""",
        judge=_judge_2,
    ),
    Exercise(
        number=3,
        title="an image from which a 2x2 kernel is identifiable",
        reference=_reference_3,
        hints=[
            "A kernel direction u is taught only if some 2x2 patch p has p . u != 0; the 4x4 "
            "matrix 2 P^T P must have no zero eigenvalue.",
            "So the image's 2x2 patches, written as vectors of R^4, must include four that are "
            "linearly independent. Write down the patches of a small image that is zero almost "
            "everywhere, and count how many independent ones you get.",
        ],
        explanation="""The loss is a quadratic bowl in the four weights with Hessian 2 P^T P,
        P holding the image's 2x2 patches. The kernel is identifiable exactly when P has rank 4.
        The stripe image fails because its rows are identical: every patch has equal top and
        bottom rows, so a kernel with opposite rows changes no output. A single impulse gives the
        four one-hot patches and 2 P^T P = 2 I; most random images work too.""",
        judge=_judge_3,
    ),
]

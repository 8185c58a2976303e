"""Exercises of lesson 02 (notebooks/02_recovering_a_gaussian_blur.ipynb)."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.exercises import Exercise, Feedback, as_numbers


def _reference_1():
    from course_utils.kernels import gaussian_kernel

    g4 = gaussian_kernel(4, 1.0)
    # convolve2d 'same' reads x[i + (4-1)//2 - k] g[k] = x[i + 1 - k] g[k];
    # tf.nn.conv2d SAME reads x[i + u - (4-1)//2] w[u] = x[i + u - 1] w[u].
    # Equal terms need u - 1 = 1 - k, i.e. w[u] = g[2 - u] for u = 0, 1, 2; w[3] has no partner.
    w = np.zeros((4, 4))
    for u in range(3):
        for v in range(3):
            w[u, v] = g4[2 - u, 2 - v]
    return w


def _reference_2():
    import keras

    kernel = keras.initializers.GlorotUniform(seed=0)(
        shape=(64, 64, 1, 1), dtype="float64"
    )
    kernel = np.asarray(kernel)[:, :, 0, 0]
    frequency = np.fft.fftfreq(64)
    radius = np.hypot(frequency[:, None], frequency[None, :])
    energy = np.abs(np.fft.fft2(kernel)) ** 2  # Parseval: sums to 64*64 * ||kernel||^2
    return float(energy[radius >= 0.3].sum() / energy.sum())


def _reference_3():
    from scipy import signal

    from course_utils.analysis import least_squares_kernel
    from course_utils.images import images_at
    from course_utils.kernels import gaussian_kernel

    x = images_at("white_noise", range(4), 32, seed=0)
    y = signal.fftconvolve(
        x, gaussian_kernel(32, 1.75)[np.newaxis], mode="same", axes=(1, 2)
    )
    for s in range(1, 33, 2):
        w = least_squares_kernel(x, y, (s, s))
        # for odd s, TensorFlow's SAME cross-correlation is correlate2d's centred 'same'
        y_hat = np.stack([signal.correlate2d(xi, w, mode="same") for xi in x])
        if np.linalg.norm(y_hat - y) / np.linalg.norm(y) < 0.01:
            return s
    raise AssertionError("no odd support below 33 reaches 1%")


def _reference_4():
    import course_utils as cu

    # the lesson's quick scale (section 1): 64x64, sigma 1.75, the question's rates x 16
    size, n_train, batch, seed = 64, 4900, 5, 0
    g = cu.kernels.gaussian_kernel(size, 7.0 * size / 256)
    learning_rates = np.logspace(-3, -5, 5) * (256 / size) ** 2
    cartoons = cu.images.ImageCache("cartoon", n_train, size, seed=seed)
    sources = {"cartoon": cartoons.__getitem__}
    factor = 0.03  # one Adam step: 0.03 x 6.35 = 0.19 of the kernel's norm
    mine = cu.blur.train(
        [cu.blur.Run("mine", g, lr_scale=factor)],
        g, sources, learning_rates, n_train, batch=batch, seed=seed + 1,
    )  # fmt: skip
    return factor, mine.final["mine"]


def _judge_4(answer: Any, expected: Any) -> Feedback:
    from course_utils.blur import tf_equivalent
    from course_utils.kernels import gaussian_kernel

    usage = "expected (factor, kernel): your lr_scale and the trained kernel, mine.final['mine']"
    if not isinstance(answer, tuple) or len(answer) != 2:
        return Feedback("incorrect", usage)
    factor, _ = as_numbers(answer[0])
    kernel, _ = as_numbers(answer[1])
    if factor is None or factor.shape != () or kernel is None:
        return Feedback("incorrect", usage)
    size = kernel.shape[0] if kernel.ndim == 2 else 0
    if kernel.shape not in ((64, 64), (256, 256)):
        return Feedback(
            "incorrect",
            f"the kernel has shape {kernel.shape}; the lesson trains 64x64 (quick scale) "
            "or 256x256 (full scale) filters",
        )
    g = gaussian_kernel(size, 7.0 * size / 256)
    w_true = tf_equivalent(g)
    scale = np.linalg.norm(w_true)
    start, end = (
        np.linalg.norm(g - w_true) / scale,
        np.linalg.norm(kernel - w_true) / scale,
    )
    said = f"with factor {float(factor):g} the kernel ends {end:.3g} from w_true"
    if end < start / 3:
        return Feedback(
            "correct",
            f"{said}, {end / start:.0%} of g's own distance ({start:.3f}): a step that fits "
            "the weights lets Adam from g converge. Did a factor 10 times larger, and one "
            "10 times smaller, also pass?",
        )
    step = 1e-3 * (256 / size) ** 2 * float(factor)
    if end >= start:
        return Feedback(
            "incorrect",
            f"{said}, farther than g started ({start:.3f}): each first step moves every "
            f"weight by about {step:.2g}, against a largest weight of {w_true.max():.2g}",
        )
    return Feedback(
        "incorrect",
        f"{said}: closer than g started ({start:.3f}), but not a third of it. Try factors "
        "on both sides: too large a step keeps shaking the weights, too small a one does "
        "not get there in 4,900 steps",
    )


EXERCISES = [
    Exercise(
        number=1,
        title="the TensorFlow filter for an even scipy kernel",
        reference=_reference_1,
        rtol=1e-6,
        atol=1e-12,
        hints=[
            "Write both sums out: convolve2d 'same' uses x[i + (K-1)//2 - k] g[k], "
            "tf.nn.conv2d SAME uses x[i + u - (K-1)//2] w[u]. Match the pixel index.",
            "With K = 4 both offsets are 1, so u - 1 = 1 - k: w[u] = g[2 - u] for u = 0, 1, 2, "
            "and the last row and column of w stay 0.",
        ],
        explanation="For even K the flip is shifted by one pixel, w[u] = g[K - 2 - u], because "
        "both functions put (K-1)//2 pixels before the centre but one counts from the flipped "
        "end. The last row and column of g have no partner, so no 4x4 TensorFlow filter "
        "reproduces convolve2d exactly; this one matches every term it can.",
    ),
    Exercise(
        number=2,
        title="Xavier's noise above 0.3 cycles per pixel",
        reference=_reference_2,
        # The statement asks for four significant digits: a correctly rounded answer is within
        # a relative 7e-5, and so is the float32 value. The nearest wrong methods are 6e-4
        # (rfft2's half plane without its mirror terms), 1.5% (a float32 initialiser draw) and
        # 3% (fftshifted frequencies) away: rtol 1e-4 accepts the first and rejects the others.
        rtol=1e-4,
        atol=0.0,
        hints=[
            "Take np.fft.fft2 of the 64x64 kernel and the radius np.hypot(fx, fy) of each "
            "frequency, with fx = fy = np.fft.fftfreq(64).",
            "The answer is (|F|^2 summed where radius >= 0.3) / (|F|^2 summed everywhere). "
            "Xavier's values are independent, so expect roughly the share of the frequency "
            "square that lies beyond 0.3: about 1 - pi * 0.3^2.",
        ],
        explanation="Glorot's values are independent, so their spectrum is flat: the energy in "
        "a band is close to the band's share of the frequency square, 1 - pi 0.3^2 = 0.72. "
        "Nearly three quarters of the initial noise therefore sits where cartoon images have "
        "almost no power, and gradient descent leaves it there.",
    ),
    Exercise(
        number=3,
        title="the smallest support that keeps the output error below 1%",
        reference=_reference_3,
        rtol=0.0,
        atol=0.0,
        hints=[
            "Loop s over 1, 3, 5, ...; fit w = cu.analysis.least_squares_kernel(x, y, (s, s)); "
            "predict with tf.nn.conv2d (or signal.correlate2d(..., mode='same') for odd s).",
            "The blur made by an even 32x32 kernel is centred one pixel up and left of the "
            "output pixel, so an odd s x s window reaches only (s - 1) / 2 - 1 pixels past that "
            "centre on one side. Print the error for each s: it falls fast, so look closely "
            "around 1%.",
        ],
        explanation="The least-squares filter of a given support is the best that support can "
        "do, so the first odd s whose relative output error drops below 1% is the answer. A "
        "small support is fully determined by the data and leaves no room for initial noise.",
    ),
    Exercise(
        number=4,
        title="an experiment: a step size of your own",
        reference=_reference_4,
        judge=_judge_4,
        hints=[
            "Section 2.1's ratio table gives one Adam step's norm against the kernel's: 6.35 "
            "at the question's rate. What factor makes a step a small part of the kernel?",
            "Train a few factors a decade apart (1, 0.1, 0.01, 0.001) in one call, one Run "
            "each, and print every final kernel's error against w_true.",
        ],
        explanation=(
            "Adam's first steps move every weight by about the learning rate, so the rate must "
            "be small next to the weights for a start at g to stay near it. Too small, and "
            "4,900 steps cannot travel the distance left; in between, Adam converges. At quick "
            "scale, seed 0, the end error from g was 1.44 at factor 1, 0.47 at 0.3, 0.26 at "
            "0.1, 0.25 at 0.03, 0.29 at 0.005, 0.63 at 0.001 and 0.92 at 0.0001 (the start "
            "is 0.979): a valley more than a decade wide."
        ),
    ),
]

"""Training many blur filters at once on the same minibatches (lesson 02).

Lesson 02 trains one large filter ``w`` so that ``tf.nn.conv2d(x, w, 1, "SAME")``
reproduces ``scipy.signal.convolve2d(x, g, mode="same")`` for a Gaussian ``g``, with the
original question's Adam, and compares many variants of that training (starts, step
sizes, supports, optimisers, image families). This module holds the machinery that is
not the lesson: the FFT form of the convolution and its gradient, compiled steps that
train groups of variants on the same minibatch in parallel threads, the reader thread
that makes minibatches ahead of time, and the frequency-band split of a kernel error. The lesson shows each piece once in the
open (``conv_fft`` against ``tf.nn.conv2d``, the trainer against a Keras Adam loop).

- ``conv_fft``: ``tf.nn.conv2d(x, w, 1, "SAME")`` of B images by R kernels, by FFT.
- ``Run``: one training run (its start, image family, optimiser and step-size factor).
- ``train``: every run trained in one pass over the question's minibatch schedule.
- ``tf_equivalent``: the filter with which ``tf.nn.conv2d`` reproduces ``convolve2d``.
- ``regime``: the dimensionless ratios that decide how the question's Adam behaves.
- ``band_split``: a kernel error split into the frequencies the images show and the rest.
- ``disk_needed``: the temporary disk the image cache needs, checked before it starts.
- ``table``: rows of numbers as aligned text.

Nothing here touches a global random state; every draw takes its seed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.fft

from course_utils import images as _images

#: TensorFlow 1's AdamOptimizer defaults (the question's), identical to Keras 3's update rule
ADAM_BETAS, ADAM_EPSILON = (0.9, 0.999), 1e-8


def fft_size(size: int, k: int) -> int:
    """Padded FFT length for SAME cross-correlation of size x size images by a k x k kernel.

    SAME reads ``k // 2`` pixels past the image's end, so ``n >= size + k // 2`` keeps the
    FFT's wrap-around out of every output pixel that is read; rounded up to a fast length.
    """
    return scipy.fft.next_fast_len(int(size) + int(k) // 2)


def conv_fft(x, w):
    """``tf.nn.conv2d(x, w, 1, "SAME")`` for images ``x (B, H, H)`` and R kernels ``w (R, k, k)``.

    Returns a tensor ``(R, B, H, H)`` of the same dtype (float64 in lesson 02). The image and
    kernel are zero-padded to ``fft_size(H, k)``; the kernel is rolled by ``(k - 1) // 2`` so
    that output ``i`` of the spectral product is SAME's output ``i``; the conjugate makes it a
    correlation. Written out in lesson 02, section 3.2, and checked there against
    ``tf.nn.conv2d``.

    Example:
        >>> x, w = np.ones((1, 4, 4)), np.ones((1, 3, 3))
        >>> float(conv_fft(x, w)[0, 0, 0, 0])  # a corner output sums 2x2 ones
        4.0
    """
    import tensorflow as tf

    h, k = x.shape[-1], w.shape[-1]
    n = fft_size(h, k)
    before = (k - 1) // 2
    spectrum_x = tf.signal.rfft2d(tf.pad(x, [[0, 0], [0, n - h], [0, n - h]]))
    placed = tf.roll(
        tf.pad(w, [[0, 0], [0, n - k], [0, n - k]]), [-before, -before], axis=[1, 2]
    )
    spectrum_w = tf.signal.rfft2d(placed)
    full = tf.signal.irfft2d(
        spectrum_x[tf.newaxis] * tf.math.conj(spectrum_w[:, tf.newaxis]),
        fft_length=[n, n],
    )
    return full[:, :, :h, :h]


def embed(kernel: np.ndarray, size: int) -> np.ndarray:
    """A k x k SAME kernel placed in a size x size grid where it acts the same way.

    SAME puts weight ``u`` of a k x k kernel at offset ``u - (k - 1) // 2``; in the large
    grid that offset is ``U - (size - 1) // 2``, so the small kernel starts at
    ``(size - 1) // 2 - (k - 1) // 2``. Works on stacks ``(..., k, k)``.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    k = kernel.shape[-1]
    if kernel.shape[-2] != k or k > size:
        raise ValueError(
            f"kernel must be square and at most {size}x{size}, got shape {kernel.shape}"
        )
    shift = (size - 1) // 2 - (k - 1) // 2
    big = np.zeros(kernel.shape[:-2] + (size, size))
    big[..., shift : shift + k, shift : shift + k] = kernel
    return big


@dataclass(frozen=True)
class Run:
    """One training run: where it starts and how it steps.

    Attributes:
        name: a label, unique within one ``train`` call.
        start: the starting kernel, float64 ``(k, k)``, ``k`` at most the image size (a
            smaller support is trained in place inside the large grid; see ``embed``).
        family: the image family it trains on, ``"cartoon"`` or ``"white_noise"``.
        optimizer: ``"adam"`` (the question's: TF1/Keras Adam, epsilon 1e-8) or ``"sgd"``.
        lr_scale: multiplies the question's learning rate at every step.
    """

    name: str
    start: np.ndarray
    family: str = "cartoon"
    optimizer: str = "adam"
    lr_scale: float = 1.0


@dataclass
class Trained:
    """What ``train`` returns: the runs' final kernels and snapshots.

    Attributes:
        final: ``{name: (size, size) kernel}`` at the end of training (a smaller
            support comes back placed in the size x size grid, as by ``embed``).
        snapshots: ``{name: (T, size, size)}`` the kernel at each step of ``steps``.
        steps: the step numbers of the snapshots (0 = the start).
        seconds: wall time of the training pass.
    """

    final: dict
    snapshots: dict
    steps: np.ndarray
    seconds: float


def _check_runs(runs: Sequence[Run], size: int) -> None:
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"run names must be unique, got {names}")
    for run in runs:
        start = np.asarray(run.start)
        if start.ndim != 2 or start.shape[0] != start.shape[1] or start.shape[0] > size:
            raise ValueError(
                f"run {run.name!r}: start must be a square kernel of at most "
                f"{size}x{size}, got shape {start.shape}"
            )
        if run.family not in _images.FAMILIES:
            raise ValueError(
                f"run {run.name!r}: family must be one of {_images.FAMILIES}, "
                f"got {run.family!r}"
            )
        if run.optimizer not in ("adam", "sgd"):
            raise ValueError(
                f"run {run.name!r}: optimizer must be 'adam' or 'sgd', got {run.optimizer!r}"
            )
        if not (np.isfinite(run.lr_scale) and run.lr_scale > 0):
            raise ValueError(
                f"run {run.name!r}: lr_scale must be > 0, got {run.lr_scale!r}"
            )


def _prepare(g: np.ndarray, size: int):
    """A function of a minibatch ``x (B, size, size)``: its padded spectrum and its targets.

    The targets are ``convolve2d(x, g, "same")``, made from the same spectrum. Each group
    of runs makes the pair in its own compiled step (a family split into two groups makes
    it twice: measured faster than handing it between threads at 64x64, and a few percent
    slower at 256x256).
    """
    import tensorflow as tf

    n = fft_size(size, size)
    spectrum_g = tf.signal.rfft2d(
        tf.pad(tf.constant(g), [[0, n - size], [0, n - size]])
    )
    centre = (size - 1) // 2  # where convolve2d's 'same' starts in the full convolution

    def prepare(x):
        spectrum_x = tf.signal.rfft2d(tf.pad(x, [[0, 0], [0, n - size], [0, n - size]]))
        blurred = tf.signal.irfft2d(spectrum_x * spectrum_g, fft_length=[n, n])
        return spectrum_x, blurred[:, centre : centre + size, centre : centre + size]

    return prepare


def _group_step(runs: Sequence[Run], size: int):
    """The step training ``runs`` (one family) together; returns (step, weights).

    ``step(spectrum_x, y, lr, t)`` takes ``_prepare``'s pair for the minibatch.
    """
    import tensorflow as tf

    r = len(runs)
    n = fft_size(size, size)
    weights = tf.Variable(np.stack([embed(run.start, size) for run in runs]))
    mask = tf.constant(np.stack([embed(np.ones_like(run.start), size) for run in runs]))
    m = tf.Variable(np.zeros((r, size, size)))
    v = tf.Variable(np.zeros((r, size, size)))
    scale = tf.constant([run.lr_scale for run in runs], dtype=tf.float64)
    is_adam = tf.constant([run.optimizer == "adam" for run in runs])
    (b1, b2), eps = ADAM_BETAS, ADAM_EPSILON
    before = (size - 1) // 2  # conv_fft's roll for a size x size kernel
    pad = [[0, n - size], [0, n - size]]

    def one_step(spectrum_x, y, lr, t):
        # conv_fft(x, weights * mask) and its gradient, written out: the loss of run r is
        # mean_b,i (p_rbi - y_bi)^2, so its gradient is the correlation of each image
        # with its residual, summed over the minibatch (tests/test_blur.py checks it
        # against TensorFlow's automatic gradient)
        placed = tf.roll(tf.pad(weights * mask, [[0, 0], *pad]), [-before] * 2, [1, 2])
        spectrum_w = tf.math.conj(tf.signal.rfft2d(placed))
        p = tf.signal.irfft2d(spectrum_x[None] * spectrum_w[:, None], fft_length=[n, n])
        per_output = 2.0 / (y.shape[0] * size * size)  # d(mean)/d(output)
        residual = (p[:, :, :size, :size] - y[None]) * per_output
        spectrum_r = tf.signal.rfft2d(tf.pad(residual, [[0, 0], [0, 0], *pad]))
        correlation = tf.signal.irfft2d(
            tf.reduce_sum(spectrum_x[None] * tf.math.conj(spectrum_r), axis=1),
            fft_length=[n, n],
        )
        grad = tf.roll(correlation, [before] * 2, [1, 2])[:, :size, :size] * mask
        m.assign_add((grad - m) * (1 - b1))
        v.assign_add((grad**2 - v) * (1 - b2))
        rate = (lr * scale)[:, None, None]
        alpha = rate * tf.sqrt(1 - b2**t) / (1 - b1**t)
        adam = alpha * m / (tf.sqrt(v) + eps)
        weights.assign_sub(tf.where(is_adam[:, None, None], adam, rate * grad))

    return one_step, weights


def schedule(n_train: int, epochs: int, batch: int, seed: int) -> list[np.ndarray]:
    """The question's minibatches: a new shuffle each epoch, then batches of ``batch``."""
    shuffle = np.random.default_rng(seed)
    return [
        indices
        for _ in range(epochs)
        for indices in np.split(shuffle.permutation(n_train), n_train // batch)
    ]


#: Runs per compiled step from images of ``SPLIT_FROM`` pixels on. At 256x256 groups of 4 in
#: their own threads were faster than one group per family on 2 cores (smaller arrays, both
#: cores busy); at 64x64 a step is so small that one group per family is faster.
GROUP_SIZE, SPLIT_FROM = 4, 128


class _Stopped(Exception):
    """A training thread ended because another one failed."""


def _groups(runs: Sequence[Run], group_size: int) -> list[list[Run]]:
    """Runs split by family, then into near-equal groups of at most ``group_size``."""
    groups = []
    for family in sorted({run.family for run in runs}):
        members = [run for run in runs if run.family == family]
        count = -(-len(members) // group_size)
        groups += [
            list(part) for part in np.array_split(np.array(members, object), count)
        ]
    return groups


def train(
    runs: Sequence[Run],
    g: np.ndarray,
    sources: dict,
    learning_rates: Sequence[float],
    n_train: int,
    *,
    batch: int,
    seed: int,
    record: Sequence[int] = (),
    progress: bool = False,
) -> Trained:
    """Train every run on the question's minibatch schedule, in one pass over the data.

    A reader thread makes each minibatch once per image family, ahead of time. The runs
    are split into groups of one family (of at most ``GROUP_SIZE`` runs from images of
    ``SPLIT_FROM`` pixels on); each group has one compiled step that makes the targets
    ``convolve2d(x, g, "same")`` from the images' spectrum and updates all its runs at
    once, and each group steps through the schedule in its own thread, so the groups
    share the machine's cores. The loss of each run is
    the question's mean squared error, so the runs do not interact: the result equals
    training each run alone (lesson 02 checks one run against a Keras ``Adam`` loop).
    Introduced in lesson 02.

    Args:
        runs: the runs (``Run``), names unique.
        g: the blur kernel, ``(size, size)``: targets are ``convolve2d(x, g, "same")``.
        sources: ``{family: f(indices) -> images (B, size, size)}`` for each family used.
        learning_rates: one per epoch (the question's ``np.logspace(-3, -5, 5)``).
        n_train, batch: images per epoch and per minibatch (the question's 4,900 and 5).
        seed: seeds the shuffle (one permutation of ``range(n_train)`` per epoch).
        record: step numbers at which to keep a snapshot of every kernel (0 = the start).
        progress: show a progress bar (for runs longer than a few seconds).

    Returns:
        ``Trained`` with final kernels, snapshots, the recorded steps and the wall time.
    """
    import threading
    from queue import Empty, Full, Queue

    import tensorflow as tf
    from tqdm.auto import tqdm

    g = np.asarray(g, dtype=np.float64)
    size = g.shape[-1]
    _check_runs(runs, size)
    missing = {run.family for run in runs} - set(sources)
    if missing:
        raise ValueError(f"no image source for {sorted(missing)}")
    families = sorted({run.family for run in runs})
    groups = _groups(runs, GROUP_SIZE if size >= SPLIT_FROM else len(runs))
    prepare = _prepare(g, size)
    parts = [_group_step(group, size) for group in groups]
    steps = [
        tf.function(
            lambda x, lr, t, s=one_step: s(*prepare(x), lr, t), jit_compile=True
        )
        for one_step, _ in parts
    ]

    batches = schedule(n_train, len(learning_rates), batch, seed)
    epoch_steps = n_train // batch
    record = sorted({int(s) for s in record if 0 <= s <= len(batches)})
    kept: list = [[] for _ in groups]
    done = [0] * len(groups)  # steps each group has finished
    ahead = 3  # minibatches made while the groups train
    queues = [Queue(ahead) for _ in groups]
    stop = threading.Event()  # set when any thread fails, so that the others end

    def put(queue, item):
        while not stop.is_set():
            try:
                return queue.put(item, timeout=0.1)
            except Full:
                pass

    def get(queue):
        while not stop.is_set():
            try:
                return queue.get(timeout=0.1)
            except Empty:
                pass
        raise _Stopped()

    def read():
        for indices in batches:
            if stop.is_set():
                return
            data = {
                f: tf.constant(np.asarray(sources[f](indices), np.float64))
                for f in families
            }
            for group, queue in zip(groups, queues):
                put(queue, data[group[0].family])

    def learn(i):
        _, weights = parts[i]
        if 0 in record:
            kept[i].append(weights.numpy())
        for t in range(1, len(batches) + 1):
            lr = float(learning_rates[(t - 1) // epoch_steps])
            steps[i](
                get(queues[i]),
                tf.constant(lr, tf.float64),
                tf.constant(float(t), tf.float64),
            )
            if t in record:
                kept[i].append(weights.numpy())
            done[i] = t

    def guarded(work, *args):
        try:
            work(*args)
        except BaseException:
            stop.set()
            raise

    start = time.perf_counter()
    with ThreadPoolExecutor(len(groups) + 1) as pool:
        futures = [pool.submit(guarded, read)]
        futures += [pool.submit(guarded, learn, i) for i in range(len(groups))]
        with tqdm(total=len(batches), disable=not progress, desc="training") as bar:
            while not all(f.done() for f in futures):
                time.sleep(0.1)
                bar.update(min(done) - bar.n)
        errors = [f.exception() for f in futures if f.exception() is not None]
        for error in errors:  # the failure itself, not the threads it stopped
            if not isinstance(error, _Stopped):
                raise error
    seconds = time.perf_counter() - start

    final, snapshots = {}, {}
    for i, group in enumerate(groups):
        last = parts[i][1].numpy()
        stacked = np.array(kept[i]) if kept[i] else np.zeros((0,) + last.shape)
        for j, run in enumerate(group):
            final[run.name], snapshots[run.name] = last[j], stacked[:, j]
    return Trained(final, snapshots, np.array(record), seconds)


def tf_equivalent(kernel: np.ndarray) -> np.ndarray:
    """The ``w`` with ``tf.nn.conv2d(x, w, 1, "SAME") == convolve2d(x, kernel, mode="same")``.

    Odd size: the flip. Even size ``k``: ``w[u] = kernel[k - 2 - u]`` (the flip shifted by one
    pixel; ``kernel``'s last row and column have no place in ``w``). Derived in lesson 02,
    section 5.1, and checked there against the exact least-squares optimum.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    k = kernel.shape[0]
    if kernel.ndim != 2 or kernel.shape[1] != k:
        raise ValueError(f"kernel must be square 2-D, got shape {kernel.shape}")
    if k % 2:
        return kernel[::-1, ::-1].copy()
    w = np.zeros_like(kernel)
    w[:-1, :-1] = kernel[::-1, ::-1][1:, 1:]
    return w


def regime(
    size: int, sigma: float, learning_rates: Sequence[float], n_train: int, batch: int
) -> dict:
    """The ratios that decide how the question's Adam treats a Gaussian filter.

    Adam's first step moves every weight by about the learning rate, whatever its
    gradient, so what matters is the learning rate against the target's weights:

    - ``lr / largest weight``: the first epoch's rate over the target's largest weight;
    - ``step norm / kernel norm``: one such step on all ``size**2`` weights
      (norm ``lr * size``) over the target's norm;
    - ``lr budget / largest weight``: the sum of the rates over all steps (how far any
      weight can travel) over the largest weight;
    - ``steps``: Adam steps in the schedule.

    The target is ``tf_equivalent`` of ``cu.kernels.gaussian_kernel(size, sigma)``.
    """
    from course_utils.kernels import gaussian_kernel

    target = tf_equivalent(gaussian_kernel(int(size), float(sigma)))
    rates = np.asarray(learning_rates, dtype=np.float64)
    steps = len(rates) * (int(n_train) // int(batch))
    largest, norm = float(target.max()), float(np.linalg.norm(target))
    return {
        "lr / largest weight": float(rates[0]) / largest,
        "step norm / kernel norm": float(rates[0]) * size / norm,
        "lr budget / largest weight": float(rates.sum()) * (n_train // batch) / largest,
        "steps": steps,
    }


def band_split(kernels, target, cutoff: float = 0.2):
    """Relative kernel error ``||w - target|| / ||target||``, split by spatial frequency.

    Returns ``(total, inside, outside)``, each of shape ``kernels.shape[:-2]``: the error at
    radial frequencies below ``cutoff`` cycles per pixel (the band smooth images show) and at
    or above it, on the kernel's own DFT grid; by Parseval ``total**2 = inside**2 + outside**2``.
    """
    kernels = np.asarray(kernels, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    f = np.fft.fftfreq(target.shape[-1])
    radius = np.hypot(f[:, None], f[None, :])
    power = np.abs(np.fft.fft2(kernels - target)) ** 2
    scale = np.sum(np.abs(np.fft.fft2(target)) ** 2)
    inside = np.sqrt(power[..., radius < cutoff].sum(-1) / scale)
    outside = np.sqrt(power[..., radius >= cutoff].sum(-1) / scale)
    return np.hypot(inside, outside), inside, outside


def disk_needed(n: int, size: int, folder: str | None = None) -> tuple[float, float]:
    """(GB the image cache needs, GB free) for ``n`` float64 images of size x size.

    Raises ``OSError`` naming both figures when the temporary folder has too little room,
    before anything is written: the same check ``ImageCache`` makes when it starts.
    """
    need = n * size * size * 8
    _images._check_free_space(folder, need, f"{n} images of {size}x{size}")
    where = folder if folder is not None else tempfile.gettempdir()
    return need / 1e9, shutil.disk_usage(where).free / 1e9


def table(rows: Sequence[Sequence], header: Sequence[str], width: int = 10) -> str:
    """Rows as aligned text: the first column left-aligned, numbers to 3 significant digits."""
    first = max(len(str(c)) for c in [header[0], *(row[0] for row in rows)])

    def cell(value):
        if isinstance(value, str):
            return value
        if isinstance(value, (int, np.integer)):
            return f"{value:,}"
        return f"{value:.3g}"

    lines = [f"{header[0]:<{first}}" + "".join(f"{h:>{width}}" for h in header[1:])]
    for row in rows:
        lines.append(
            f"{row[0]:<{first}}" + "".join(f"{cell(v):>{width}}" for v in row[1:])
        )
    return "\n".join(lines)


def largest_curvature(x, size: int, iterations: int = 30, seed: int = 0) -> float:
    """Largest eigenvalue of the Hessian of the question's loss for a size x size filter.

    The loss ``mean((conv2d(x, w, "SAME") - y) ** 2)`` over the minibatch ``x (B, H, H)`` has
    Hessian ``2 P^T P / M`` (``P`` the patch matrix, ``M`` the number of output pixels),
    whatever ``y``; power iteration with ``conv_fft`` and its gradient finds the top
    eigenvalue. Plain gradient descent with rate ``lr`` is stable only while
    ``lr * curvature < 2``.
    """
    import tensorflow as tf

    x = tf.constant(np.asarray(x, dtype=np.float64))
    v = np.random.default_rng(seed).standard_normal((1, size, size))
    value = 0.0
    for _ in range(iterations):
        v = tf.constant(v / np.linalg.norm(v))
        with tf.GradientTape() as tape:
            tape.watch(v)
            loss = tf.reduce_mean(conv_fft(x, v) ** 2)
        hv = tape.gradient(loss, v).numpy()  # = 2 P^T P v / M
        value = float(np.sum(hv * v.numpy()))
        v = hv
    return value


def plot_band_errors(steps, curves: dict, start: float | None = None, ax=None):
    """Error against the target in and out of band over training, on log axes.

    Args:
        steps: the recorded step numbers (0 is drawn at 0.5 on the log axis).
        curves: ``{label: (inside, outside)}``, each an array over ``steps``.
        start: a horizontal reference line (the error at the start), or None.
        ax: axes to draw on; default: a new figure.

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.2))
    fig = ax.figure
    x = np.maximum(np.asarray(steps, dtype=float), 0.5)
    for (label, (inside, outside)), colour in zip(curves.items(), ["C0", "C1", "C2"]):
        ax.loglog(x, inside, "-", color=colour, label=f"{label}, in band")
        ax.loglog(x, outside, "--", color=colour, label=f"{label}, out of band")
    if start is not None:
        ax.axhline(start, color="k", lw=0.8, label="error at the start")
    ax.set_xlabel("training step (0 drawn at 0.5)")
    ax.set_ylabel("kernel error vs target")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig

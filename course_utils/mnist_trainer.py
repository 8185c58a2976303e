"""Lesson 04's MNIST machinery: the question's CNN, a batched Adam trainer, Adam on one weight.

Introduced in notebooks/04_why_first_layer_filters_look_frozen.ipynb, which checks the trainer
against ``model.fit`` and :func:`adam_steps` against Keras' own Adam in one cell, then calls
:func:`train` by name. What it does, in one sentence: every model in a dict takes a Keras Adam
step on the same minibatch in one compiled step (so runs that differ in one thing see the same
data), and each layer's gradient norm, mean and largest update and distance from its start are
recorded per step; held-out metrics are taken at chosen steps.

Import it as ``from course_utils import mnist_trainer`` (``import course_utils`` does not load
TensorFlow). Nothing here seeds or configures anything global.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

LAYERS = ("conv1", "conv2", "dense1", "logits")
BETA1, BETA2, EPS = 0.9, 0.999, 1e-7  # Keras 3's Adam defaults


# --- initialisers: each is a function seed -> Keras initializer ---------------------------------


def normal_std1(seed: int):
    """``tf.random_normal``'s draw: a normal distribution with standard deviation 1."""
    import keras

    return keras.initializers.RandomNormal(stddev=1.0, seed=seed)


def glorot(seed: int):
    """Keras' default kernel initializer, Glorot-uniform."""
    import keras

    return keras.initializers.GlorotUniform(seed=seed)


def he(seed: int):
    """He-normal, standard deviation sqrt(2 / fan_in), made for ReLU layers."""
    import keras

    return keras.initializers.HeNormal(seed=seed)


def zeros(seed: int):
    """Zeros (the seed is unused: same signature as the others)."""
    import keras

    return keras.initializers.Zeros()


def build_cnn(
    kernel_init: Callable,
    bias_init: Callable,
    *,
    conv1: tuple[Callable, Callable] | None = None,
    seed: int = 0,
    dropout_rate: float = 0.25,
):
    """The question's CNN: conv 5x5x32, pool, conv 5x5x64, pool, dense 1024, dropout, dense 10.

    Args:
        kernel_init, bias_init: functions ``seed -> initializer`` for every layer's kernel and bias.
        conv1: optional ``(kernel_init, bias_init)`` for the first layer alone (the learner's zero
            first layer; the mixed initialisations).
        seed: each initializer gets its own seed derived from it, so two models built with the same
            seed start from the same weights.
        dropout_rate: 0.25, the question's keep probability 0.75.

    Returns:
        An unbuilt-free ``keras.Sequential`` taking (N, 28, 28, 1) float32 and giving (N, 10) logits.

    Example:
        >>> model = build_cnn(glorot, zeros, seed=0)  # doctest: +SKIP
        >>> model.count_params()  # doctest: +SKIP
        3274634
    """
    import keras

    if not 0 <= dropout_rate < 1:
        raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate!r}")
    first_k, first_b = conv1 if conv1 is not None else (kernel_init, bias_init)
    layers = keras.layers

    def conv(n, name, k, b, s):
        return layers.Conv2D(
            n, 5, padding="same", activation="relu", name=name,
            kernel_initializer=k(seed + s), bias_initializer=b(seed + s + 1),
        )  # fmt: skip

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            conv(32, "conv1", first_k, first_b, 0),
            layers.MaxPooling2D(2, name="pool1"),
            conv(64, "conv2", kernel_init, bias_init, 2),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(
                1024,
                activation="relu",
                name="dense1",
                kernel_initializer=kernel_init(seed + 4),
                bias_initializer=bias_init(seed + 5),
            ),  # fmt: skip
            layers.Dropout(dropout_rate, seed=seed + 6, name="dropout"),
            layers.Dense(
                10,
                name="logits",
                kernel_initializer=kernel_init(seed + 7),
                bias_initializer=bias_init(seed + 8),
            ),  # fmt: skip
        ]
    )


# --- data order and evaluation ------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Training and held-out images, (N, 28, 28, 1) float32 in [0, 1], labels (N,) int."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_heldout: np.ndarray
    y_heldout: np.ndarray


def batch_indices(n_train: int, n_steps: int, batch_size: int, seed: int) -> np.ndarray:
    """Minibatch rows as ``mnist.train.next_batch`` drew them: a fresh shuffle every pass.

    Returns an (n_steps, batch_size) int array; its first rows are the same for any n_steps, so
    a longer run sees the shorter runs' batches first.

    Example:
        >>> batch_indices(10, 3, 4, seed=0).shape
        (3, 4)
        >>> bool(np.all(batch_indices(10, 3, 4, 0)[:2] == batch_indices(10, 2, 4, 0)))
        True
    """
    for name, value in (
        ("n_train", n_train),
        ("n_steps", n_steps),
        ("batch_size", batch_size),
    ):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    rng = np.random.default_rng(seed)
    passes = -(-n_steps * batch_size // n_train)  # ceil
    order = np.concatenate([rng.permutation(n_train) for _ in range(passes)])
    return order[: n_steps * batch_size].reshape(n_steps, batch_size)


def heldout_logits(model, images: np.ndarray, chunk: int = 250) -> np.ndarray:
    """The model's logits (N, 10) for images (N, 28, 28, 1), inference mode, in chunks."""
    return np.concatenate(
        [
            np.asarray(model(images[i : i + chunk], training=False))
            for i in range(0, len(images), chunk)
        ]
    )


def evaluate(model, split: Split, kernels0: dict[str, np.ndarray]) -> dict:
    """Held-out metrics and each kernel's moves from ``kernels0`` (layer name -> initial kernel).

    Returns a dict: ``accuracy``; ``heldout_loss`` (mean cross-entropy); ``zero_loss_share`` (images
    at loss exactly 0 in float32); ``top_class_share`` (share of images given the most common
    predicted class); ``logit_sd`` (standard deviation of all held-out logits); ``largest_move``
    and ``mean_move`` (per layer, arrays of 4); ``conv1`` (the first layer's kernel).
    """
    import keras

    logits = heldout_logits(model, split.x_heldout)
    per_image = keras.losses.sparse_categorical_crossentropy(
        split.y_heldout, logits, from_logits=True
    ).numpy()
    predicted = np.argmax(logits, axis=1)
    moves = [np.abs(model.get_layer(n).kernel.numpy() - kernels0[n]) for n in LAYERS]
    return {
        "accuracy": float(np.mean(predicted == split.y_heldout)),
        "heldout_loss": float(per_image.mean()),
        "zero_loss_share": float(np.mean(per_image == 0)),
        "top_class_share": float(
            np.bincount(predicted, minlength=10).max() / len(predicted)
        ),
        "logit_sd": float(np.std(logits)),
        "largest_move": np.array([m.max() for m in moves]),
        "mean_move": np.array([m.mean() for m in moves]),
        "conv1": model.get_layer("conv1").kernel.numpy(),
    }


# --- the trainer --------------------------------------------------------------------------------


def _make_train_step(models: dict, optimizers: dict):
    """One compiled step: each model takes an Adam step on the same minibatch; measures kernels."""
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    kernels = {
        name: [m.get_layer(n).kernel for n in LAYERS] for name, m in models.items()
    }
    initial = {
        name: [tf.constant(k.numpy()) for k in ks] for name, ks in kernels.items()
    }

    @tf.function
    def train_step(images, labels):
        measured = {}
        for name, model in models.items():
            before = [tf.identity(k) for k in kernels[name]]  # read before the update
            with tf.GradientTape() as tape:
                loss = loss_fn(labels, model(images, training=True))
            grads = tape.gradient(
                loss, model.trainable_variables
            )  # a frozen layer has none
            optimizers[name].apply_gradients(zip(grads, model.trainable_variables))
            grad_of = {v.path: g for v, g in zip(model.trainable_variables, grads)}
            moves = [k - b for k, b in zip(kernels[name], before)]
            measured[name] = {
                "loss": loss,
                "grad_norm": tf.stack(
                    [
                        tf.norm(grad_of[k.path]) if k.path in grad_of else 0.0
                        for k in kernels[name]
                    ]
                ),
                "step_mean": tf.stack([tf.reduce_mean(tf.abs(m)) for m in moves]),
                "step_max": tf.stack([tf.reduce_max(tf.abs(m)) for m in moves]),
                "distance": tf.stack(
                    [tf.norm(k - k0) for k, k0 in zip(kernels[name], initial[name])]
                ),
            }
        return measured

    return train_step


def train(
    models: dict,
    split: Split,
    n_steps: int,
    *,
    lr: float | dict[str, float] = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
    snapshots: Iterable[int] = (),
    stop_when: Callable[[dict], bool] | None = None,
    progress: bool = False,
) -> dict[str, dict]:
    """Train every model in ``models`` (name -> Keras model) with its own Keras Adam, same batches.

    Args:
        models: name -> model from :func:`build_cnn` (a layer with ``trainable = False`` is frozen).
        split: the data (:class:`Split`).
        n_steps: Adam steps; the minibatches are ``batch_indices(len(x_train), n_steps,
            batch_size, seed + 10)``, so a run with more steps starts with the same batches.
        lr: one learning rate, or name -> learning rate.
        snapshots: steps after which each model is evaluated on the held-out images (and always
            after the last step).
        stop_when: optional ``f(at) -> bool`` called after each snapshot with name -> (step ->
            :func:`evaluate`'s dict); training stops early when it returns True (the runs then
            hold the steps done).
        progress: show a tqdm progress bar (the lessons pass ``not cfg.quick``).

    Returns:
        name -> run, a dict with per-step arrays ``loss`` (n_steps,) and, per layer of
        :data:`LAYERS`, ``grad_norm``, ``step_mean``, ``step_max``, ``distance`` (n_steps, 4);
        ``at`` (step -> :func:`evaluate`'s dict); ``lr``; ``conv1_0`` (initial first-layer kernel);
        ``norm0`` and ``mean_abs0`` (per layer: initial kernel norm and mean absolute weight).
    """
    import keras
    from tqdm.auto import tqdm

    if not models:
        raise ValueError("models must name at least one model, got an empty dict")
    lrs = {name: float(lr[name] if isinstance(lr, dict) else lr) for name in models}
    snapshots = set(int(s) for s in snapshots)
    if any(s < 1 or s > n_steps for s in snapshots):
        raise ValueError(f"snapshots must lie in 1..{n_steps}, got {sorted(snapshots)}")
    train_step = _make_train_step(
        models, {n: keras.optimizers.Adam(lrs[n]) for n in models}
    )
    kernels0 = {
        name: {n: m.get_layer(n).kernel.numpy() for n in LAYERS}
        for name, m in models.items()
    }
    batches = batch_indices(len(split.x_train), n_steps, batch_size, seed + 10)
    rows, at = [], {name: {} for name in models}
    for t, batch in enumerate(tqdm(batches, disable=not progress), start=1):
        measured = train_step(split.x_train[batch], split.y_train[batch])
        rows.append(
            {n: {k: v.numpy() for k, v in m.items()} for n, m in measured.items()}
        )
        if t in snapshots or t == n_steps:
            for name, model in models.items():
                at[name][t] = evaluate(model, split, kernels0[name])
            if stop_when is not None and stop_when(at):
                break
    runs = {}
    for name in models:
        runs[name] = {
            key: np.array([row[name][key] for row in rows]) for key in rows[0][name]
        }
        k0 = kernels0[name]
        runs[name].update(
            lr=lrs[name],
            at=at[name],
            conv1_0=k0["conv1"],
            norm0=np.array([np.linalg.norm(k0[n]) for n in LAYERS]),
            mean_abs0=np.array([np.abs(k0[n]).mean() for n in LAYERS]),
        )
    return runs


def relative_change(run: dict, t: int) -> np.ndarray:
    """||W_t - W_0|| / ||W_0|| per layer after step t (nan for a layer that starts at zero)."""
    norm0 = run["norm0"]
    return run["distance"][t - 1] / np.where(norm0 > 0, norm0, np.nan)


# --- Adam on one weight -------------------------------------------------------------------------


def adam_steps(grads: Iterable[float], lr: float = 1.0) -> np.ndarray:
    """Keras 3's Adam on one weight: the step taken at t = 1, 2, ... for the gradients ``grads``.

    step_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m_t / (sqrt(v_t) + eps), with m and v the
    running averages of g and g^2 started at zero (the weight moves by minus this).

    Example:
        >>> np.round(adam_steps([1.0, 1.0, 1.0]), 4).tolist()
        [1.0, 1.0, 1.0]
    """
    m = v = 0.0
    out = []
    for t, g in enumerate(np.asarray(grads, dtype=float), start=1):
        m = BETA1 * m + (1 - BETA1) * g
        v = BETA2 * v + (1 - BETA2) * g**2
        out.append(lr * np.sqrt(1 - BETA2**t) / (1 - BETA1**t) * m / (np.sqrt(v) + EPS))
    return np.array(out)


def adam_bound(t):
    """The largest |step| / lr Keras' Adam can take at step t (Cauchy-Schwarz; eps only lowers it).

    Reached by a gradient growing beta2 / beta1 = 1.11 times per step. ``t`` may be an array or
    ``np.inf`` (the limit 7.27).

    Example:
        >>> round(float(adam_bound(1)), 6), round(float(adam_bound(np.inf)), 3)
        (1.0, 7.27)
    """
    t = np.asarray(t, dtype=float)
    r = BETA1**2 / BETA2
    return (
        np.sqrt(1 - BETA2**t)
        / (1 - BETA1**t)
        * (1 - BETA1)
        / np.sqrt(1 - BETA2)
        * np.sqrt((1 - r**t) / (1 - r))
    )


# --- measurements the lesson reads ------------------------------------------------------------


def grey_levels(kernel: np.ndarray) -> np.ndarray:
    """The filter pixels of the original drawing, as whole grey levels 0-255 (padding dropped).

    One min-max normalisation of the whole (5, 5, 1, 32) tensor, as ``put_kernels_on_grid`` did,
    then ``convert_image_dtype(..., tf.uint8)``: returns the 800 levels as a float array.
    """
    from course_utils import plotting

    grid = plotting.filter_grid_image(kernel, normalize="tensor")
    return np.round(255 * grid[~np.isnan(grid)])


def first_step_gradients(
    model, split: Split, labels: np.ndarray, *, seed: int = 0
) -> list:
    """Each kernel's gradient (NumPy, per :data:`LAYERS`) on the first minibatch with ``labels``.

    The first minibatch is the one :func:`train` uses at step 1 (batch size 128); ``labels`` may be
    its true labels or a shuffled copy.
    """
    import keras
    import tensorflow as tf

    first = batch_indices(len(split.x_train), 1, 128, seed + 10)[0]
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(labels, model(split.x_train[first], training=True))
    grads = tape.gradient(loss, [model.get_layer(n).kernel for n in LAYERS])
    return [g.numpy() for g in grads]


def layer_gains(model, images: np.ndarray):
    """rms(pre-activation) / rms(input) of each weighted layer, its prediction, and the logits.

    The prediction is sqrt(fan_in * var(kernel) + mean(bias^2) / ms(input)), the mean over random
    weights. Returns (gains (4,), predicted (4,), logits (N, 10)).
    """
    import tensorflow as tf

    gains, predicted, h = [], [], images
    for layer in model.layers:
        if layer.name in LAYERS:
            k, b = layer.kernel, layer.bias
            z = tf.nn.conv2d(h, k, 1, "SAME") + b if len(k.shape) == 4 else h @ k + b
            ms_in = float(np.mean(np.square(h)))
            gains.append(float(np.sqrt(np.mean(np.square(z)) / ms_in)))
            fan_in = float(np.prod(k.shape[:-1]))
            predicted.append(
                float(np.sqrt(fan_in * np.var(k) + np.mean(np.square(b)) / ms_in))
            )
        h = layer(h, training=False)
    return np.array(gains), np.array(predicted), np.asarray(h)


def neighbour_correlation(kernel: np.ndarray) -> float:
    """Correlation of horizontally and vertically adjacent weights of each filter of a (5, 5, 1, N)
    kernel, each filter's mean removed: about 0 for noise, near 1 for smooth filters.

    Example:
        >>> smooth = np.tile(np.linspace(-1, 1, 5)[:, None, None, None], (1, 5, 1, 2))
        >>> round(neighbour_correlation(smooth), 2)
        0.93
    """
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 4 or kernel.shape[2] != 1:
        raise ValueError(f"kernel must have shape (h, w, 1, n), got {kernel.shape}")
    w = kernel[:, :, 0, :] - kernel[:, :, 0, :].mean(axis=(0, 1))
    a = np.concatenate([w[:, :-1].ravel(), w[:-1, :].ravel()])
    b = np.concatenate([w[:, 1:].ravel(), w[1:, :].ravel()])
    return float(np.corrcoef(a, b)[0, 1])


# --- figures ------------------------------------------------------------------------------------


def plot_relative_change(runs: dict, *, styles=("-", "--"), ax=None):
    """Each layer's ||W_t - W_0|| / ||W_0|| over the steps, log scale, one line style per run.

    ``runs`` maps a label to a run from :func:`train` (two runs: solid, then dashed). Returns the
    figure.
    """
    import matplotlib.pyplot as plt

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 2.8))
    for (label, run), ls in zip(runs.items(), styles):
        t = np.arange(1, len(run["loss"]) + 1)
        for i, name in enumerate(LAYERS):
            ax.semilogy(t, run["distance"][:, i] / run["norm0"][i], color=f"C{i}", ls=ls,
                        label=f"{name} {label}")  # fmt: skip
    ax.set(
        xlabel="step",
        ylabel="relative change (log)",
        title="relative change of each layer",
    )
    fig.legend(fontsize=7, ncol=2, loc="center right")
    fig.tight_layout(rect=(0, 0, 0.72, 1))
    return fig


def plot_conv1_steps(runs: dict, *, colors=("C3", "C0")):
    """conv1's gradient norm (left, log) and mean |update| / lr (right) over the steps, per run."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 2.6))
    for (label, run), color in zip(runs.items(), colors):
        t = np.arange(1, len(run["loss"]) + 1)
        axes[0].semilogy(t, run["grad_norm"][:, 0], color=color, lw=1, label=label)
        axes[1].plot(
            t, run["step_mean"][:, 0] / run["lr"], color=color, lw=1, label=label
        )
    axes[0].set(xlabel="step", ylabel="conv1 gradient norm (log)", title="gradients")
    axes[1].set(
        xlabel="step",
        ylabel="conv1 mean |update| / lr",
        title="Adam's steps",
        ylim=(0, 1.1),
    )
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_collapse(run: dict, reference: dict | None = None):
    """Held-out accuracy and the most common class's share (left), logits' spread (right, log)
    at each evaluated step of ``run``; ``reference`` (optional) adds its points as crosses."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 2.6))
    for r, marker, tag in ((run, "o-", ""), (reference, "x", " (lr 0.001)")):
        if r is None:
            continue
        t = sorted(r["at"])
        axes[0].plot(t, [r["at"][s]["accuracy"] for s in t], marker, color="C0", ms=3,
                     label="accuracy" + tag)  # fmt: skip
        axes[0].plot(t, [r["at"][s]["top_class_share"] for s in t], marker, color="C3", ms=3,
                     label="top class share" + tag)  # fmt: skip
        axes[1].semilogy(t, [r["at"][s]["logit_sd"] for s in t], marker, color="C2", ms=3,
                         label="logits' sd" + tag)  # fmt: skip
    axes[0].set(xlabel="step", ylabel="share of held-out images", ylim=(0, 1))
    axes[1].set(xlabel="step", ylabel="sd of held-out logits (log)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def keras_adam_steps(grads: Iterable[float], lr: float = 1.0) -> np.ndarray:
    """The steps Keras' own ``Adam`` takes on one float64 weight for the gradients ``grads``.

    The oracle for :func:`adam_steps` (same sign convention: the weight moves by minus the step).
    """
    import keras
    import tensorflow as tf

    weight, adam, moved = (
        tf.Variable(0.0, dtype=tf.float64),
        keras.optimizers.Adam(lr),
        [],
    )
    for g in np.asarray(grads, dtype=float):
        before = weight.numpy()
        adam.apply_gradients([(tf.constant(g, tf.float64), weight)])
        moved.append(before - weight.numpy())
    return np.array(moved)

"""Lesson 03's machinery: the question's network, its losses and a batched trainer.

The lesson calls these and checks the trainer once against ``model.fit``; a learner
need not read them. Everything works on the six images of
:func:`course_utils.data.row_column_images`.

- :func:`asker_weights` replays the question's ``np.random.seed(48)`` draw (standalone
  Keras 2 on TensorFlow 1);
- :func:`build_model`, :func:`question_loss`, :func:`fit`: the question's model, loss and
  a one-batch-per-epoch ``model.fit``;
- :data:`LOSSES`: the four losses the lesson compares, each from labels and logits;
- :func:`train`: many runs at once (weights stacked on a leading run axis), each with its
  own loss, input scale, optimizer (Keras 3's SGD or Adam) and learning rate;
- :func:`init_weights`: Glorot-uniform starts, run ``i`` from its own seed, so the same
  start can be given to Keras and to :func:`train`;
- :func:`edge_detectors`: counts of near-exact vertical / horizontal edge detectors;
- ``plot_*``: the lesson's figures.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from course_utils.data import row_column_images

__all__ = [
    "LOSSES",
    "asker_weights",
    "build_model",
    "conv_outputs",
    "edge_detectors",
    "fit",
    "forward",
    "glorot_uniform",
    "images",
    "init_weights",
    "keras2_glorot_uniform",
    "question_loss",
    "train",
    "plot_filters",
    "keras_loss_name",
    "compare_with_fit",
    "run_ablation",
    "ablation_counts",
    "print_ablation",
    "plot_ablation",
    "relative_change",
    "KERAS_LOSS",
    "SWITCHES",
]

#: The logit gap 24 ln 2 beyond which float32 rounds a two-class softmax to (1, 0).
FLOAT32_SATURATION = 24 * float(np.log(2))

_X_RAW, _Y = row_column_images()
_X = _X_RAW.astype(np.float32)
_Y_ONEHOT = np.eye(2, dtype=np.float32)[_Y]


def images() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The six images as float32 0-255 (6, 3, 3, 1), the labels (6,) and one-hot (6, 2)."""
    return _X.copy(), _Y.copy(), _Y_ONEHOT.copy()


# --- the question's draw, model and loss ---------------------------------------


def keras2_glorot_uniform(shape, fan_in: int, fan_out: int, op_seed: int) -> np.ndarray:
    """Keras 2.2's glorot_uniform on TensorFlow 1: the stream (87654321, op_seed)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    unit = tf.raw_ops.RandomUniform(
        shape=shape, dtype=tf.float32, seed=87654321, seed2=int(op_seed)
    )
    return (unit * (2 * limit) - limit).numpy()


def asker_weights(seed: int = 48) -> list[np.ndarray]:
    """The question's starting weights [conv kernel, dense kernel, dense bias].

    Standalone Keras 2 gave each unseeded initialiser the seed ``np.random.randint(10e6)``
    (conv first, then dense); TensorFlow 1 paired it with its graph seed 87654321.
    The op is stateful (a second call with the same seeds continues the stream), so the
    draw is made once per process and copies are returned.
    """
    if seed not in _ASKER_CACHE:
        _ASKER_CACHE[seed] = _draw_asker_weights(seed)
    return [w.copy() for w in _ASKER_CACHE[seed]]


_ASKER_CACHE: dict[int, list[np.ndarray]] = {}


def _draw_asker_weights(seed: int) -> list[np.ndarray]:
    legacy = np.random.RandomState(seed)  # the state np.random.seed(seed) set up
    conv_seed, dense_seed = legacy.randint(10e6), legacy.randint(10e6)
    return [
        keras2_glorot_uniform([2, 2, 1, 2], 4, 8, conv_seed),
        keras2_glorot_uniform([8, 2], 8, 2, dense_seed),
        np.zeros(2, np.float32),
    ]


def build_model(filters: int = 2, padding: str = "valid", activation="softmax"):
    """Conv2D (2x2, no bias) -> ReLU -> Flatten -> Dense(2) [-> activation]."""
    layers = [
        keras.Input((3, 3, 1)),
        keras.layers.Conv2D(
            filters, (2, 2), padding=padding, use_bias=False, name="conv"
        ),
        keras.layers.Activation("relu", name="relu"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(2, name="dense"),
    ]
    if activation:
        layers.append(keras.layers.Activation(activation, name="softmax"))
    return keras.Sequential(layers)


def question_loss(y_true, y_pred):
    """The question's loss: the raw TensorFlow function, fed the model's output."""
    return tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred)


def fit(model, inputs, loss, optimizer, n_epochs: int) -> dict:
    """``model.fit`` on the six images, one full batch per epoch; the history dict."""
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    batches = tf.data.Dataset.from_tensors((inputs, _Y_ONEHOT)).repeat()
    return model.fit(
        batches, steps_per_epoch=1, epochs=n_epochs, shuffle=False, verbose=0
    ).history


# --- the four losses, each from labels and the dense layer's logits -------------


def softmax_twice(labels, logits):
    """The question: a tf.nn loss fed the softmax output."""
    return tf.nn.softmax_cross_entropy_with_logits(labels, tf.nn.softmax(logits))


def clipped_log_p(labels, logits):
    """Keras 2.2's categorical_crossentropy on a softmax output; a hand-written -log p."""
    p = tf.clip_by_value(tf.nn.softmax(logits), 1e-7, 1 - 1e-7)
    return -tf.reduce_sum(labels * tf.math.log(p), axis=-1)


def from_logits(labels, logits):
    """Cross-entropy of the logits: one softmax."""
    return tf.nn.softmax_cross_entropy_with_logits(labels, logits)


def binary_keras3(labels, logits):
    """Keras 3's binary_crossentropy on a softmax layer: a sigmoid on each cached logit."""
    return tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels, logits), axis=-1
    )


LOSSES = {
    "softmax twice": softmax_twice,
    "-log p, clipped": clipped_log_p,
    "from logits": from_logits,
    "binary (Keras 3)": binary_keras3,
}


# --- many runs at once -----------------------------------------------------------


def image_patches(images_, padding: str):
    """(N, 3, 3, 1) -> (N, P, Q, 4): the 2x2 window at each output position, like Conv2D."""
    return tf.image.extract_patches(
        images_,
        sizes=[1, 2, 2, 1],
        strides=[1, 1, 1, 1],
        rates=[1, 1, 1, 1],
        padding=padding.upper(),
    )


def _forward(params, patches, scale):
    kernels, dense, bias = params
    runs = tf.shape(kernels)[0]
    conv = tf.einsum("npqk,rkf->rnpqf", patches, tf.reshape(kernels, [runs, 4, -1]))
    conv = conv * scale[:, None, None, None, None]  # conv is linear in the input
    features = tf.reshape(tf.nn.relu(conv), [runs, tf.shape(patches)[0], -1])
    return tf.einsum("rnd,rdc->rnc", features, dense) + bias[:, None, :]


def forward(weights, padding: str, scale=1.0) -> np.ndarray:
    """Logits (R, 6, 2) of R stacked runs on the six images times ``scale``."""
    runs = len(weights[0])
    return _forward(
        [tf.constant(w) for w in weights],
        image_patches(_X, padding),
        tf.constant(np.broadcast_to(np.float32(scale), (runs,))),
    ).numpy()


def conv_outputs(kernels, padding: str, scale=1.0) -> np.ndarray:
    """Pre-ReLU conv outputs (R, 6, P, Q, F) of stacked kernels (R, 2, 2, 1, F)."""
    patches = image_patches(_X * scale, padding).numpy()
    return np.einsum("npqk,rkf->rnpqf", patches, kernels.reshape(len(kernels), 4, -1))


def _loss_and_accuracy(params, patches, scale, loss_index):
    logits = _forward(params, patches, scale)
    labels = tf.broadcast_to(_Y_ONEHOT, tf.shape(logits))
    every = tf.stack([f(labels, logits) for f in LOSSES.values()], axis=-1)
    chosen = tf.reduce_sum(
        every * tf.one_hot(loss_index, len(LOSSES))[:, None, :], axis=-1
    )
    hits = tf.cast(tf.argmax(logits, -1) == tf.argmax(labels, -1), tf.float32)
    return tf.reduce_mean(chosen, axis=1), tf.reduce_mean(hits, axis=1)


def _optimizer_step(w, g, m, v, step, adam, lr):
    # Keras 3's SGD (w -= lr g) or Adam (default betas and epsilon, bias correction
    # folded into the step size as Keras does), picked per run
    shape = [-1] + [1] * (len(w.shape) - 1)
    m = m + (g - m) * (1 - 0.9)
    v = v + (g * g - v) * (1 - 0.999)
    alpha = lr * tf.sqrt(1 - 0.999**step) / (1 - 0.9**step)
    adam_update = m * tf.reshape(alpha, shape) / (tf.sqrt(v) + 1e-7)
    sgd_update = tf.reshape(lr, shape) * g
    return w - tf.where(tf.reshape(adam, shape), adam_update, sgd_update), m, v


@tf.function(reduce_retracing=True)
def _train_runs(params, patches, scale, loss_index, adam, lr, n_epochs):
    moments = [tf.zeros_like(w) for w in params]
    squares = [tf.zeros_like(w) for w in params]
    losses = tf.TensorArray(tf.float32, size=n_epochs)
    accuracies = tf.TensorArray(tf.float32, size=n_epochs)
    for epoch in tf.range(n_epochs):
        with tf.GradientTape() as tape:
            tape.watch(params)
            loss, accuracy = _loss_and_accuracy(params, patches, scale, loss_index)
            total = tf.reduce_sum(loss)  # runs are independent: sum = each run's own
        grads = tape.gradient(total, params)
        losses = losses.write(epoch, loss)
        accuracies = accuracies.write(epoch, accuracy)
        step = tf.cast(epoch + 1, tf.float32)
        new = [
            _optimizer_step(*s, step, adam, lr)
            for s in zip(params, grads, moments, squares)
        ]
        params = [n[0] for n in new]
        moments, squares = [n[1] for n in new], [n[2] for n in new]
    return params, losses.stack(), accuracies.stack()


def train(weights, padding: str, *, loss, scaled, adam, lr=1e-3, n_epochs: int = 100):
    """Train R runs at once from stacked weights.

    Args:
        weights: kernels (R, 2, 2, 1, F), dense (R, D, 2), bias (R, 2).
        padding: "valid" or "same".
        loss, scaled, adam, lr: one value for every run or one per run: a name of
            :data:`LOSSES`, inputs / 255 or raw 0-255, Adam or SGD, the learning rate.
        n_epochs: full-batch steps.

    Returns:
        ``(weights, losses, accuracies)``: final weights, and per epoch and run (E, R)
        the loss and accuracy ``fit`` would print.
    """
    runs = len(weights[0])

    def per_run(v, dtype):
        return tf.constant(np.broadcast_to(v, (runs,)), dtype)

    loss_index = [list(LOSSES).index(name) for name in np.atleast_1d(loss)]
    params, losses, accs = _train_runs(
        [tf.constant(w) for w in weights],
        image_patches(_X, padding),
        per_run(np.where(scaled, 1 / 255, 1.0), tf.float32),
        per_run(loss_index, tf.int32),
        per_run(adam, tf.bool),
        per_run(lr, tf.float32),
        tf.constant(n_epochs),
    )
    return [p.numpy() for p in params], losses.numpy(), accs.numpy()


#: The Keras 3 loss that ``fit`` uses, on the softmax model, for each trainer loss.
KERAS_LOSS = {
    "softmax twice": question_loss,
    "from logits": "categorical_crossentropy",
    "binary (Keras 3)": "binary_crossentropy",
}


def compare_with_fit(start, padding, loss, scaled, adam, lr=1e-3, n_epochs=30):
    """Train one start with ``model.fit`` and with :func:`train`; how far apart they end.

    ``fit`` trains the softmax model with :data:`KERAS_LOSS` ``[loss]`` (Keras 3's own
    loss reads the logits cached behind the softmax); :func:`train` uses ``LOSSES[loss]``
    on the logits.

    Returns:
        dict with ``loss_gap`` (largest difference of the per-epoch losses, relative
        to the largest loss when that is above 1: raw 0-255 inputs give losses in the
        hundreds, where float32 rounding is absolute 1e-4),
        ``weight_gap`` (of the final weights) and ``moved`` (largest change of a
        conv-kernel weight during training).
    """
    filters = start[0].shape[-1]
    model = build_model(filters, padding)
    model.set_weights(start)
    optimizer = (keras.optimizers.Adam if adam else keras.optimizers.SGD)(lr)
    inputs = _X / 255 if scaled else _X
    history = fit(model, inputs, KERAS_LOSS[loss], optimizer, n_epochs)
    ours, losses, _ = train(
        [w[None] for w in start],
        padding,
        loss=loss,
        scaled=scaled,
        adam=adam,
        lr=lr,
        n_epochs=n_epochs,
    )
    return {
        "loss_gap": float(
            np.max(np.abs(np.array(history["loss"]) - losses[:, 0]))
            / max(1.0, float(np.max(np.abs(losses[:, 0]))))
        ),
        "weight_gap": max(
            float(np.max(np.abs(a - b[0]))) for a, b in zip(model.get_weights(), ours)
        ),
        "moved": float(np.max(np.abs(ours[0][0] - start[0]))),
    }


#: The ablation's switches besides the loss and the width: (inputs / 255, Adam).
SWITCHES = ((False, False), (False, True), (True, False), (True, True))


def run_ablation(starts, padding, n_epochs, lr=1e-3):
    """Train the same starts under every loss and every switch of :data:`SWITCHES`.

    Args:
        starts: stacked weights of R runs (see :func:`init_weights`).

    Returns:
        ``{(loss, scaled, adam, filters): (accuracies (E, R), final weights)}``.
    """
    runs, filters = len(starts[0]), starts[0].shape[-1]
    stacked = [np.tile(w, (len(SWITCHES),) + (1,) * (w.ndim - 1)) for w in starts]
    result = {}
    for loss in LOSSES:
        params, _, accs = train(
            stacked,
            padding,
            loss=loss,
            lr=lr,
            n_epochs=n_epochs,
            scaled=np.repeat([s for s, _ in SWITCHES], runs),
            adam=np.repeat([a for _, a in SWITCHES], runs),
        )
        for g, (scaled, adam) in enumerate(SWITCHES):
            part = slice(g * runs, (g + 1) * runs)
            result[loss, scaled, adam, filters] = (
                accs[:, part],
                [p[part] for p in params],
            )
    return result


def ablation_counts(ablation, epoch) -> dict:
    """``{key: number of runs at 100% accuracy at epoch ``epoch`` (1-based)}``."""
    return {k: int(np.sum(accs[epoch - 1] == 1)) for k, (accs, _) in ablation.items()}


def _column_label(filters, scaled, adam, sep=" "):
    pad = "same" if filters == 6 else "valid"
    return (
        f"{filters} {pad}{sep}{'/255' if scaled else 'raw'} {'Adam' if adam else 'SGD'}"
    )


def print_ablation(counts, runs, epoch) -> None:
    """The ablation as a table: one block per width, one row per loss, one column per switch."""
    print(f"at 100% by epoch {epoch}, of {runs} starts")
    for filters in sorted({k[3] for k in counts}):
        pad = "same" if filters == 6 else "valid"
        head = "".join(
            f"{'/255' if s else 'raw'} {'Adam' if a else 'SGD'}".rjust(10)
            for s, a in SWITCHES
        )
        print(f"{filters} {pad + ':':15s}{head}")
        for loss in LOSSES:
            row = "".join(f"{counts[(loss, s, a, filters)]:10d}" for s, a in SWITCHES)
            print(f"  {loss:16s}{row}")


def keras_loss_name(loss: str) -> str:
    """The name of :data:`KERAS_LOSS` ``[loss]`` (a string or a function)."""
    keras_loss = KERAS_LOSS[loss]
    return keras_loss if isinstance(keras_loss, str) else keras_loss.__name__


def plot_ablation(counts, counts_early, runs, title):
    """Heatmap of the ablation: share at 100% per row and column, early share in brackets."""
    import matplotlib.pyplot as plt

    widths = sorted({k[3] for k in counts})
    columns = [(f, s, a) for f in widths for s, a in SWITCHES]
    keys = [[(loss, s, a, f) for f, s, a in columns] for loss in LOSSES]
    shares = np.array([[counts[k] / runs for k in row] for row in keys])
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.imshow(shares, cmap="Greens", vmin=0, vmax=1, aspect="auto")
    for (r, c), v in np.ndenumerate(shares):
        early = counts_early[keys[r][c]] / runs
        ax.text(
            c,
            r,
            f"{v:.0%}\n({early:.0%})",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if v > 0.6 else "black",
        )
    ax.set_xticks(
        range(len(columns)), [_column_label(*c, sep="\n") for c in columns], fontsize=7
    )
    ax.set_yticks(range(len(LOSSES)), list(LOSSES), fontsize=8)
    for split in range(len(SWITCHES), len(columns), len(SWITCHES)):
        ax.axvline(split - 0.5, color="k", lw=1)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def glorot_uniform(rng, shape, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def init_weights(run_seeds, filters: int = 2, padding: str = "valid"):
    """Glorot-uniform starts, run i from ``np.random.default_rng(run_seeds[i])``."""
    side = 2 if padding == "valid" else 3  # output size of a 2x2 kernel on 3x3
    rngs = [np.random.default_rng(s) for s in run_seeds]
    kernels = [glorot_uniform(r, (2, 2, 1, filters), 4, 4 * filters) for r in rngs]
    width = side * side * filters
    dense = [glorot_uniform(r, (width, 2), width, 2) for r in rngs]
    return np.stack(kernels), np.stack(dense), np.zeros((len(rngs), 2), np.float32)


# --- what the filters learn ------------------------------------------------------


def edge_detectors(kernels, tol: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Which 2x2 filters are near-exact vertical / horizontal edge detectors.

    A filter is a near-exact vertical-edge detector when both its row sums are at most
    ``tol`` times its largest |weight| (it is blind to a white row inside the image) and
    one of its column sums is more than half its largest |weight| (it sees a column);
    a horizontal-edge detector is the transpose.

    Args:
        kernels: (..., 2, 2, 1, F) or (..., 2, 2, F).

    Returns:
        ``(vertical, horizontal)``: boolean arrays of shape (..., F).
    """
    k = np.asarray(kernels, dtype=np.float64)
    if k.ndim >= 4 and k.shape[-2] == 1:
        k = k[..., 0, :]
    top = np.max(np.abs(k), axis=(-3, -2))  # (..., F)
    rows = np.abs(k.sum(axis=-2))  # (..., 2, F): row sums
    cols = np.abs(k.sum(axis=-3))  # (..., 2, F): column sums
    vertical = (rows.max(axis=-2) <= tol * top) & (cols.max(axis=-2) > 0.5 * top)
    horizontal = (cols.max(axis=-2) <= tol * top) & (rows.max(axis=-2) > 0.5 * top)
    return vertical & (top > 0), horizontal & (top > 0)


def relative_change(start, end, runs=None) -> np.ndarray:
    """Per run: ||end - start|| / ||start|| over the whole tensor (runs selected)."""
    start, end = np.asarray(start), np.asarray(end)
    if runs is not None:
        start, end = start[runs], end[runs]
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    return np.linalg.norm(flat(end - start), axis=1) / np.linalg.norm(
        flat(start), axis=1
    )


# --- figures ---------------------------------------------------------------------


def gap_curves(losses=("from logits", "softmax twice", "-log p, clipped"), top=40.0):
    """Loss and |dL/dg| in float64 for logits (g, 0), right and wrong labels.

    Returns ``(gap, curves)`` with ``curves[name, "right" | "wrong"] = (loss, |grad|)``.
    """
    gap = np.linspace(0, top, int(10 * top) + 1)
    z = tf.constant(np.stack([gap, np.zeros_like(gap)], axis=1))
    curves = {}
    for name in losses:
        for kind, label in (("right", 0), ("wrong", 1)):
            labels = tf.one_hot(np.full(len(gap), label), 2, dtype=tf.float64)
            with tf.GradientTape() as tape:
                tape.watch(z)
                values = LOSSES[name](labels, z)
            curves[name, kind] = (
                values.numpy(),
                np.abs(tape.gradient(values, z).numpy()[:, 0]),
            )
    return gap, curves


def plot_gap_curves(gap, curves, mark=None):
    """Loss (left) and |dL/dg| (right, log) against the logit gap; dashed line at ``mark``."""
    mark = FLOAT32_SATURATION if mark is None else mark
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
    colors = ["tab:blue", "tab:red", "tab:green", "tab:purple"]
    names = list(dict.fromkeys(name for name, _ in curves))
    for (name, kind), (values, grad) in curves.items():
        line = dict(
            color=colors[names.index(name) % 4],
            ls="-" if kind == "wrong" else ":",
            label=f"{name}, {kind}",
        )
        axes[0].plot(gap, values, **line)
        axes[1].plot(gap, np.maximum(grad, 1e-20), **line)
    axes[1].set_yscale("log")
    axes[1].set_ylim(1e-19, 3)
    for ax, label in zip(axes, ("loss", "|dL/dg| (float64; 1e-20 = zero)")):
        ax.axvline(mark, color="0.5", lw=0.8, ls="--")
        ax.set_xlabel(f"logit gap g (dashed: {mark:.2f})")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    return fig


def plot_filters(kernels, titles, vmax=None):
    """Each kernel (2, 2, 1, F) of ``kernels`` as a row of F panels, on one colour scale."""
    import matplotlib.pyplot as plt

    from course_utils.plotting import show_kernels

    kernels = [np.asarray(k) for k in kernels]
    filters = kernels[0].shape[-1]
    cols = 3 if filters % 3 == 0 else filters
    rows = len(kernels) * filters // cols
    fig, grid = plt.subplots(rows, cols, figsize=(4.4, 1.4 * rows))
    limit = vmax if vmax is not None else float(max(np.max(np.abs(k)) for k in kernels))
    return show_kernels(
        [k[:, :, 0, f] for k in kernels for f in range(filters)],
        titles,
        vmax=limit,
        axes=np.ravel(grid),
    )


def plot_sweep(rates, sweep, labels):
    """Share at 100% against the learning rate, one line per setup (Adam solid)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 2.6))
    for label, row in zip(labels, sweep):
        ax.plot(
            rates,
            row,
            marker="o",
            ms=3,
            ls="-" if "Adam" in label else "--",
            label=label,
        )
    ax.set(xscale="log", xlabel="learning rate", ylabel="share at 100%\nby epoch 100")
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def plot_gap_histograms(gaps: dict, mark=None):
    """Histograms of logit gaps on a log axis, one per entry, dashed line at ``mark``."""
    mark = FLOAT32_SATURATION if mark is None else mark
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.5))
    bins = np.logspace(-4, 3.5, 76)
    for (name, values), color in zip(gaps.items(), ("tab:red", "tab:blue")):
        ax.hist(values, bins=bins, color=color, alpha=0.6, label=name)
    ax.axvline(mark, color="k", lw=1, ls="--", label=f"{mark:.2f}")
    ax.set(xscale="log", xlabel="logit gap at the start", ylabel="images")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig

"""Many small CNNs trained at once, as one computation (lesson 00).

Lesson 00 trains one small Keras CNN (``Conv2D(filters, 3)`` -> activation -> 2x2 pooling
-> ``Flatten`` -> ``Dense(10, softmax)``) by the notes' five steps, then asks questions
that one run cannot answer: how often does a start get stuck, does the loss or the step
size decide it, does ReLU beat tanh? Those need rates over many random starts. Trained one
after another, 100 networks cost 100 times one; this module trains them together:

- the ``n_runs`` convolutions form one depthwise convolution (run ``r`` reads input channel
  ``r``, its own minibatch, and owns output channels ``r * filters ... r * filters + filters - 1``);
- the ``n_runs`` dense layers are the slices of one ``(n_runs, features, 10)`` tensor,
  applied with ``tf.einsum``;
- each run's loss depends only on its own weights, so the gradient of the *sum* of the
  losses gives every run exactly its own gradient, and one plain SGD step
  (``w -= learning_rate * gradient``, Keras's ``SGD`` without momentum) updates every run
  as its own step would.

Every run draws its own start and its own minibatches from ``(seed, run)``, so runs are
independent draws and a count over them is a binomial rate. Two calls with the same seed
and architecture start from the same weights and see the same batches, whatever the loss
or learning rate: a paired comparison. The lesson checks one run against Keras
(:meth:`Networks.to_keras` and a Keras training loop on the same batches).

Example:
    >>> nets = train_many(x_train, y_train, n_runs=100, steps=300, seed=0)  # doctest: +SKIP
    >>> nets.accuracy(x_test, y_test).shape  # doctest: +SKIP
    (100,)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LOSSES = ("squared_error", "cross_entropy")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
POOLINGS = ("max", "average", "none")
KERNEL = 3  # the filters are 3x3
CLASSES = 10


def _tf():
    # TensorFlow is imported on first use: importing course_utils stays cheap and quiet.
    import tensorflow as tf

    return tf


def _check_images(name: str, x: object) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1] < KERNEL or x.shape[2] < KERNEL:
        raise ValueError(
            f"{name} must have shape (N, H, W) or (N, H, W, 1) with H, W >= {KERNEL}, "
            f"got {x.shape}"
        )
    if x.dtype.kind != "f":
        raise TypeError(
            f"{name} must be a float array (scaled to [0, 1]), got {x.dtype}"
        )
    return x.astype(np.float32, copy=False)


def _check_labels(y: object, n: int) -> np.ndarray:
    if not isinstance(y, np.ndarray):
        raise TypeError(f"labels must be a NumPy array, got {type(y).__name__}")
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be {n} integers (one per image), got shape {y.shape} "
            f"and dtype {y.dtype}"
        )
    if n and (y.min() < 0 or y.max() >= CLASSES):
        raise ValueError(
            f"labels must lie in 0..{CLASSES - 1}, got {y.min()}..{y.max()}"
        )
    return y


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def feature_count(height: int, width: int, filters: int, pooling: str) -> int:
    """Numbers entering the dense layer: the flattened (pooled) feature maps.

    Example:
        >>> feature_count(28, 28, 4, "max"), feature_count(28, 28, 4, "none")
        (676, 2704)
    """
    h, w = height - KERNEL + 1, width - KERNEL + 1
    if pooling != "none":
        h, w = h // 2, w // 2
    return h * w * filters


@dataclass
class Networks:
    """``n_runs`` networks of one architecture, their weights stacked.

    Attributes:
        conv_w: ``(3, 3, n_runs, filters)`` float32, run ``r``'s filters in ``conv_w[:, :, r]``.
        conv_b: ``(n_runs, filters)`` float32.
        dense_w: ``(n_runs, features, 10)`` float32, rows in Keras's ``Flatten`` order.
        dense_b: ``(n_runs, 10)`` float32.
        filters, activation, pooling: the architecture.
        image_shape: ``(H, W)`` of the inputs.
        batches: ``(steps, batch_size, n_runs)`` training-image indices each run saw
            (``None`` for an untrained start).
        initial: the networks before training (``None`` for an untrained start).
    """

    conv_w: np.ndarray
    conv_b: np.ndarray
    dense_w: np.ndarray
    dense_b: np.ndarray
    filters: int
    activation: str
    pooling: str
    image_shape: tuple[int, int]
    batches: np.ndarray | None = None
    initial: Networks | None = None

    @property
    def n_runs(self) -> int:
        return self.dense_w.shape[0]

    @property
    def params_per_network(self) -> int:
        """Trainable parameters of one network (as Keras's ``count_params``)."""
        return (KERNEL * KERNEL + 1) * self.filters + (
            self.dense_w.shape[1] + 1
        ) * CLASSES

    def _maps(self, x: np.ndarray):
        """Activated feature maps of every run for shared images: (N, h, w, runs * filters)."""
        tf = _tf()
        w = self.conv_w.reshape(KERNEL, KERNEL, 1, -1)  # channel r * filters + f
        z = tf.nn.conv2d(x[..., None], w, 1, "VALID") + self.conv_b.reshape(-1)
        return _activate(tf, z, self.activation)

    def predict(self, x: np.ndarray, *, chunk: int = 250) -> np.ndarray:
        """Class probabilities of every run, ``(N, n_runs, 10)`` float32, in chunks."""
        x = _check_images("x", x)
        tf = _tf()
        out = []
        for start in range(0, len(x), chunk):
            maps = self._maps(x[start : start + chunk])
            features = _flatten(tf, _pool(tf, maps, self.pooling), self.n_runs)
            out.append(
                tf.nn.softmax(
                    tf.einsum("brf,rfk->brk", features, self.dense_w) + self.dense_b
                ).numpy()
            )
        return np.concatenate(out) if out else np.zeros((0, self.n_runs, CLASSES))

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each run's share of correctly classified images, ``(n_runs,)``."""
        x = _check_images("x", x)
        y = _check_labels(y, len(x))
        return (self.predict(x).argmax(axis=2) == y[:, None]).mean(axis=0)

    def active_share(self, x: np.ndarray, *, chunk: int = 250) -> np.ndarray:
        """Each run's share of feature-map entries above zero after the activation.

        For ReLU, the share of units that fire; a run whose share is 0 has only dead
        filters on these images, and its dense layer sees only zeros.
        """
        x = _check_images("x", x)
        total = np.zeros(self.n_runs)
        for start in range(0, len(x), chunk):
            maps = self._maps(x[start : start + chunk]).numpy()
            positive = (
                maps.reshape(*maps.shape[:3], self.n_runs, self.filters) > 0
            ).sum(axis=(0, 1, 2, 4))
            total += positive
        per_run = len(x) * np.prod(maps.shape[1:3]) * self.filters
        return total / per_run

    def gradient_norms(self, x: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
        """The norm of each run's gradient of ``loss`` on images ``x``: ``(n_runs,)``."""
        x = _check_images("x", x)
        y = _check_labels(y, len(x))
        _check_choice("loss", loss, LOSSES)
        tf = _tf()
        params = [tf.Variable(a) for a in self._arrays()]
        with tf.GradientTape() as tape:
            probs = _forward_own(tf, params, _per_run_input(tf, x, self.n_runs), self)
            value = LOSS_FUNCTIONS[loss](tf, tf.one_hot(y, CLASSES)[:, None], probs)
        grads = tape.gradient(value, params)
        squares = sum(
            tf.reduce_sum(
                tf.reshape(g**2, (-1, self.n_runs, self.filters)), axis=(0, 2)
            )
            if i == 0
            else tf.reduce_sum(tf.reshape(g**2, (self.n_runs, -1)), axis=1)
            for i, g in enumerate(grads)
        )
        return np.sqrt(squares.numpy())

    def first(self, n: int) -> Networks:
        """Runs ``0 .. n - 1`` only: a call with ``n_runs=n`` and the same seed trains these."""
        n = _check_int("n", n, 1)
        if n > self.n_runs:
            raise ValueError(f"n must be at most n_runs={self.n_runs}, got {n}")
        return Networks(
            self.conv_w[:, :, :n],
            self.conv_b[:n],
            self.dense_w[:n],
            self.dense_b[:n],
            self.filters,
            self.activation,
            self.pooling,
            self.image_shape,
            batches=None if self.batches is None else self.batches[:, :, :n],
            initial=None if self.initial is None else self.initial.first(n),
        )

    def _arrays(self) -> list[np.ndarray]:
        return [self.conv_w, self.conv_b, self.dense_w, self.dense_b]

    def to_keras(self, run: int):
        """Run ``run`` as a Keras model (:func:`keras_cnn`) holding its weights."""
        run = _check_int("run", run, 0)
        if run >= self.n_runs:
            raise ValueError(f"run must be below n_runs={self.n_runs}, got {run}")
        model = keras_cnn(
            self.image_shape,
            filters=self.filters,
            activation=self.activation,
            pooling=self.pooling,
        )
        model.get_layer("conv").set_weights(
            [self.conv_w[:, :, run : run + 1, :], self.conv_b[run]]
        )
        model.get_layer("dense").set_weights([self.dense_w[run], self.dense_b[run]])
        return model


def keras_cnn(
    image_shape: tuple[int, int] = (28, 28),
    *,
    filters: int = 4,
    activation: str = "relu",
    pooling: str = "max",
    seed: int | None = None,
):
    """The architecture every run has, as a Keras ``Sequential`` model.

    ``Conv2D(filters, 3, activation)`` -> ``MaxPooling2D(2)`` or ``AveragePooling2D(2)``
    (none for ``pooling="none"``) -> ``Flatten`` -> ``Dense(10, softmax)``; layers named
    ``conv``, ``pool``, ``flatten``, ``dense``. Glorot-uniform weights (seeded when
    ``seed`` is given) and zero biases, as Keras starts them.
    """
    import keras

    _check_choice("activation", activation, ACTIVATIONS)
    _check_choice("pooling", pooling, POOLINGS)
    init = (
        (lambda s: keras.initializers.GlorotUniform(seed=s))
        if seed is not None
        else (lambda s: "glorot_uniform")
    )
    layers = [
        keras.Input((*image_shape, 1)),
        keras.layers.Conv2D(
            filters,
            KERNEL,
            activation=activation,
            name="conv",
            kernel_initializer=init(seed),
        ),
    ]
    if pooling == "max":
        layers.append(keras.layers.MaxPooling2D(2, name="pool"))
    elif pooling == "average":
        layers.append(keras.layers.AveragePooling2D(2, name="pool"))
    layers += [
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(
            CLASSES,
            activation="softmax",
            name="dense",
            kernel_initializer=init(None if seed is None else seed + 1),
        ),
    ]
    return keras.Sequential(layers)


def _activate(tf, z, activation: str):
    return {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid}[activation](z)


def _pool(tf, maps, pooling: str):
    if pooling == "max":
        return tf.nn.max_pool2d(maps, 2, 2, "VALID")
    if pooling == "average":
        return tf.nn.avg_pool2d(maps, 2, 2, "VALID")
    return maps


def _flatten(tf, maps, n_runs: int):
    # (B, h, w, runs * filters) -> (B, runs, h * w * filters): each run's Keras Flatten
    _, h, w, c = maps.shape
    per_run = tf.transpose(
        tf.reshape(maps, (-1, h, w, n_runs, c // n_runs)), (0, 3, 1, 2, 4)
    )
    return tf.reshape(per_run, (-1, n_runs, h * w * (c // n_runs)))


def _per_run_input(tf, x: np.ndarray, n_runs: int):
    # the same images for every run: (N, H, W, n_runs)
    return tf.tile(tf.constant(x)[..., None], (1, 1, 1, n_runs))


def _forward_own(tf, params, x_runs, arch: Networks):
    """Probabilities ``(B, runs, 10)`` when run ``r`` reads channel ``r`` of ``x_runs``."""
    conv_w, conv_b, dense_w, dense_b = params
    n_runs = dense_w.shape[0]
    z = tf.nn.depthwise_conv2d(x_runs, conv_w, [1, 1, 1, 1], "VALID")
    maps = _activate(tf, z + tf.reshape(conv_b, (-1,)), arch.activation)
    features = _flatten(tf, _pool(tf, maps, arch.pooling), n_runs)
    return tf.nn.softmax(tf.einsum("brf,rfk->brk", features, dense_w) + dense_b)


def _squared_error(tf, target, probs):
    # the notes' total error, averaged over the batch, summed over runs
    return tf.reduce_sum(
        tf.reduce_mean(tf.reduce_sum(0.5 * (target - probs) ** 2, axis=2), axis=0)
    )


def _cross_entropy(tf, target, probs):
    log_p = tf.math.log(tf.clip_by_value(probs, 1e-7, 1.0))  # Keras clips too
    return tf.reduce_sum(tf.reduce_mean(-tf.reduce_sum(target * log_p, axis=2), axis=0))


LOSS_FUNCTIONS: dict[str, Callable] = {
    "squared_error": _squared_error,
    "cross_entropy": _cross_entropy,
}


def init_many(
    n_runs: int,
    image_shape: tuple[int, int] = (28, 28),
    *,
    filters: int = 4,
    activation: str = "relu",
    pooling: str = "max",
    seed: int = 0,
) -> Networks:
    """``n_runs`` independent Keras-style starts: Glorot-uniform weights, zero biases.

    Run ``r`` draws from ``np.random.default_rng([seed, r])``: the same run of the same
    architecture starts from the same weights in every call.
    """
    n_runs = _check_int("n_runs", n_runs, 1)
    filters = _check_int("filters", filters, 1)
    seed = _check_int("seed", seed, 0)
    _check_choice("activation", activation, ACTIVATIONS)
    _check_choice("pooling", pooling, POOLINGS)
    h, w = image_shape
    features = feature_count(h, w, filters, pooling)
    conv_limit = np.sqrt(6 / (KERNEL * KERNEL * (1 + filters)))
    dense_limit = np.sqrt(6 / (features + CLASSES))
    conv_w = np.empty((KERNEL, KERNEL, n_runs, filters), np.float32)
    dense_w = np.empty((n_runs, features, CLASSES), np.float32)
    for r in range(n_runs):
        draw = np.random.default_rng([seed, r])
        conv_w[:, :, r] = draw.uniform(
            -conv_limit, conv_limit, (KERNEL, KERNEL, filters)
        )
        dense_w[r] = draw.uniform(-dense_limit, dense_limit, (features, CLASSES))
    return Networks(
        conv_w,
        np.zeros((n_runs, filters), np.float32),
        dense_w,
        np.zeros((n_runs, CLASSES), np.float32),
        filters,
        activation,
        pooling,
        (h, w),
    )


def train_many(
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_runs: int,
    steps: int,
    batch_size: int = 64,
    learning_rate: float = 0.5,
    loss: str = "squared_error",
    filters: int = 4,
    activation: str = "relu",
    pooling: str = "max",
    seed: int = 0,
    progress: bool = False,
) -> Networks:
    """Train ``n_runs`` independent small CNNs by plain SGD, all in one computation.

    Args:
        x: training images, ``(N, H, W)`` or ``(N, H, W, 1)`` floats in [0, 1].
        y: their labels, ``(N,)`` ints in 0..9.
        n_runs: how many networks (independent starts, independent minibatches).
        steps: SGD steps per network (0 returns the starts).
        batch_size: images per step and network, drawn with replacement.
        learning_rate: the SGD step size, a positive float.
        loss: ``"squared_error"`` (the notes' total error) or ``"cross_entropy"``.
        filters, activation, pooling: the architecture (see :func:`keras_cnn`).
        seed: run ``r``'s start and batches come from ``(seed, r)``.
        progress: show a progress bar (for long full-scale runs).

    Returns:
        The trained :class:`Networks`, with ``initial`` (the starts) and ``batches``.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: a size, count, rate or choice out of range.

    Example:
        >>> nets = train_many(x, y, n_runs=25, steps=300, loss="cross_entropy")  # doctest: +SKIP
    """
    x = _check_images("x", x)
    y = _check_labels(y, len(x))
    steps = _check_int("steps", steps, 0)
    batch_size = _check_int("batch_size", batch_size, 1)
    if isinstance(learning_rate, bool) or not isinstance(
        learning_rate, (int, float, np.floating, np.integer)
    ):
        raise TypeError(
            f"learning_rate must be a number, got {type(learning_rate).__name__}"
        )
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(
            f"learning_rate must be a positive finite number, got {learning_rate}"
        )
    _check_choice("loss", loss, LOSSES)
    if len(x) == 0:
        raise ValueError("x must hold at least one image")
    start = init_many(
        n_runs,
        x.shape[1:3],
        filters=filters,
        activation=activation,
        pooling=pooling,
        seed=seed,
    )
    batches = np.stack(
        [
            np.random.default_rng([seed, r, 1]).integers(0, len(x), (steps, batch_size))
            for r in range(start.n_runs)
        ],
        axis=-1,
    ).astype(np.int32)  # (steps, batch, runs)
    tf = _tf()
    params = [tf.Variable(a) for a in start._arrays()]
    images, targets = tf.constant(x), tf.one_hot(y, CLASSES)
    loss_fn, lr = LOSS_FUNCTIONS[loss], float(learning_rate)

    @tf.function
    def step(index):
        x_runs = tf.transpose(tf.gather(images, index), (0, 2, 3, 1))  # (B, H, W, runs)
        with tf.GradientTape() as tape:
            value = loss_fn(
                tf, tf.gather(targets, index), _forward_own(tf, params, x_runs, start)
            )
        for v, g in zip(params, tape.gradient(value, params)):
            v.assign_sub(lr * g)

    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(batches, desc=f"{n_runs} networks, {loss}, lr {lr:g}")
    else:
        iterator = batches
    for index in iterator:
        step(tf.constant(index))
    arrays = [v.numpy() for v in params]
    return Networks(
        *arrays,
        start.filters,
        start.activation,
        start.pooling,
        start.image_shape,
        batches=batches,
        initial=start,
    )


def zoom(images: np.ndarray, factor: float) -> np.ndarray:
    """Rescale each ``(H, W)`` image about its centre by ``factor``, keeping its size.

    The image is resized (bilinear) to ``round(H * factor)`` by ``round(W * factor)``,
    then centre-cropped (``factor > 1``) or zero-padded (``factor < 1``) back to ``(H, W)``.

    Example:
        >>> zoom(np.ones((1, 4, 4), np.float32), 0.5)[0].sum()  # doctest: +SKIP
        4.0
    """
    images = _check_images("images", images)
    if isinstance(factor, bool) or not isinstance(factor, (int, float, np.floating)):
        raise TypeError(f"factor must be a number, got {type(factor).__name__}")
    if not 0.25 <= factor <= 4:
        raise ValueError(f"factor must lie in [0.25, 4], got {factor}")
    tf = _tf()
    _, h, w = images.shape
    nh, nw = round(h * factor), round(w * factor)
    resized = tf.image.resize(images[..., None], (nh, nw)).numpy()[..., 0]
    out = np.zeros_like(images)
    # the overlap of the resized image and the frame, both centred
    ch, cw = min(h, nh), min(w, nw)
    out[:, (h - ch) // 2 : (h - ch) // 2 + ch, (w - cw) // 2 : (w - cw) // 2 + cw] = (
        resized[
            :,
            (nh - ch) // 2 : (nh - ch) // 2 + ch,
            (nw - cw) // 2 : (nw - cw) // 2 + cw,
        ]
    )
    return out


def aligned_change(new: np.ndarray, old: np.ndarray, max_move: int = 3) -> np.ndarray:
    """How much each map changed, not counting a move: ``1 - max_t cos(new, move_t old)``.

    ``old`` is moved right by ``t = 0 .. max_move`` whole cells along its last axis (zeros
    fill in) and the best cosine similarity with ``new`` is kept, so an exact shift of the
    map scores 0 and an unrelated map about 1 (lesson 00, section 8.2).

    Args:
        new, old: ``(N, ...)`` arrays of the same shape: ``N`` maps (or vectors) each.
        max_move: the largest move tried, in cells (capped at the last axis' length - 1).

    Returns:
        ``(N,)`` float64 in [0, 2].

    Example:
        >>> old = np.array([[[0.0, 1.0, 2.0, 0.0]]])
        >>> round(float(aligned_change(np.roll(old, 1, axis=-1), old)[0]), 12)
        0.0
    """
    if not isinstance(new, np.ndarray) or not isinstance(old, np.ndarray):
        raise TypeError(
            f"new and old must be NumPy arrays, got {type(new).__name__} and "
            f"{type(old).__name__}"
        )
    if new.shape != old.shape or new.ndim < 2:
        raise ValueError(
            f"new and old must have one shape (N, ...), got {new.shape} and {old.shape}"
        )
    max_move = _check_int("max_move", max_move, 0)
    a = new.reshape(len(new), -1).astype(np.float64)
    best = np.full(len(new), -1.0)
    for t in range(min(max_move, old.shape[-1] - 1) + 1):
        moved = np.zeros_like(old, dtype=np.float64)
        moved[..., t:] = old[..., : old.shape[-1] - t]
        b = moved.reshape(len(old), -1)
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        best = np.maximum(best, (a * b).sum(axis=1) / np.maximum(norms, 1e-12))
    return 1 - np.minimum(best, 1.0)

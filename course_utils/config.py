"""``setup()``: the one call at the top of every lesson.

It reads the seed and the scale (from its arguments or from the ``COURSE_SEED``
and ``COURSE_SCALE`` environment variables), imports TensorFlow with its C++
start-up lines kept out of the notebook, seeds Python, NumPy and TensorFlow,
turns on deterministic TensorFlow ops, sets the plotting style, and prints what
it did. Introduced in lesson 00.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from collections.abc import Iterator
from dataclasses import dataclass

SCALES = ("quick", "full")
DEFAULT_SEED = 0
DEFAULT_SCALE = "quick"


@dataclass(frozen=True)
class Config:
    """What ``setup()`` decided.

    Attributes:
        seed: the integer every random generator in the lesson is seeded with.
        scale: ``"quick"`` (CI and laptops) or ``"full"`` (the original question's setup).
    """

    seed: int
    scale: str

    @property
    def quick(self) -> bool:
        """True at quick scale; lessons write ``steps = 200 if cfg.quick else 1562``."""
        return self.scale == "quick"


def resolve_seed(seed: int | None, *, name: str = "seed") -> int:
    """The seed ``setup()`` would use: ``seed`` itself, or ``COURSE_SEED`` when ``None``.

    Also what ``tools/rerun.py`` and ``tools/bench.py`` check their seeds with, so a
    tool refuses exactly what a lesson would refuse, before any kernel starts.

    Raises:
        TypeError: ``seed`` is not a Python ``int`` (``np.int64``, ``"3"``, ``True``).
        ValueError: ``COURSE_SEED`` is not an integer, or the seed is outside [0, 2**32).

    Example:
        >>> resolve_seed(3), resolve_seed(2**32 - 1)
        (3, 4294967295)
        >>> resolve_seed(-1)
        Traceback (most recent call last):
        ...
        ValueError: seed must be in [0, 2**32), got -1
    """
    if seed is None:
        name = "COURSE_SEED"
        text = os.environ.get("COURSE_SEED", "").strip()
        if not text:
            return DEFAULT_SEED
        try:
            seed = int(text)
        except ValueError:
            raise ValueError(
                f"COURSE_SEED must be a non-negative integer, got {text!r}"
            ) from None
    elif isinstance(seed, bool) or not isinstance(seed, int):
        # np.int64 is not an int: keras.utils.set_random_seed would reject it later,
        # with a less helpful message.
        raise TypeError(f"seed must be a Python int or None, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"{name} must be in [0, 2**32), got {seed}")
    return seed


def resolve_scale(scale: str | None) -> str:
    """The scale ``setup()`` would use: ``scale``, or ``COURSE_SCALE`` when ``None``.

    Raises:
        TypeError: ``scale`` is not a str.
        ValueError: not ``"quick"`` or ``"full"`` (any case); the message names
            ``COURSE_SCALE`` when the value came from there.

    Example:
        >>> resolve_scale("FULL")
        'full'
    """
    source = "scale"
    if scale is None:
        source = "COURSE_SCALE"
        scale = os.environ.get("COURSE_SCALE", "").strip() or DEFAULT_SCALE
    if not isinstance(scale, str):
        raise TypeError(f"scale must be a str or None, got {type(scale).__name__}")
    if scale.lower() not in SCALES:
        raise ValueError(f"{source} must be one of {SCALES}, got {scale!r}")
    return scale.lower()


@contextlib.contextmanager
def _stderr_to_devnull() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block.

    TensorFlow's C++ runtime writes its start-up lines (absl, oneDNN, cudart,
    cuInit) straight to fd 2, below Python's ``sys.stderr``; no log level
    removes them all (see NOTEBOOK_PITFALLS.md). Python-level warnings are
    written through ``sys.stderr`` and still show after the block.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (
        OSError,
        ValueError,
    ):  # no real fd 2 (some embedded consoles): nothing to hide
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly(threads: int | None = None):
    """Import TensorFlow and Keras with the C++ start-up noise discarded; return ``tf``.

    Only the first call does any work; later calls return the imported module.
    ``threads`` (see :func:`setup`) is applied before TensorFlow's runtime starts.
    """
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        tf = sys.modules["tensorflow"]
        if (
            threads is not None
            and tf.config.threading.get_intra_op_parallelism_threads() != threads
        ):
            raise ValueError(
                f"TensorFlow already runs with "
                f"{tf.config.threading.get_intra_op_parallelism_threads() or 'its default number of'} "
                f"threads per operation; tf_threads={threads} only takes effect before it starts: "
                "restart the kernel and call setup() first"
            )
        return tf
    # Level 3 also drops C++ ERROR lines that are not errors of the user's program, such as
    # "NodeDef mentions attribute use_unbounded_threadpool" written by every model.fit and
    # model.predict with TF 2.21 (measured). Python exceptions are unaffected. Set the variable
    # yourself (e.g. to 0) before setup() to see everything.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_to_devnull():
        import keras  # noqa: F401
        import tensorflow as tf

        if threads is not None:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
        # The first device query initialises the runtime (and prints cuInit errors on
        # machines without a GPU), so it belongs inside the silenced block too.
        tf.config.list_logical_devices()
    return tf


def _set_plot_style() -> None:
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.figsize": (5.0, 3.2),
            "font.size": 9,
            "axes.titlesize": 9,
            "axes.grid": False,
            "image.interpolation": "nearest",
            "figure.max_open_warning": 0,
        }
    )
    # In a notebook, store figures at twice the pixels they are shown at, so they are
    # sharp on HiDPI screens (and in the web edition) at the same displayed size.
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def setup(
    seed: int | None = None, scale: str | None = None, *, tf_threads: int | None = None
) -> Config:
    """Seed everything, pick the scale, import TensorFlow quietly; print what was done.

    Args:
        seed: a Python ``int`` in [0, 2**32). ``None`` reads ``COURSE_SEED`` (default 0).
        scale: ``"quick"`` or ``"full"`` (any case). ``None`` reads ``COURSE_SCALE``
            (default ``"quick"``).
        tf_threads: how many threads TensorFlow uses inside one operation. ``None`` keeps
            TensorFlow's default (the machine's cores). A lesson that runs independent
            computations side by side in its own threads passes 1, so that they do not
            compete for the same cores. Takes effect only before TensorFlow starts, so in
            a kernel's first ``setup()``.

    Returns:
        A frozen :class:`Config` with ``.seed`` and ``.scale``.

    Raises:
        TypeError: ``seed`` is not an ``int`` (``np.int64`` and ``"3"`` included).
        ValueError: a negative seed, an unknown scale, or an unreadable ``COURSE_SEED``;
            ``tf_threads`` below 1, or different from the running TensorFlow's.

    Example:
        >>> cfg = setup(seed=3, scale="quick")  # doctest: +ELLIPSIS
        seed 3 | scale quick | Python 3..., TensorFlow 2..., Keras 3..., NumPy 2... | devices: ...
        >>> cfg.seed, cfg.scale, cfg.quick
        (3, 'quick', True)
    """
    cfg = Config(seed=resolve_seed(seed), scale=resolve_scale(scale))
    if tf_threads is not None:
        if isinstance(tf_threads, bool) or not isinstance(tf_threads, int):
            raise TypeError(
                f"tf_threads must be an int or None, got {type(tf_threads).__name__}"
            )
        if tf_threads < 1:
            raise ValueError(f"tf_threads must be >= 1, got {tf_threads}")
    tf = import_tensorflow_quietly(tf_threads)
    import keras
    import numpy as np

    keras.utils.set_random_seed(
        cfg.seed
    )  # Python, NumPy's global generator, TensorFlow
    tf.config.experimental.enable_op_determinism()
    _set_plot_style()
    devices = ", ".join(
        sorted({d.device_type for d in tf.config.list_logical_devices()})
    )
    print(
        f"seed {cfg.seed} | scale {cfg.scale} | Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, NumPy {np.__version__} "
        f"| devices: {devices}"
    )
    return cfg

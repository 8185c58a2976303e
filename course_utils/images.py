"""Families of generated grey-scale images, each seeded explicitly (lesson 02).

Lesson 02 asks which images let a single large filter be recovered from
(input, blurred output) pairs. The answer depends on how the images' energy is
spread over spatial frequencies, so the families differ exactly there:

- ``white_noise``: independent N(0, 1) pixels; flat power spectrum, every
  frequency present (the best-conditioned input for recovering a filter).
- ``cartoon_images``: piecewise-constant ellipses and rectangles on a grey
  background, values in [0, 1], edges softened by a small Gaussian blur; most
  energy at low frequencies, almost none near the Nyquist frequency (the kind of
  "simulated image" the original question trained on).
- ``images_at``: images number ``i, j, ...`` of a seeded dataset, each made on
  demand, so that 4,900 images of 256x256 pixels never sit in memory at once.
- ``ImageCache``: the same images, each made once and then read back from a
  temporary file, so that training for several epochs makes every image only once
  while memory holds one minibatch (the original question read its images from files);
  ``pairs`` stores each image's training target the same way.

Every function takes the generator or seed as an argument: nothing here touches
NumPy's global random state.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import threading
from collections.abc import Callable

import numpy as np
from scipy import ndimage

FAMILIES = ("white_noise", "cartoon")


def _check_count_size(n: object, size: object) -> tuple[int, int]:
    for name, value in (("n", n), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if size < 2:
        raise ValueError(f"size must be >= 2 pixels, got {size}")
    return int(n), int(size)


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator, e.g. np.random.default_rng(seed), "
            f"got {type(rng).__name__}"
        )
    return rng


def white_noise(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` images of independent standard-normal pixels.

    Args:
        n: number of images, ``n >= 0``.
        size: side length in pixels, ``size >= 2``.
        rng: the generator to draw from, e.g. ``np.random.default_rng(0)``.

    Returns:
        float64 array of shape ``(n, size, size)``, mean 0 and variance 1 per pixel.

    Raises:
        TypeError: ``n`` or ``size`` is not an int, or ``rng`` is not a Generator.
        ValueError: ``n < 0`` or ``size < 2``.

    Example:
        >>> x = white_noise(2, 8, np.random.default_rng(0))
        >>> x.shape, x.dtype
        ((2, 8, 8), dtype('float64'))
    """
    n, size = _check_count_size(n, size)
    rng = _check_rng(rng)
    return rng.standard_normal((n, size, size))


def cartoon_images(
    n: int,
    size: int,
    rng: np.random.Generator,
    *,
    shapes: int = 12,
    edge_sigma: float = 1.0,
) -> np.ndarray:
    """``n`` smooth "cartoon" images: flat shapes painted on a grey background.

    Each image starts at a uniform grey level in [0, 1]; ``shapes`` ellipses and
    axis-aligned rectangles (half each on average) with random centres, radii
    between ``size / 16`` and ``size / 4`` and grey levels in [0, 1] are painted
    on top, later shapes over earlier ones. A Gaussian blur of ``edge_sigma``
    pixels then softens the edges (``0`` keeps them sharp), which removes nearly
    all energy near the Nyquist frequency. Sizes scale with ``size``, so a 64x64
    image looks like a 256x256 one seen at a quarter of the resolution.

    Args:
        n: number of images, ``n >= 0``.
        size: side length in pixels, ``size >= 2``.
        rng: the generator to draw from.
        shapes: shapes per image, ``>= 0``.
        edge_sigma: standard deviation in pixels of the edge blur, ``>= 0``
            (``scipy.ndimage.gaussian_filter`` with ``mode="nearest"``).

    Returns:
        float64 array of shape ``(n, size, size)`` with values in [0, 1].

    Raises:
        TypeError: a count or size is not an int, or ``rng`` is not a Generator.
        ValueError: ``n < 0``, ``size < 2``, ``shapes < 0`` or ``edge_sigma < 0``.

    Example:
        >>> x = cartoon_images(3, 32, np.random.default_rng(0))
        >>> x.shape, bool(x.min() >= 0.0), bool(x.max() <= 1.0)
        ((3, 32, 32), True, True)
    """
    n, size = _check_count_size(n, size)
    rng = _check_rng(rng)
    if (
        isinstance(shapes, bool)
        or not isinstance(shapes, (int, np.integer))
        or shapes < 0
    ):
        raise ValueError(f"shapes must be an int >= 0, got {shapes!r}")
    if not (
        isinstance(edge_sigma, (int, float, np.number))
        and np.isfinite(edge_sigma)
        and edge_sigma >= 0
    ):
        raise ValueError(f"edge_sigma must be a finite number >= 0, got {edge_sigma!r}")
    images = np.empty((n, size, size))
    for i in range(n):
        image = np.full((size, size), rng.uniform(0.0, 1.0))
        centres = rng.uniform(0.0, size, (shapes, 2))
        radii = rng.uniform(size / 16, size / 4, (shapes, 2))
        levels = rng.uniform(0.0, 1.0, shapes)
        is_ellipse = rng.random(shapes) < 0.5
        for (r0, c0), (a, b), level, ellipse in zip(centres, radii, levels, is_ellipse):
            # only the shape's bounding box is evaluated: 256x256 images stay cheap
            top, bottom = (
                max(0, int(np.ceil(r0 - a))),
                min(size, int(np.floor(r0 + a)) + 1),
            )
            left, right = (
                max(0, int(np.ceil(c0 - b))),
                min(size, int(np.floor(c0 + b)) + 1),
            )
            if top >= bottom or left >= right:
                continue
            dr = (np.arange(top, bottom) - r0)[:, None] / a
            dc = (np.arange(left, right) - c0)[None, :] / b
            inside = (
                (dr**2 + dc**2 <= 1.0)
                if ellipse
                else (np.abs(dr) <= 1) & (np.abs(dc) <= 1)
            )
            image[top:bottom, left:right][inside] = level
        if edge_sigma > 0:
            image = ndimage.gaussian_filter(image, float(edge_sigma), mode="nearest")
        images[i] = image
    return images


def make_images(family: str, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` images of a named family: ``"white_noise"`` or ``"cartoon"`` (defaults).

    Raises:
        ValueError: an unknown family (the message lists the known ones).
    """
    if family == "white_noise":
        return white_noise(n, size, rng)
    if family == "cartoon":
        return cartoon_images(n, size, rng)
    raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")


def images_at(family: str, indices, size: int, seed: int) -> np.ndarray:
    """Images number ``indices`` of an endless, seeded dataset of one family.

    Image ``i`` is drawn from its own generator ``np.random.default_rng([seed, i])``,
    so any image can be made again on its own, in any order: a training loop can
    shuffle 4,900 indices every epoch and make each minibatch when it needs it, the
    way the original question's ``load_dataset_blur(indices, ...)`` loaded files.
    4,900 images of 256x256 float64 would take 2.6 GB; a minibatch of 5 takes 2.6 MB.

    Args:
        family: ``"white_noise"`` or ``"cartoon"`` (with its default options).
        indices: a sequence or 1-D array of non-negative ints.
        size: side length in pixels.
        seed: a non-negative int.

    Returns:
        float64 array of shape ``(len(indices), size, size)``.

    Raises:
        TypeError: ``seed`` or an index is not an int.
        ValueError: an unknown family, a negative seed or index, ``indices`` not 1-D.

    Example:
        >>> a = images_at("cartoon", [3, 7], 16, seed=0)
        >>> bool(np.array_equal(a[1], images_at("cartoon", [7], 16, seed=0)[0]))
        True
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    index_array = np.asarray(indices)
    if index_array.ndim != 1:
        raise ValueError(f"indices must be 1-D, got shape {index_array.shape}")
    if index_array.size and not np.issubdtype(index_array.dtype, np.integer):
        raise TypeError(f"indices must be ints, got dtype {index_array.dtype}")
    if index_array.size and index_array.min() < 0:
        raise ValueError(f"indices must be >= 0, got {int(index_array.min())}")
    _check_count_size(0, size)
    out = np.empty((index_array.size, int(size), int(size)))
    for k, index in enumerate(index_array):
        out[k] = make_images(
            family, 1, size, np.random.default_rng([int(seed), int(index)])
        )[0]
    return out


def _check_free_space(folder: str | None, needed: int, what: str) -> None:
    """Raise ``OSError(ENOSPC)`` before writing when ``folder`` has less than ``needed`` bytes free."""
    where = folder if folder is not None else tempfile.gettempdir()
    free = shutil.disk_usage(where).free
    if free < needed:
        raise OSError(
            errno.ENOSPC,
            f"ImageCache needs {needed / 1e9:.2f} GB of free disk in {where} for {what} "
            f"(8 bytes a pixel), but {free / 1e9:.2f} GB is free there: free some space, "
            "or pass folder= (or set TMPDIR to) a folder on a disk with room",
        )


class ImageCache:
    """Images ``0 .. n-1`` of a seeded family, each made once, then read back from a file.

    ``cache[indices]`` returns the same array as ``images_at(family, indices, size, seed)``.
    An image is made (by ``images_at``) the first time it is asked for and written to
    an anonymous temporary file; every later request reads it back. Training for 5
    epochs therefore makes each image once, and memory holds only the minibatch asked
    for: the file (``n * size * size * 8`` bytes, 2.6 GB for 4,900 images of 256x256)
    lives on disk and in the operating system's file cache, not in this process. The
    file has no name on POSIX systems (on Windows it is deleted on close), so it
    disappears when the cache is closed, garbage-collected, or the process ends.
    Introduced in lesson 02, where the original question's loader read files.

    Args:
        family: ``"white_noise"`` or ``"cartoon"``.
        n: number of images, ``n >= 1``.
        size: side length in pixels, ``size >= 2``.
        seed: a non-negative int, as in ``images_at``.
        folder: where the file goes; default: ``tempfile.gettempdir()``. Its free space
            is checked first: ``OSError`` (ENOSPC) says how much is needed and where.

    ``cache.pairs(indices, target)`` returns ``(x, target(x))``, each image's target
    computed once, by the first call that asks for it, and stored in a second
    temporary file: from the second epoch on, training reads its targets instead of
    recomputing them. Every call must pass the same ``target`` function. Several threads
    may read ahead at once: making images and targets runs in parallel, file access takes
    turns (an image two threads ask for at the same moment may be made twice, identically).

    Attributes:
        made: how many distinct images have been made so far.
        nbytes: size of the file in bytes.

    Raises:
        ValueError: an unknown family, ``n < 1``, ``size < 2``, a negative seed; on
            indexing, indices that are not 1-D or lie outside ``[0, n)``, or a closed cache;
            in ``pairs``, a different ``target`` than before, or one that returns another shape.
        TypeError: a count, size, seed or index that is not an int; a ``target`` that is
            not callable.

    Example:
        >>> cache = ImageCache("cartoon", 10, 16, seed=0)
        >>> x = cache[[3, 7, 3]]          # images 3 and 7 made and stored, 3 read back
        >>> bool(np.array_equal(x, images_at("cartoon", [3, 7, 3], 16, seed=0))), cache.made
        (True, 2)
        >>> cache.close()
    """

    def __init__(
        self, family: str, n: int, size: int, seed: int, *, folder: str | None = None
    ):
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
        n, size = _check_count_size(n, size)
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.family, self.n, self.size, self.seed = family, n, size, int(seed)
        self._image_bytes = size * size * 8
        self.nbytes = n * self._image_bytes
        self._stored = np.zeros(n, dtype=bool)
        _check_free_space(folder, self.nbytes, f"{n} images of {size}x{size}")
        self._file = tempfile.TemporaryFile(dir=folder)
        self._folder = folder
        self._target: Callable | None = None
        self._target_file = None
        self._target_stored = np.zeros(n, dtype=bool)
        self._lock = threading.Lock()  # one file position: reads and writes take turns

    @property
    def made(self) -> int:
        return int(self._stored.sum())

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return (
            f"ImageCache({self.family!r}, n={self.n}, size={self.size}, seed={self.seed}; "
            f"{self.made} made)"
        )

    def close(self) -> None:
        """Close and delete the files (also done when the cache is garbage-collected)."""
        self._file.close()
        if self._target_file is not None:
            self._target_file.close()

    def _indices(self, indices) -> np.ndarray:
        index_array = np.asarray(indices)
        if index_array.ndim != 1:
            raise ValueError(f"indices must be 1-D, got shape {index_array.shape}")
        if index_array.size and not np.issubdtype(index_array.dtype, np.integer):
            raise TypeError(f"indices must be ints, got dtype {index_array.dtype}")
        if index_array.size and (index_array.min() < 0 or index_array.max() >= self.n):
            raise ValueError(
                f"indices must lie in [0, {self.n}), got {int(index_array.min())} .. "
                f"{int(index_array.max())}"
            )
        return index_array.astype(np.int64)

    def __getitem__(self, indices) -> np.ndarray:
        if self._file.closed:
            raise ValueError("this ImageCache is closed")
        index_array = self._indices(indices)
        new = np.unique(index_array[~self._stored[index_array]])
        made = images_at(self.family, new, self.size, self.seed) if new.size else []
        with self._lock:  # threads may read ahead; making images runs outside
            self._write(self._file, new, made)
            self._stored[new] = True
            return self._read(self._file, index_array)

    def pairs(
        self, indices, target: Callable[[np.ndarray], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Images and their targets ``(x, target(x))``, each target computed only once.

        Args:
            indices: 1-D ints in ``[0, n)``, as for ``cache[indices]``.
            target: maps a batch of images ``(B, size, size)`` to a batch of targets of the
                same shape (for example the blurred images); the same function every call.
        """
        if not callable(target):
            raise TypeError(
                f"target must be a function of a batch of images, got {type(target).__name__}"
            )
        with self._lock:
            if self._target_file is None:
                unwritten = (self.n - self.made) * self._image_bytes
                _check_free_space(
                    self._folder,
                    self.nbytes + unwritten,
                    f"the targets of {self.n} images of {self.size}x{self.size} "
                    "and the images not made yet",
                )
                self._target, self._target_file = (
                    target,
                    tempfile.TemporaryFile(dir=self._folder),
                )
            elif target is not self._target:
                raise ValueError(
                    "pairs() was called with a different target function than before; "
                    "stored targets would mix two functions (make a new ImageCache)"
                )
        x = self[indices]
        index_array = self._indices(indices)
        new = np.unique(index_array[~self._target_stored[index_array]])
        if new.size:
            with self._lock:
                x_new = self._read(self._file, new)
            y_new = np.asarray(target(x_new), dtype=np.float64)
            if y_new.shape != x_new.shape:
                raise ValueError(
                    f"target must return one {self.size}x{self.size} array per image, "
                    f"shape {x_new.shape}; got shape {y_new.shape}"
                )
            with self._lock:
                self._write(self._target_file, new, y_new)
                self._target_stored[new] = True
        with self._lock:
            return x, self._read(self._target_file, index_array)

    def _write(self, file, indices, arrays) -> None:
        for index, array in zip(indices, arrays):
            file.seek(int(index) * self._image_bytes)
            file.write(np.ascontiguousarray(array, dtype=np.float64).tobytes())

    def _read(self, file, index_array: np.ndarray) -> np.ndarray:
        out = np.empty((index_array.size, self.size, self.size))
        for k, index in enumerate(index_array):
            file.seek(int(index) * self._image_bytes)
            file.readinto(memoryview(out[k]).cast("B"))
        return out

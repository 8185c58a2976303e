"""Datasets: shipped files verified by sha256 on load, and tiny generated ones.

- ``load_mnist_subset``: 5,000 real MNIST digits shipped in ``data/`` (lesson 04).
- ``row_column_images``: the six 3x3 row/column images of lesson 03.

Nothing here downloads anything.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np

#: The repository's ``data/`` folder (the package is installed in editable mode).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

MNIST_SUBSET_FILE = "mnist_5k.npz"
#: sha256 of ``data/mnist_5k.npz``; data/README.md records the same value.
MNIST_SUBSET_SHA256 = "246e0c30eeea57c8d0037d3f38c8e00651ec204cc61b8022563e9aeeb9d756f4"


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_mnist_subset(path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load the shipped 5,000-image MNIST subset (500 images per digit).

    The file's sha256 is checked before anything is parsed, and the file is read
    with ``allow_pickle=False``. Provenance and license: ``data/README.md``.

    Args:
        path: the ``.npz`` file; ``None`` means ``data/mnist_5k.npz`` in this repository.

    Returns:
        ``(x, y)``: ``x`` uint8 of shape (5000, 28, 28), values 0-255, white digit on
        black; ``y`` int64 of shape (5000,), digits 0-9.

    Raises:
        TypeError: ``path`` is not a str, Path or None.
        FileNotFoundError: the file is missing (the message says how to restore it).
        ValueError: the file is unreadable, its checksum does not match
            (the message names the file and both checksums), or its arrays have the
            wrong shape or dtype.

    Example:
        >>> x, y = load_mnist_subset()
        >>> x.shape, x.dtype, y.shape, int(y[0])
        ((5000, 28, 28), dtype('uint8'), (5000,), 0)
    """
    if path is None:
        path = DATA_DIR / MNIST_SUBSET_FILE
    if not isinstance(path, (str, Path)):
        raise TypeError(
            f"path must be a str, a pathlib.Path or None, got {type(path).__name__}"
        )
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"the MNIST subset file {path} is missing. In a clone of the course, "
            "restore it with `git checkout -- data/mnist_5k.npz` (data/README.md says "
            "where it comes from)."
        )
    try:
        actual = sha256_of(path)
    except OSError as error:
        raise ValueError(
            f"cannot read the MNIST subset file {path}: {error}"
        ) from error
    if actual != MNIST_SUBSET_SHA256:
        raise ValueError(
            f"checksum mismatch for {path}: sha256 is {actual}, expected "
            f"{MNIST_SUBSET_SHA256}. The file is corrupt or not the course's MNIST subset; "
            "restore it with `git checkout -- data/mnist_5k.npz`."
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"cannot parse the MNIST subset file {path}: {error}"
        ) from error
    if (
        images.shape != (5000, 28, 28)
        or images.dtype != np.uint8
        or labels.shape != (5000,)
    ):
        raise ValueError(
            f"{path} holds images {images.shape} {images.dtype} and labels {labels.shape}; "
            "expected (5000, 28, 28) uint8 and (5000,)"
        )
    return images, labels.astype(np.int64)


def row_column_images() -> tuple[np.ndarray, np.ndarray]:
    """The six 3x3 images of lesson 03: three white rows, then three white columns.

    Returns:
        ``(x, y)``: ``x`` uint8 of shape (6, 3, 3, 1) with values 0 and 255, in the
        question's order (row 1, row 0, row 2, column 1, column 0, column 2);
        ``y`` int64 of shape (6,): 0 for a white row, 1 for a white column.

    Example:
        >>> x, y = row_column_images()
        >>> x[0, :, :, 0].tolist(), y.tolist()
        ([[0, 0, 0], [255, 255, 255], [0, 0, 0]], [0, 0, 0, 1, 1, 1])
    """
    images = np.zeros((6, 3, 3), dtype=np.uint8)
    for i, line in enumerate((1, 0, 2)):
        images[i, line, :] = 255  # a white row
        images[3 + i, :, line] = 255  # a white column
    labels = np.array([0, 0, 0, 1, 1, 1], dtype=np.int64)
    return images[..., np.newaxis], labels

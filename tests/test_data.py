"""course_utils.data: the shipped MNIST subset is verified on load; bad files are named."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from course_utils import data

ROOT = Path(__file__).resolve().parent.parent


def test_mnist_subset_has_5000_images_500_per_digit():
    x, y = data.load_mnist_subset()
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (5000,) and np.issubdtype(y.dtype, np.integer)
    assert np.bincount(y).tolist() == [500] * 10
    assert x.max() == 255 and x.min() == 0
    # MNIST digits are white on black: the border is background
    assert x[:, 0, :].mean() < 1 and x[:, 13:15, 13:15].mean() > 50


def test_mnist_subset_checksum_is_recorded_in_the_data_readme():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert data.MNIST_SUBSET_SHA256 in readme
    assert (
        data.sha256_of(ROOT / "data" / data.MNIST_SUBSET_FILE)
        == data.MNIST_SUBSET_SHA256
    )


def test_corrupt_mnist_file_names_the_file(tmp_path):
    broken = tmp_path / "mnist_5k.npz"
    shutil.copy(ROOT / "data" / data.MNIST_SUBSET_FILE, broken)
    raw = bytearray(broken.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    broken.write_bytes(bytes(raw))
    with pytest.raises(
        ValueError, match=f"checksum mismatch for {re.escape(str(broken))}"
    ):
        data.load_mnist_subset(broken)


def test_truncated_mnist_file_names_the_file(tmp_path):
    short = tmp_path / "short.npz"
    short.write_bytes((ROOT / "data" / data.MNIST_SUBSET_FILE).read_bytes()[:1000])
    with pytest.raises(ValueError, match=re.escape(str(short))):
        data.load_mnist_subset(str(short))


def test_missing_mnist_file_names_the_file_and_how_to_restore_it(tmp_path):
    # Review (second round, "Engineering" 6): a deleted file raised ValueError, no restore hint.
    missing = tmp_path / "nowhere.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))) as error:
        data.load_mnist_subset(missing)
    assert "git checkout -- data/mnist_5k.npz" in str(error.value)


def test_mnist_path_of_the_wrong_type_is_a_type_error():
    with pytest.raises(
        TypeError, match="path must be a str, a pathlib.Path or None, got int"
    ):
        data.load_mnist_subset(42)


def test_row_column_images_are_three_rows_then_three_columns():
    x, y = data.row_column_images()
    assert x.shape == (6, 3, 3, 1) and x.dtype == np.uint8
    assert set(np.unique(x).tolist()) == {0, 255}
    assert y.tolist() == [0, 0, 0, 1, 1, 1]
    images = x[..., 0] // 255
    for image, label in zip(images, y):
        lines = image.sum(
            axis=1 - label
        )  # label 0: count white per row; label 1: per column
        assert sorted(lines.tolist()) == [0, 0, 3]
    assert np.array_equal(
        images[3], images[0].T
    )  # the question's order: middle line first

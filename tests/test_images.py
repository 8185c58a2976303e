"""Tests of course_utils.images (lesson 02's image families)."""

import numpy as np
import pytest

from course_utils import images


def radial_power_fraction_above(x, cutoff):
    """Fraction of the power at radial frequency >= cutoff cycles/pixel.

    Mean removed and Hann-windowed, so the jump where the FFT wraps the image around
    does not add spurious high frequencies.
    """
    x = x - x.mean(axis=(1, 2), keepdims=True)
    window = np.hanning(x.shape[-1])
    power = np.abs(np.fft.fft2(x * np.outer(window, window))) ** 2
    f = np.fft.fftfreq(x.shape[-1])
    radius = np.hypot(f[:, None], f[None, :])
    return power[:, radius >= cutoff].sum() / power.sum()


def test_white_noise_is_standard_normal_with_a_flat_spectrum():
    x = images.white_noise(20, 64, np.random.default_rng(0))
    assert x.shape == (20, 64, 64) and x.dtype == np.float64
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01
    # flat spectrum: the share of power above 0.25 cycles/pixel is that share of the frequency plane
    f = np.fft.fftfreq(64)
    area = np.mean(np.hypot(f[:, None], f[None, :]) >= 0.25)
    assert abs(radial_power_fraction_above(x, 0.25) - area) < 0.01


def test_cartoon_images_lie_in_the_unit_interval_and_are_smooth():
    x = images.cartoon_images(10, 64, np.random.default_rng(0))
    assert x.shape == (10, 64, 64) and x.min() >= 0.0 and x.max() <= 1.0
    assert radial_power_fraction_above(x, 0.25) < 5e-3  # white noise: 0.80


def test_sharp_cartoons_keep_more_high_frequencies_than_soft_ones():
    sharp = images.cartoon_images(10, 64, np.random.default_rng(0), edge_sigma=0)
    soft = images.cartoon_images(10, 64, np.random.default_rng(0), edge_sigma=1.0)
    assert (
        len(np.unique(sharp[0])) <= 13
    )  # piecewise constant: background + 12 shape levels
    assert radial_power_fraction_above(sharp, 0.25) > 10 * radial_power_fraction_above(
        soft, 0.25
    )


def test_same_generator_state_gives_the_same_images():
    a = images.cartoon_images(3, 32, np.random.default_rng(5))
    b = images.cartoon_images(3, 32, np.random.default_rng(5))
    c = images.cartoon_images(3, 32, np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_images_at_makes_each_index_on_its_own():
    batch = images.images_at("cartoon", [4, 0, 4], 32, seed=1)
    assert batch.shape == (3, 32, 32)
    assert np.array_equal(batch[0], batch[2])
    assert np.array_equal(
        batch[1], images.images_at("cartoon", np.array([0]), 32, seed=1)[0]
    )
    assert not np.array_equal(batch[1], images.images_at("cartoon", [0], 32, seed=2)[0])
    assert images.images_at("white_noise", [], 8, seed=0).shape == (0, 8, 8)


def test_images_at_does_not_touch_numpy_global_state():
    np.random.seed(0)
    before = np.random.random()
    np.random.seed(0)
    images.images_at("white_noise", [1, 2], 8, seed=0)
    assert np.random.random() == before


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: images.white_noise(2, 8, 0), TypeError, "numpy.random.Generator"),
        (
            lambda: images.white_noise(2.0, 8, np.random.default_rng()),
            TypeError,
            "n must be an int",
        ),
        (
            lambda: images.white_noise(-1, 8, np.random.default_rng()),
            ValueError,
            "n must be >= 0",
        ),
        (
            lambda: images.cartoon_images(1, 1, np.random.default_rng()),
            ValueError,
            "size must be >= 2",
        ),
        (
            lambda: images.cartoon_images(1, 8, np.random.default_rng(), shapes=-1),
            ValueError,
            "shapes",
        ),
        (
            lambda: images.cartoon_images(1, 8, np.random.default_rng(), edge_sigma=-1),
            ValueError,
            "edge_sigma",
        ),
        (
            lambda: images.make_images("photo", 1, 8, np.random.default_rng()),
            ValueError,
            "family must be one of",
        ),
        (
            lambda: images.images_at("photo", [0], 8, seed=0),
            ValueError,
            "family must be one of",
        ),
        (
            lambda: images.images_at("cartoon", [0], 8, seed=-1),
            ValueError,
            "seed must be >= 0",
        ),
        (
            lambda: images.images_at("cartoon", [0], 8, seed=1.5),
            TypeError,
            "seed must be an int",
        ),
        (
            lambda: images.images_at("cartoon", [[0]], 8, seed=0),
            ValueError,
            "indices must be 1-D",
        ),
        (
            lambda: images.images_at("cartoon", [-1], 8, seed=0),
            ValueError,
            "indices must be >= 0",
        ),
        (
            lambda: images.images_at("cartoon", [0.5], 8, seed=0),
            TypeError,
            "indices must be ints",
        ),
    ],
)
def test_bad_arguments_raise_with_a_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ImageCache: each image made once, read back from a temporary file.


def test_image_cache_returns_the_same_images_as_images_at_in_any_order():
    cache = images.ImageCache("cartoon", 12, 16, seed=3)
    order = [7, 0, 11, 7, 3]
    first = cache[order]
    assert first.shape == (5, 16, 16) and first.dtype == np.float64
    np.testing.assert_array_equal(first, images.images_at("cartoon", order, 16, seed=3))
    again = cache[np.array([3, 7, 11, 0])]
    np.testing.assert_array_equal(
        again, images.images_at("cartoon", [3, 7, 11, 0], 16, seed=3)
    )


def test_image_cache_makes_each_image_once():
    cache = images.ImageCache("white_noise", 10, 8, seed=0)
    assert cache.made == 0 and len(cache) == 10 and cache.nbytes == 10 * 8 * 8 * 8
    cache[[1, 2, 2]]
    assert cache.made == 2
    for _ in range(3):  # later epochs: nothing new is made
        cache[np.random.default_rng(0).permutation(10)]
    assert cache.made == 10


def test_image_cache_reads_back_what_it_wrote_not_a_fresh_draw(monkeypatch):
    cache = images.ImageCache("white_noise", 4, 8, seed=1)
    stored = cache[[0, 1, 2, 3]]
    monkeypatch.setattr(
        images, "images_at", lambda *args, **kwargs: pytest.fail("made again")
    )
    np.testing.assert_array_equal(cache[[2, 0]], stored[[2, 0]])


def test_image_cache_holds_no_images_in_memory():
    cache = images.ImageCache("cartoon", 50, 32, seed=0)
    cache[np.arange(50)]
    held = sum(
        value.nbytes for value in vars(cache).values() if isinstance(value, np.ndarray)
    )
    assert held < 50 * 32 * 32 * 8 / 100  # a flag per image, not the images


def test_image_cache_empty_request_and_close():
    cache = images.ImageCache("cartoon", 3, 8, seed=0)
    assert cache[[]].shape == (0, 8, 8)
    cache.close()
    with pytest.raises(ValueError, match="closed"):
        cache[[0]]


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (("stripes", 3, 8, 0), {}, ValueError, "family must be one of"),
        (("cartoon", 0, 8, 0), {}, ValueError, "n must be >= 1"),
        (("cartoon", 3, 1, 0), {}, ValueError, "size must be >= 2"),
        (("cartoon", 3, 8, -1), {}, ValueError, "seed must be >= 0"),
        (("cartoon", 3.0, 8, 0), {}, TypeError, "n must be an int"),
        (("cartoon", 3, 8, "0"), {}, TypeError, "seed must be an int"),
    ],
)
def test_image_cache_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        images.ImageCache(*args, **kwargs)


@pytest.mark.parametrize(
    "indices, error, match",
    [
        ([3], ValueError, r"\[0, 3\)"),
        ([-1], ValueError, r"\[0, 3\)"),
        ([[0, 1]], ValueError, "1-D"),
        ([0.5], TypeError, "ints"),
    ],
)
def test_image_cache_rejects_bad_indices(indices, error, match):
    cache = images.ImageCache("cartoon", 3, 8, seed=0)
    with pytest.raises(error, match=match):
        cache[indices]


# ImageCache.pairs: each image's target computed once, then read back.


def test_image_cache_pairs_returns_images_and_their_targets():
    cache = images.ImageCache("cartoon", 6, 8, seed=2)

    def upside_down(batch):
        return batch[:, ::-1, :]

    x, y = cache.pairs([4, 1, 4], upside_down)
    np.testing.assert_array_equal(x, images.images_at("cartoon", [4, 1, 4], 8, seed=2))
    np.testing.assert_array_equal(y, upside_down(x))
    x, y = cache.pairs([1, 0], upside_down)
    np.testing.assert_array_equal(y, upside_down(x))


def test_image_cache_pairs_computes_each_target_once():
    calls = []

    def double(batch):
        calls.append(len(batch))
        return 2 * batch

    cache = images.ImageCache("white_noise", 5, 4, seed=0)
    x, y = cache.pairs([0, 3, 3], double)
    np.testing.assert_array_equal(y, 2 * x)
    x, y = cache.pairs([3, 1, 0], double)  # only image 1 is new
    np.testing.assert_array_equal(y, 2 * x)
    assert calls == [2, 1]


def test_image_cache_pairs_refuses_a_second_target_function():
    cache = images.ImageCache("white_noise", 3, 4, seed=0)
    cache.pairs([0], lambda batch: batch + 1)
    with pytest.raises(ValueError, match="different target"):
        cache.pairs([0], lambda batch: batch + 1)


@pytest.mark.parametrize(
    "target, error, match",
    [
        ("blur", TypeError, "target must be a function"),
        (lambda batch: batch[:, :2], ValueError, "one 4x4 array per image"),
    ],
)
def test_image_cache_pairs_rejects_bad_targets(target, error, match):
    cache = images.ImageCache("white_noise", 3, 4, seed=0)
    with pytest.raises(error, match=match):
        cache.pairs([0, 1], target)


def test_image_cache_pairs_from_several_threads_at_once_match_a_single_reader():
    from concurrent.futures import ThreadPoolExecutor

    cache = images.ImageCache("cartoon", 40, 16, seed=5)
    batches = [np.random.default_rng(i).choice(40, 6, replace=False) for i in range(24)]

    def blur(batch):
        return batch * 0.5 + 1.0

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda indices: cache.pairs(indices, blur), batches))
    for indices, (x, y) in zip(batches, results):
        expected = images.images_at("cartoon", indices, 16, seed=5)
        np.testing.assert_array_equal(x, expected)
        np.testing.assert_array_equal(y, blur(expected))


# Review (second round, "Engineering" 6): ImageCache wrote ~10 GB to the temp folder with no
# free-space check (RAM where /tmp is tmpfs). It now refuses first, saying how much and where.
def _free_bytes(monkeypatch, free):
    import collections
    import shutil

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(free, 0, free))


def test_image_cache_refuses_when_the_disk_is_too_small(monkeypatch, tmp_path):
    _free_bytes(monkeypatch, 10**6)
    with pytest.raises(
        OSError, match=r"needs 0\.02 GB of free disk in .* 0\.00 GB is free"
    ):
        images.ImageCache("cartoon", 40, 256, seed=0, folder=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_image_cache_pairs_checks_room_for_the_targets(monkeypatch, tmp_path):
    cache = images.ImageCache("cartoon", 4, 16, seed=0, folder=str(tmp_path))
    _free_bytes(monkeypatch, cache.nbytes)  # room for the images, not for their targets
    with pytest.raises(OSError, match="the targets of 4 images of 16x16"):
        cache.pairs([0], lambda x: x)
    cache.close()

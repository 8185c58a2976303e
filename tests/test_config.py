"""course_utils.setup(): seed and scale resolution, seeding, and a quiet TensorFlow start-up."""

import os
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import course_utils as cu


def run_python(code: str, **env_overrides) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "TF_CPP"))
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_setup_defaults_to_seed_0_and_quick_scale(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_SEED", raising=False)
    monkeypatch.delenv("COURSE_SCALE", raising=False)
    cfg = cu.setup()
    assert (cfg.seed, cfg.scale, cfg.quick) == (0, "quick", True)
    printed = capsys.readouterr().out
    assert "seed 0 | scale quick" in printed and "TensorFlow 2." in printed


def test_setup_reads_seed_and_scale_from_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_SEED", "7")
    monkeypatch.setenv("COURSE_SCALE", "FULL")
    cfg = cu.setup()
    assert (cfg.seed, cfg.scale, cfg.quick) == (7, "full", False)


def test_setup_arguments_override_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_SEED", "7")
    monkeypatch.setenv("COURSE_SCALE", "full")
    assert cu.setup(seed=3, scale="Quick") == cu.Config(seed=3, scale="quick")


@pytest.mark.parametrize("scale", ["fast", "", "QUICKER"])
def test_setup_rejects_an_unknown_scale(scale):
    with pytest.raises(ValueError, match="scale must be one of"):
        cu.setup(scale=scale or "medium")


def test_setup_rejects_an_unknown_scale_from_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "huge")
    with pytest.raises(ValueError, match="COURSE_SCALE must be one of .* got 'huge'"):
        cu.setup()


@pytest.mark.parametrize("seed", [np.int64(3), "3", 1.0, True])
def test_setup_rejects_a_seed_that_is_not_a_python_int(seed):
    with pytest.raises(TypeError, match="seed must be a Python int"):
        cu.setup(seed=seed)


def test_setup_rejects_a_negative_seed():
    with pytest.raises(ValueError, match=r"seed must be in \[0, 2\*\*32\), got -1"):
        cu.setup(seed=-1)


def test_setup_rejects_an_unreadable_course_seed(monkeypatch):
    monkeypatch.setenv("COURSE_SEED", "zero")
    with pytest.raises(
        ValueError, match="COURSE_SEED must be a non-negative integer, got 'zero'"
    ):
        cu.setup()


def test_setup_makes_python_numpy_and_tensorflow_repeatable():
    import tensorflow as tf

    def draw():
        return random.random(), np.random.rand(), float(tf.random.uniform((), seed=1))

    cu.setup(seed=11)
    first = draw()
    cu.setup(seed=11)
    assert draw() == first
    cu.setup(seed=12)
    assert draw() != first


def test_importing_course_utils_changes_nothing_global():
    result = run_python("""
        import sys, numpy as np, matplotlib as mpl
        state = np.random.get_state()[1].copy()
        rc = dict(mpl.rcParams)
        import course_utils
        assert "tensorflow" not in sys.modules, "course_utils imported TensorFlow"
        assert (np.random.get_state()[1] == state).all(), "course_utils seeded NumPy"
        assert dict(mpl.rcParams) == rc, "course_utils changed matplotlib settings"
        import os; assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
        print("clean")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_setup_keeps_tensorflow_cpp_log_lines_off_stderr():
    result = run_python("""
        import course_utils as cu
        cu.setup()
        import keras, numpy as np, tensorflow as tf
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        model.compile("sgd", "mse")
        model.fit(np.zeros((3, 4)), np.zeros((3, 2)), verbose=0)   # tf.data logs here in TF 2.21
        model.predict(np.zeros((3, 4)), verbose=0)
        print(float(tf.reduce_sum(tf.ones((2, 2)))))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("4.0")
    for noise in ("absl", "oneDNN", "cuInit", "cudart", "I0000", "W0000", "E0000"):
        assert noise not in result.stderr, (
            f"TensorFlow noise on stderr: {result.stderr[:500]}"
        )


def test_setup_tf_threads_limits_the_threads_of_one_operation():
    result = run_python("""
        import course_utils as cu
        cu.setup(tf_threads=1)
        import tensorflow as tf
        print(tf.config.threading.get_intra_op_parallelism_threads())
        try:
            cu.setup(tf_threads=2)       # TensorFlow has started: too late to change
        except ValueError as error:
            print("refused:", "restart the kernel" in str(error))
        cu.setup(tf_threads=1)           # the same value again is fine
    """)
    assert result.returncode == 0, result.stderr
    printed = [
        line for line in result.stdout.splitlines() if not line.startswith("seed ")
    ]
    assert printed == ["1", "refused: True"]


@pytest.mark.parametrize(
    "threads, error",
    [
        (0, ValueError),
        (-2, ValueError),
        (1.0, TypeError),
        ("1", TypeError),
        (True, TypeError),
    ],
)
def test_setup_rejects_bad_tf_threads(threads, error):
    with pytest.raises(error, match="tf_threads"):
        cu.setup(tf_threads=threads)

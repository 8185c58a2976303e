"""Exercises of lesson 04: each reference passes its own check, plausible slips fail, ... is to do.

The tests named after a review finding ("Exercises", 04/3 and "every numeric checker") use
the learner's failing input and the verdict it should get.
"""

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import course_utils as cu
from course_utils.exercises_04 import trap_kernels

EX = cu.exercises.load("04")
NOTEBOOK = (
    Path(__file__).resolve().parent.parent
    / "notebooks"
    / "04_why_first_layer_filters_look_frozen.ipynb"
)


@pytest.mark.parametrize("number", sorted(EX))
def test_reference_passes_its_own_check_and_ellipsis_is_unattempted(number):
    assert EX[number].check(EX[number].expected()).correct
    assert EX[number].check(...).status == "unattempted"


def test_exercise_1_accepts_steps_times_learning_rate():
    assert EX[1].check(3000 * 5e-4).correct


def test_exercise_1_matches_keras_adam_on_a_constant_gradient():
    import keras
    import tensorflow as tf

    weight = tf.Variable(
        0.0, dtype=tf.float64
    )  # float64: 3000 float32 additions would drift
    optimizer = keras.optimizers.Adam(5e-4)
    gradient = tf.constant(1e-3, dtype=tf.float64)
    for _ in range(3000):
        optimizer.apply_gradients([(gradient, weight)])
    # the oracle: Keras' own Adam. It rounds beta_2 to float32 (0.99900001), which moves the
    # total by 3e-6 of 1.5; the textbook Adam (eps added to sqrt(v_hat)) is 5e-5 away.
    assert abs(abs(weight.numpy()) - EX[1].expected()) < 1e-5


def test_exercise_1_names_sgds_answer_one_step_and_the_signed_end_point():
    # review, "Exercises": 04/1's target misconception got the same message as 0
    for answer, named in [
        (3000 * 5e-4 * 1e-3, "SGD's answer"),  # an update proportional to the gradient
        (5e-4, "one step"),
        (-1.5, "a distance"),
    ]:
        feedback = EX[1].check(answer)
        assert not feedback.correct and named in feedback.message, (answer, feedback)
    other = EX[1].check(0.0)
    assert not other.correct and "max difference" in other.message


def test_exercise_3_names_a_percentage_for_the_relative_change():
    grey, relative = EX[3].expected()
    feedback = EX[3].check((grey, 100 * relative))  # review: 70.65 was not recognised
    assert not feedback.correct and "percentage" in feedback.message
    assert EX[3].check((grey, relative)).correct


def test_exercise_2_matches_keras_he_normal_and_rejects_glorot():
    import keras

    sample = keras.initializers.HeNormal(seed=0)((5, 5, 32, 64)).numpy()
    assert (
        abs(sample.std() - EX[2].expected()) < 2e-3
    )  # the oracle: Keras' own initialiser
    glorot = np.sqrt(2.0 / (5 * 5 * 32 + 5 * 5 * 64))
    assert not EX[2].check(glorot).correct


def test_exercise_3_grids_are_identical_but_weights_moved():
    before, after = trap_kernels()
    assert before.shape == after.shape == (5, 5, 1, 32)
    # independent oracle: per-tensor min-max by hand
    norm = [(k - k.min()) / (k.max() - k.min()) for k in (before, after)]
    assert np.max(np.abs(np.round(255 * norm[1]) - np.round(255 * norm[0]))) == 0
    relative = np.sqrt(np.sum((after - before) ** 2) / np.sum(before**2))
    assert relative > 0.5 and np.min(np.abs(after - before)) > 0
    assert EX[3].check((0, relative)).correct


def test_exercise_3_rejects_answers_that_trust_the_picture():
    feedback = EX[3].check((0.0, 0.0))  # "nothing changed"
    assert not feedback.correct and "drawn grid" in feedback.message
    assert not EX[3].check(5.0).correct  # one number instead of two
    assert "identical" in EX[3].check((3, EX[3].expected()[1])).message


def test_exercise_3_names_the_largest_single_weight_change_as_the_wrong_quantity():
    before, after = trap_kernels()
    feedback = EX[3].check(
        (0, np.max(np.abs(after - before)))
    )  # what the old exercise asked for
    assert not feedback.correct and "largest change of one weight" in feedback.message


# --- review findings, exercise 04/3 and every numeric checker -------------------------------


def test_finding_wrong_method_max_abs_after_minus_max_abs_before_is_not_the_answer():
    # A learner subtracted the largest sizes instead of measuring the change; in the first
    # design that gave exactly the expected number and was marked correct.
    before, after = trap_kernels()
    wrong = float(np.max(np.abs(after)) - np.max(np.abs(before)))
    feedback = EX[3].check((0.0, wrong))
    assert feedback.status == "incorrect"
    assert "max|after| - max|before|" in feedback.message


def test_finding_the_statement_code_runs_in_a_fresh_kernel_before_load():
    # The statement told the learner to call cu.exercises_04.trap_kernels(), an AttributeError
    # until cu.exercises.load("04") had run. Run the statement's code in a fresh interpreter.
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    statement = next(
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "markdown" and "**Exercise 3.**" in "".join(c["source"])
    )
    snippets = [s for s in re.findall(r"`([^`]+)`", statement) if "trap_kernels" in s]
    assert snippets, "the statement of exercise 3 shows how to get the kernels"
    code = "import course_utils as cu\n" + "\n".join(snippets)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]


def test_finding_the_printed_solution_runs_as_shown():
    # solution() prints the reference's source; it called trap_kernels() unqualified, a
    # NameError for a learner who pastes it. Run the printed code in an empty namespace.
    printed = EX[3].solution()
    source = printed[printed.index("def _reference_3") :]
    namespace = {"np": np}
    exec(textwrap.dedent(source), namespace)
    assert namespace["_reference_3"]() == EX[3].expected()


def test_finding_no_hint_gives_the_answer_away():
    # Hint 2 named the map (after = 1.5 * before - 0.2) and said min-max undoes it exactly.
    from course_utils import exercises_04

    scale, shift = exercises_04._TRAP_SCALE, exercises_04._TRAP_SHIFT
    grey, relative = EX[3].expected()
    for level in (1, 2):
        hint = EX[3].hint(level)
        assert "affine" not in hint and "undoes" not in hint and "identical" not in hint
        assert f"{scale} * before" not in hint and f"{shift}" not in hint
        assert f"{relative:.2f}" not in hint and "71" not in hint


ODD_INPUTS = [
    10**400,
    -(10**400),
    float("nan"),
    float("inf"),
    "0.05",
    "abc",
    b"1",
    1 + 2j,
    [1, [2, 3]],
    {"a": 1},
    {1, 2},
    (1, 2, 3),
    np.zeros((2, 2)),
    np.array([]),
    object(),
    lambda: 0,
    True,
]


@pytest.mark.parametrize("number", sorted(EX))
@pytest.mark.parametrize("answer", ODD_INPUTS, ids=lambda a: type(a).__name__)
def test_finding_no_checker_raises_on_any_input(number, answer):
    # check(10**400) raised an uncaught OverflowError; strings, wrong shapes and other
    # objects must all get a verdict, never a traceback.
    feedback = EX[number].check(answer)
    assert feedback.status == "incorrect" and feedback.message


def test_exercise_4_judges_the_learners_network_by_conv1s_scale_and_its_accuracy():
    from course_utils import mnist_trainer as mt

    model, split = EX[4].expected()  # conv1 std 1, Glorot after it, 50 steps
    assert EX[4].check((model, split)).correct
    question = mt.build_cnn(mt.normal_std1, mt.normal_std1, seed=0)  # std 1 everywhere
    mt.train({"question": question}, split, 50, seed=0)
    feedback = EX[4].check((question, split))
    assert not feedback.correct and "below 90%" in feedback.message
    glorot_first = mt.build_cnn(
        mt.glorot, mt.zeros, seed=0
    )  # conv1 changed: not the experiment
    feedback = EX[4].check((glorot_first, split))
    assert not feedback.correct and "standard deviation" in feedback.message
    for odd in [model, (model,), (split, model), (object(), split)]:
        feedback = EX[4].check(odd)
        assert not feedback.correct and "expected (model, split)" in feedback.message

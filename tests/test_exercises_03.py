"""Exercises of lesson 03: each reference passes, a plausible wrong answer fails, ... is unattempted,
and every finding of the expert review (shared/reviews, section "Exercises") has a test here
with the learner's input and the verdict it must get."""

import json
from pathlib import Path

import numpy as np
import pytest

from course_utils import exercises, exercises_03
from course_utils.exercises_03 import _valid_logits

EX = exercises.load("03")
NOTEBOOK = (
    Path(__file__).resolve().parent.parent
    / "notebooks"
    / "03_debugging_a_row_column_classifier.ipynb"
)


def _table(overrides=None):
    """An ablation table in the lesson's format, with the verdicts the lesson prints."""
    verdicts = {  # (loss, inputs / 255, Adam): verdict, for 6 'same' filters
        ("softmax twice", True, False): "not reliable",
        ("softmax twice", True, True): "reliable",
        ("softmax twice", False, False): "not reliable",
        ("softmax twice", False, True): "not reliable",
        ("from logits", True, False): "not reliable",
        ("from logits", True, True): "reliable",
        ("from logits", False, False): "reliable",
        ("from logits", False, True): "reliable",
    }
    verdicts.update(overrides or {})
    counts = {"reliable": 200, "not reliable": 0}
    return {
        (loss, scaled, adam, 6): (counts[v], 200, v)
        for (loss, scaled, adam), v in verdicts.items()
    }


@pytest.fixture(autouse=True)
def lesson_table():
    exercises_03.use_ablation(_table())
    yield
    exercises_03.use_ablation(None)


@pytest.mark.parametrize("number", sorted(EX))
def test_reference_passes_its_own_check(number):
    assert EX[number].check(EX[number].reference()).correct


@pytest.mark.parametrize("number", sorted(EX))
def test_ellipsis_is_reported_unattempted(number):
    assert EX[number].check(...).status == "unattempted"


def test_exercise_1_matches_a_direct_softmax_computation():
    second = np.exp([1.0, 0.0, 0.0]) / np.exp([1.0, 0.0, 0.0]).sum()
    losses = -np.log(second)  # label 0, 1, 2 against a class-0 prediction
    assert EX[1].check(float(losses.mean())).correct


def test_exercise_1_rejects_the_two_class_value():
    feedback = EX[1].check(0.8133)
    assert not feedback.correct and "two-class value" in feedback.message


def test_exercise_1_a_huge_int_is_judged_not_raised():
    """Review: check(10**400) raised an uncaught OverflowError."""
    feedback = EX[1].check(10**400)
    assert feedback.status == "incorrect" and "number" in feedback.message


ODD_ANSWERS = [
    10**400,
    -(10**400),
    float("nan"),
    float("inf"),
    "1.218",
    "abc",
    b"x",
    1 + 2j,
    np.zeros((3, 3)),
    np.full((2, 2, 1, 6), np.nan),
    [1, [2, 3]],
    {1: 2},
    {"adam": 1},
    object(),
    (10**400, np.zeros((8, 2)), np.zeros(2)),
    (np.nan,) * 5,
    (1, 2, 3, 4, 5),
    ([[1, 2]], "x", None),
    {1, 2},
    [["adam"]],
    True,
    np.array(["a", "b"]),
]


@pytest.mark.parametrize("number", [1, 2, 3, 4])
@pytest.mark.parametrize("answer", ODD_ANSWERS, ids=lambda a: type(a).__name__)
def test_no_checker_raises_on_odd_input(number, answer):
    """Review: no checker may raise on any input (huge ints, nan, strings, wrong shapes)."""
    feedback = EX[number].check(answer)
    assert feedback.status == "incorrect" and feedback.message


def test_exercise_2_names_the_wrong_pairs():
    feedback = EX[2].check((True, False, False, False, True))
    assert not feedback.correct and "[4, 5]" in feedback.message


def test_exercise_2_rejects_a_wrong_length():
    assert "5 booleans" in EX[2].check((True,)).message


def _fit_pair(layers, loss, labels):
    """Train one step of a pair's model in Keras 3 and say whether its loss was softmax twice."""
    import keras
    import tensorflow as tf

    namespace = {
        "keras": keras,
        "tf": tf,
        "Dense": keras.layers.Dense,
        "Activation": keras.layers.Activation,
        "CategoricalCrossentropy": keras.losses.CategoricalCrossentropy,
        "question_loss": lambda t, p: tf.nn.softmax_cross_entropy_with_logits(
            labels=t, logits=p
        ),
    }
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    classes = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    onehot = np.eye(2, dtype=np.float32)[classes]
    built = eval(layers, namespace)
    model = keras.Sequential(
        [keras.Input((3,)), *(built if isinstance(built, tuple) else (built,))]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.0), loss=eval(loss, namespace)
    )
    reported = model.fit(
        x,
        onehot if labels == "one-hot" else classes,
        batch_size=8,
        epochs=1,
        verbose=0,
        shuffle=False,
    ).history["loss"][0]
    dense = model.layers[0]
    z = x @ dense.kernel.numpy() + dense.bias.numpy()
    once = float(tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(onehot, z)))
    twice = float(
        tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(onehot, tf.nn.softmax(z))
        )
    )
    assert abs(once - twice) > 1e-3  # the two readings are distinguishable
    assert min(abs(reported - once), abs(reported - twice)) < 1e-5
    return abs(reported - twice) < 1e-5


@pytest.mark.filterwarnings("ignore:.*does not represent logits")
@pytest.mark.parametrize("pair", range(5))
def test_exercise_2_every_pair_runs_in_keras_fit_and_matches_the_reference(pair):
    """Review: pair 4's statement raised in fit (Keras casts the labels to float32)."""
    layers, loss, labels = exercises_03.PAIRS[pair]
    assert _fit_pair(layers, loss, labels) == EX[2].reference()[pair]


def test_exercise_2_notebook_states_the_pairs_that_are_tested():
    text = "".join(
        "".join(c["source"])
        for c in json.loads(NOTEBOOK.read_text())["cells"]
        if c["cell_type"] == "markdown"
    )
    for layers, loss, _ in exercises_03.PAIRS:
        assert f"`{layers}`" in text and f"`loss={loss}`" in text


def test_exercise_3_checker_agrees_with_tensorflow_conv():
    import tensorflow as tf

    from course_utils.data import row_column_images

    kernel, dense, bias = EX[3].reference()
    x, _ = row_column_images()
    conv = tf.nn.conv2d(
        x.astype(np.float64), kernel, strides=1, padding="VALID"
    ).numpy()
    expected = np.maximum(conv, 0).reshape(6, -1) @ dense + bias
    assert np.allclose(_valid_logits(kernel, dense, bias), expected)


def test_exercise_3_rejects_row_detectors():
    row_top = np.array([[1.0, 1.0], [-1.0, -1.0]])
    kernel = np.stack([row_top, -row_top], axis=-1)[:, :, np.newaxis, :]
    dense = np.stack([np.full(8, 1 / 255), np.zeros(8)], axis=1)
    feedback = EX[3].check((kernel, dense, np.array([0.0, 1.0])))
    assert not feedback.correct and "column detectors" in feedback.message


def test_exercise_3_rejects_a_zero_margin():
    kernel, dense, bias = EX[3].reference()
    feedback = EX[3].check((kernel, dense, np.zeros(2)))  # rows tie at (0, 0)
    assert not feedback.correct and "margin" in feedback.message


def test_exercise_3_rejects_wrong_shapes():
    assert (
        "shapes"
        in EX[3].check((np.zeros((2, 2, 1, 6)), np.zeros((8, 2)), np.zeros(2))).message
    )


def test_exercise_3_hint_2_does_not_give_the_answer_away():
    """Review: hint 2 spelled out the reference kernel, its negative, the dense layer and the bias."""
    kernel, dense, bias = EX[3].reference()
    hint = EX[3].hint(2)
    assert (
        "[[1, -1], [1, -1]]" not in hint
        and "bias of 1" not in hint
        and "negative" not in hint
    )


def test_exercise_4_a_reliable_but_larger_set_is_told_it_works():
    """Review: {single softmax, raw inputs} was told 'not reliable' though its row is 10/10."""
    feedback = EX[4].check({"single softmax", "raw inputs"})
    assert feedback.status == "incorrect"
    assert "reliable" in feedback.message and "not the smallest" in feedback.message


def test_exercise_4_a_failing_row_is_not_called_working():
    """Review: {Adam, raw inputs} was told 'works' though double / raw / Adam / 6 'same' is 0/10."""
    feedback = EX[4].check({"Adam", "raw inputs"})
    assert feedback.status == "incorrect"
    assert "not reliable" in feedback.message and "0 of 200" in feedback.message
    assert "works" not in feedback.message


def test_exercise_4_follows_the_table_it_is_given_not_a_rule():
    exercises_03.use_ablation(_table({("from logits", True, False): "reliable"}))
    assert EX[4].check({"single softmax"}).correct and EX[4].check({"Adam"}).correct
    assert not EX[4].check({"single softmax", "Adam"}).correct


def test_exercise_4_rejects_single_softmax_alone_with_the_row_it_read():
    feedback = EX[4].check({"single softmax"})
    assert (
        not feedback.correct
        and "not reliable" in feedback.message
        and "0 of 200" in feedback.message
    )


def test_exercise_4_accepts_any_capitalisation_and_rejects_a_larger_set():
    assert EX[4].check({"Adam"}).correct
    assert EX[4].check([" adam "]).correct
    assert "not the smallest" in EX[4].check({"Adam", "single softmax"}).message


def test_exercise_4_rejects_an_unknown_change():
    assert "unknown" in EX[4].check({"more filters"}).message


def test_exercise_4_without_the_lesson_table_uses_the_shipped_one():
    exercises_03.use_ablation(None)
    assert EX[4].check(EX[4].reference()).correct


def test_use_ablation_names_a_missing_row():
    table = _table()
    del table["from logits", False, True, 6]
    with pytest.raises(ValueError, match="from logits"):
        exercises_03.use_ablation(table)
    with pytest.raises(TypeError, match="dict"):
        exercises_03.use_ablation([1, 2])


def test_exercise_1_accepts_two_decimals():
    assert EX[1].check(1.22).status == "correct"
    assert EX[1].check(1.2181).status == "correct"
    assert EX[1].check(1.25).status == "incorrect"


@pytest.mark.parametrize(
    "slip, words",
    [
        (1.5514, "wrong sample alone"),
        (0.8133, "two-class"),
        (1.0986, "ln 3"),
        (0.5514, "right sample alone"),
    ],
)
def test_exercise_1_names_the_common_slips(slip, words):
    feedback = EX[1].check(slip)
    assert feedback.status == "incorrect" and words in feedback.message


def test_exercise_2_says_what_decides_each_wrong_pair():
    answer = list(EX[2].reference())
    answer[1] = not answer[1]
    feedback = EX[2].check(tuple(answer))
    assert (
        feedback.status == "incorrect"
        and "pair 2: what does from_logits=True" in feedback.message
    )
    assert "pair 1:" not in feedback.message

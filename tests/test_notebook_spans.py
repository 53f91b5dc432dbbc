"""Tests of the span shape of `TopLevelStep` (C3W2's object-detection notebook), with stand-ins
for TensorFlow and the Object Detection API. No TensorFlow."""

from __future__ import annotations

import builtins
import importlib
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook

from graders.shared.registry import assignment
from graders.submissions.notebook import in_notebook_style, load_notebook, load_script, notebook_position
from graders.submissions.source import SubmissionError, SubmissionSource
from tests.c3w2_course_cells import (
    EX6_3,
    EX10,
    TRAINABLES,
    cell_number,
    course,
    write_notebook,
)

STEPS = assignment("c3w2").steps  # the suite's own declaration
SPAN_FUNCTIONS = ("configure_model", "restore_weights", "run_dummy_pass", "select_variables")
ALL_FUNCTIONS = tuple(step.function for step in STEPS)
CHECKPOINT_PATH = "models/research/object_detection/test_data/checkpoint/ckpt-0"



def load(tmp_path: Path, cells: list[tuple[str, str]], steps=STEPS) -> SubmissionSource:
    source = load_notebook(write_notebook(tmp_path, cells), steps)
    compile(source.code, source.filename, "exec")
    return source


def function_text(source: SubmissionSource, name: str) -> str:
    """The source of the synthesized (or own) top-level function `name`."""
    lines = source.code.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(f"def {name}("))
    end = next((i for i in range(first + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    return "\n".join(lines[first:end]).rstrip()


def marked_cells(text: str) -> list[int]:
    """The cell numbers of the markers in `text`, in order."""
    return [int(n) for n in re.findall(r"# cell (\d+)", text)]


def without_markers(text: str) -> str:
    """`text` without its marker comments (a line that is only a marker goes)."""
    lines = [re.sub(r"\s*# cell \d+(, line \d+)?$", "", line) for line in text.split("\n")
             if not re.fullmatch(r"\s*# cell \d+(, line \d+)?", line)]
    return "\n".join(lines).strip()


# ---------------------------------------------------------------------------
# Stand-ins for the libraries the notebook imports
# ---------------------------------------------------------------------------
class Anything:
    """A module (or object) whose every attribute is another `Anything`, callable."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        value = Anything(f"{self._name}.{attribute}")
        setattr(self, attribute, value)
        return value

    def __call__(self, *args, **kwargs):
        return Anything(f"{self._name}()")

    def __getitem__(self, key):
        return Anything(f"{self._name}[{key!r}]")

    def __setitem__(self, key, value):
        pass


REAL_MODULES = {"os", "random", "io", "glob", "pickle", "math", "re", "json", "itertools", "functools",
                "collections", "__future__"}


def fake_import(name, globals=None, locals=None, fromlist=(), level=0):
    root = name.split(".")[0]
    if level or root in REAL_MODULES:
        return importlib.__import__(name, globals, locals, fromlist, level)
    module = FAKE_ROOTS.setdefault(root, Anything(root))
    if not fromlist:
        return module
    for part in name.split(".")[1:]:
        module = getattr(module, part)
    return module


FAKE_ROOTS: dict[str, Anything] = {}


class Status:
    def __init__(self):
        self.partial = False

    def expect_partial(self):
        self.partial = True
        return self


class Checkpoint:
    def __init__(self, log: list, **kwargs):
        self.kwargs = kwargs
        self.restored: list[str] = []
        self.status = Status()
        log.append(self)

    def restore(self, path):
        self.restored.append(path)
        return self.status


class FakeTF:
    """The part of `tf` the spans use: Checkpoint (recorded), zeros, keras.optimizers.SGD."""

    def __init__(self, restore_fails: bool = False):
        self.checkpoints: list[Checkpoint] = []
        self.restore_fails = restore_fails
        self.train = SimpleNamespace(Checkpoint=self._checkpoint)
        self.compat = SimpleNamespace(v2=SimpleNamespace(train=self.train), v1=SimpleNamespace(train=self.train))
        self.keras = SimpleNamespace(optimizers=SimpleNamespace(SGD=lambda **kw: ("SGD", kw)),
                                     backend=Anything("tf.keras.backend"))
        self.float32 = "float32"

    def _checkpoint(self, **kwargs):
        checkpoint = Checkpoint(self.checkpoints, **kwargs)
        if self.restore_fails:
            def fail(path):
                raise ValueError(f"no checkpoint at {path}")
            checkpoint.restore = fail
        return checkpoint

    @staticmethod
    def zeros(shape):
        return ("zeros", tuple(shape))


class FakeConfigUtil:
    def __init__(self):
        self.paths: list[str] = []

    def get_configs_from_pipeline_file(self, path):
        self.paths.append(path)
        return {"model": SimpleNamespace(ssd=SimpleNamespace(num_classes=90, freeze_batchnorm=False)),
                "train_config": object()}


class FakeModelBuilder:
    def __init__(self):
        self.calls: list[tuple] = []

    def build(self, model_config, is_training):
        self.calls.append((model_config, is_training))
        return ("model", model_config)


def run(source: SubmissionSource, tf: FakeTF | None = None, config_util: FakeConfigUtil | None = None) -> dict:
    """Execute the code with stand-in libraries; `tf` and `config_util` are injected."""
    namespace: dict = {"__name__": "submission",
                       "__builtins__": {**builtins.__dict__, "__import__": fake_import}}
    exec(compile(source.code, source.filename, "exec"), namespace)
    namespace["tf"] = tf or FakeTF()
    namespace["config_util"] = config_util or FakeConfigUtil()
    namespace["model_builder"] = FakeModelBuilder()
    return namespace


def detection_model(variable_names=()):
    return SimpleNamespace(
        _feature_extractor=object(),
        _box_predictor=SimpleNamespace(_base_tower_layers_for_heads=object(), _box_prediction_head=object()),
        trainable_variables=[SimpleNamespace(name=name) for name in variable_names])


def restored(tf: FakeTF) -> Checkpoint:
    """The one checkpoint that was restored, after checking what it holds is the course's."""
    done = [c for c in tf.checkpoints if c.restored]
    assert len(done) == 1, [c.kwargs for c in tf.checkpoints]
    return done[0]


def assert_restored_the_course_way(tf: FakeTF, model, path: str = CHECKPOINT_PATH) -> Checkpoint:
    checkpoint = restored(tf)
    assert checkpoint.restored == [path]
    assert list(checkpoint.kwargs) == ["model"]
    inner = checkpoint.kwargs["model"]
    assert isinstance(inner, Checkpoint)
    assert list(inner.kwargs) == ["_feature_extractor", "_box_predictor"]
    assert inner.kwargs["_feature_extractor"] is model._feature_extractor
    heads = inner.kwargs["_box_predictor"]
    assert isinstance(heads, Checkpoint)
    assert heads.kwargs == {"_base_tower_layers_for_heads": model._box_predictor._base_tower_layers_for_heads,
                            "_box_prediction_head": model._box_predictor._box_prediction_head}
    return checkpoint


class RecordingModel:
    """A detection model for the dummy pass: records the calls and what each was given."""

    def __init__(self):
        self.calls: list[tuple] = []

    def preprocess(self, images):
        self.calls.append(("preprocess", images))
        return "image", "shapes"

    def predict(self, image, shapes):
        self.calls.append(("predict", image, shapes))
        return "predictions"

    def postprocess(self, predictions, shapes):
        self.calls.append(("postprocess", predictions, shapes))
        return "detections"


BOX_HEAD = "WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead/BoxPredictor/"
CLASS_HEAD = "WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead/ClassPredictor/"
VARIABLES = ("WeightSharedConvolutionalBoxPredictor/BoxPredictionTower/conv2d_0/kernel:0",
             BOX_HEAD + "kernel:0", BOX_HEAD + "bias:0",
             "ResNet50V1_FPN/bottom_up_block5_conv/kernel:0",
             CLASS_HEAD + "kernel:0", CLASS_HEAD + "bias:0")
HEADS = [BOX_HEAD + "kernel:0", BOX_HEAD + "bias:0", CLASS_HEAD + "kernel:0", CLASS_HEAD + "bias:0"]


def selected(namespace: dict, names=VARIABLES) -> list[str]:
    model = detection_model(names)
    chosen = namespace["select_variables"](model)
    assert all(any(v is w for w in model.trainable_variables) for v in chosen)  # the model's own objects
    return [v.name for v in chosen]


def assert_course_functions(namespace: dict, tf: FakeTF, config_util: FakeConfigUtil) -> None:
    """Every step does what the course's cells do."""
    assert namespace["define_category_index"]() == ({1: {"id": 1, "name": "zombie"}}, 1)

    config = namespace["configure_model"]("given/path", 3)
    assert config_util.paths == ["given/path"]
    assert config.ssd.num_classes == 3 and config.ssd.freeze_batchnorm is True

    assert namespace["build_detection_model"](config) == ("model", config)

    model = detection_model()
    assert namespace["restore_weights"](model) is None
    assert_restored_the_course_way(tf, model)

    recording = RecordingModel()
    assert namespace["run_dummy_pass"](recording) is None
    assert recording.calls == [("preprocess", ("zeros", (1, 640, 640, 3))), ("predict", "image", "shapes"),
                               ("postprocess", "predictions", "shapes")]

    assert namespace["set_hyperparameters"]() == (4, 100, 0.01, ("SGD", {"learning_rate": 0.01, "momentum": 0.9}))
    assert selected(namespace) == HEADS


# ---------------------------------------------------------------------------
# The course notebook
# ---------------------------------------------------------------------------
def test_course_notebook_gives_every_step_as_a_function(tmp_path):
    source = load(tmp_path, course())
    for name in ALL_FUNCTIONS:
        assert source.code.count(f"def {name}(") == 1, name
    tf, config_util = FakeTF(), FakeConfigUtil()
    assert_course_functions(run(source, tf, config_util), tf, config_util)


def test_course_spans_hold_the_learners_statements_and_nothing_after(tmp_path):
    cells = course()
    source = load(tmp_path, cells)
    configure = function_text(source, "configure_model")
    assert configure.startswith(f"def configure_model(pipeline_config, num_classes):  # cell "
                                f"{cell_number(cells, 'ex5_1')}, line 5\n")
    assert without_markers(configure) == (
        "def configure_model(pipeline_config, num_classes):\n"
        "    configs = config_util.get_configs_from_pipeline_file(pipeline_config)\n"
        "    configs\n"
        "    model_config = configs['model']\n"
        "    model_config.ssd.num_classes = num_classes\n"
        "    model_config.ssd.freeze_batchnorm = True\n"
        "    return model_config")
    assert marked_cells(configure) == [cell_number(cells, key) for key in ("ex5_1", "configs", "ex5_2", "ex5_3")]
    assert "clear_session" not in configure and "'models/research" not in configure  # the grader's path
    assert "print" not in configure

    restore = function_text(source, "restore_weights")
    assert restore.startswith("def restore_weights(detection_model):  # cell "
                              f"{cell_number(cells, 'ex6_1')}\n")
    assert restore.endswith("    checkpoint.restore(checkpoint_path)\n    return None")
    dummy = function_text(source, "run_dummy_pass")
    assert "print('Weights restored!')" not in dummy and dummy.endswith("    return None")
    select = function_text(source, "select_variables")
    assert without_markers(select).split("\n")[:2] == [
        "def select_variables(detection_model):",
        "    trainable_variables = detection_model.trainable_variables"]  # supplied from the earlier cell
    assert "print(v.name)" not in select  # neither the earlier cell's loop nor the next cell's
    assert select.endswith("    return to_fine_tune")


def test_span_statements_are_not_in_the_left_out_account(tmp_path):
    cells = course()
    source = load(tmp_path, cells)
    account = "\n".join(source.left_out)
    for inside in ("configs = config_util", "model_config = configs", "model_config.ssd", "cell "
                   f"{cell_number(cells, 'configs')}: `configs`", "tmp_box_predictor_checkpoint =",
                   "tmp_model_checkpoint =", "checkpoint = tf.train", "checkpoint.restore",
                   "tmp_image, tmp_shapes", "tmp_detections", "trainable_variables = detection_model",
                   "for var in trainable_variables"):
        assert inside not in account, inside
    # what the spans do not take is still listed
    for outside in ("tf.keras.backend.clear_session()", "print(model_config)", "print('Weights restored!')",
                    "tf.keras.backend.set_learning_phase(True)", "for v in trainable_variables:",
                    "for v in to_fine_tune:", "print('Start fine-tuning!', flush=True)",
                    "len(detection_model.trainable_variables)"):
        assert outside in account, outside


def test_traceback_lines_map_to_the_cells_across_a_span(tmp_path):
    cells = course()
    source = load(tmp_path, cells)

    def failing_line(function, *args, **namespace_changes):
        namespace = run(source)
        namespace.update(namespace_changes)
        with pytest.raises(Exception) as caught:
            namespace[function](*args)
        frame = caught.value.__traceback__
        lines = []
        while frame is not None:
            if frame.tb_frame.f_code.co_name == function:
                assert frame.tb_frame.f_code.co_filename == "C3W2_Assignment.ipynb"
                lines.append(frame.tb_lineno)
            frame = frame.tb_next
        assert len(lines) == 1
        return notebook_position(source.code, lines[0])

    class BrokenConfigUtil:
        def get_configs_from_pipeline_file(self, path):
            raise FileNotFoundError(path)

    # the span's first cell
    assert failing_line("configure_model", "p", 1, config_util=BrokenConfigUtil()) == \
        (cell_number(cells, "ex5_1"), 5)
    # its third cell: the config has no `ssd`
    no_ssd = SimpleNamespace(get_configs_from_pipeline_file=lambda path: {"model": object()})
    assert failing_line("configure_model", "p", 1, config_util=no_ssd) == (cell_number(cells, "ex5_3"), 2)
    # the restore, two cells after the span's start
    assert failing_line("restore_weights", detection_model(), tf=FakeTF(restore_fails=True)) == \
        (cell_number(cells, "ex6_3"), 3)
    # the supplied assignment, in the cell before the span
    assert failing_line("select_variables", object()) == (cell_number(cells, "trainables"), 1)
    # inside the loop of the span's cell: a variable without a name
    assert failing_line("select_variables", SimpleNamespace(trainable_variables=[object()])) == \
        (cell_number(cells, "ex9"), 6)


# ---------------------------------------------------------------------------
# Stop rules and missing spans
# ---------------------------------------------------------------------------
def test_later_cells_that_read_or_rebind_a_result_are_not_pulled_in(tmp_path):
    rebind_after_def = [EX10, "to_fine_tune = [v for v in detection_model.trainable_variables]"]
    cells = course(ex10=rebind_after_def)
    source = load(tmp_path, cells)
    select = function_text(source, "select_variables")
    assert "train_step_fn" not in select and "random.shuffle" not in select
    assert f"# cell {cell_number(cells, 'ex10_1')}" not in select
    assert "[v for v in detection_model" not in select
    assert selected(run(source)) == HEADS
    assert any("to_fine_tune = [v for v in detection_model" in note for note in source.left_out)


def test_another_steps_start_ends_a_span(tmp_path):
    # with no `def` in between, the span of configure_model must still stop at build_detection_model
    cells = course(print_config="model_config.ssd.num_classes = 7\nprint(model_config)",
                   box_predictor="model_config.ssd.num_classes = 99")
    namespace = run(load(tmp_path, cells))
    config = namespace["configure_model"]("p", 2)
    assert config.ssd.num_classes == 7  # the learner's later cell before Ex5.4 counts; the one after not


def test_notebooks_own_definition_wins(tmp_path):
    own = "def restore_weights(detection_model):\n  return 'own'"
    source = load(tmp_path, course(ex6_3=[EX6_3, own]))
    assert source.code.count("def restore_weights(") == 1
    assert run(source)["restore_weights"](detection_model()) == "own"
    assert any("checkpoint.restore(checkpoint_path)" in note for note in source.left_out)


def test_missing_span_start_emits_nothing(tmp_path):
    source = load(tmp_path, course(ex6_1=None, ex6_2=None, ex6_3=None, ex7=None))
    assert "def restore_weights(" not in source.code and "def run_dummy_pass(" not in source.code
    assert "def select_variables(" in source.code  # the others are still made


def test_span_without_its_call_emits_nothing(tmp_path):
    # the learner built the checkpoints but never restored them: no function to grade
    source = load(tmp_path, course(ex6_3="checkpoint_path = 'x'\ncheckpoint = tf.train.Checkpoint(model=tmp_model_checkpoint)"))
    assert "def restore_weights(" not in source.code
    assert any("tmp_box_predictor_checkpoint = tf.train.Checkpoint(" in note for note in source.left_out)


def test_a_span_that_does_not_compile_as_a_function_is_reported(tmp_path):
    # `nonlocal` parses at top level but has nothing to refer to in the function
    cells = course(ex6_3=EX6_3.replace("checkpoint.restore", "nonlocal checkpoint_path\ncheckpoint.restore"))
    source = load(tmp_path, cells)
    assert "def restore_weights(" not in source.code
    assert any(f"cell {cell_number(cells, 'ex6_3')}: the code up to `checkpoint.restore(checkpoint_path)` "
               "could not be made into `restore_weights`" in note for note in source.left_out), source.left_out
    assert any("tmp_model_checkpoint = tf.train.Checkpoint(" in note for note in source.left_out)


# ---------------------------------------------------------------------------
# What learners write
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("decoy_first", [True, False])
def test_restore_with_a_rewrapped_model_checkpoint_and_a_decoy(tmp_path, decoy_first):
    decoy = "checkpoint = tf.train.Checkpoint(model=detection_model)"
    lines = ["checkpoint_path = 'models/research/object_detection/test_data/checkpoint/ckpt-0'",
             "tmp_model_checkpoint = tf.compat.v2.train.Checkpoint(model=tmp_model_checkpoint)",
             "tmp_model_checkpoint.restore(checkpoint_path)"]
    lines.insert(1 if decoy_first else 3, decoy)
    source = load(tmp_path, course(ex6_3="\n".join(lines)))
    tf = FakeTF()
    model = detection_model()
    assert run(source, tf)["restore_weights"](model) is None
    assert_restored_the_course_way(tf, model)
    made_for_the_decoy = [c for c in tf.checkpoints if c.kwargs == {"model": model}]
    assert len(made_for_the_decoy) == (1 if decoy_first else 0)  # after the restore: outside the span
    if not decoy_first:
        assert any(decoy in note for note in source.left_out)


def test_restore_without_a_checkpoint_variable(tmp_path):
    cell = ("checkpoint_path = 'models/research/object_detection/test_data/checkpoint/ckpt-0'\n"
            "tf.train.Checkpoint(model=tmp_model_checkpoint).restore(checkpoint_path).expect_partial()")
    tf = FakeTF()
    model = detection_model()
    run(load(tmp_path, course(ex6_3=cell)), tf)["restore_weights"](model)
    assert assert_restored_the_course_way(tf, model).status.partial is True


@pytest.mark.parametrize("assignment", [
    "checkpoint_path = 'models/research/object_detection/test_data/checkpoint/ckpt-0'",  # kept: a global
    "checkpoint_path = os.path.join('models/research/object_detection/test_data', 'checkpoint', 'ckpt-0')",
])
def test_checkpoint_path_from_an_earlier_cell(tmp_path, assignment):
    cell = "checkpoint = tf.train.Checkpoint(model=tmp_model_checkpoint)\nstatus = checkpoint.restore(checkpoint_path)"
    source = load(tmp_path, course(box_predictor=assignment, ex6_3=cell))
    restore = function_text(source, "restore_weights")
    if "os.path" in assignment:
        assert restore.split("\n")[1] == "    " + assignment  # supplied, in front of the span
    else:
        assert "checkpoint_path =" not in restore
    tf = FakeTF()
    model = detection_model()
    run(source, tf)["restore_weights"](model)
    assert_restored_the_course_way(tf, model)


def test_restore_inside_an_if(tmp_path):
    cell = EX6_3.replace("checkpoint.restore(checkpoint_path)",
                         "if os.path.exists('/nonexistent/for/sure'):\n  print('no')\n"
                         "else:\n  checkpoint.restore(checkpoint_path)")
    tf = FakeTF()
    model = detection_model()
    run(load(tmp_path, course(ex6_3=cell)), tf)["restore_weights"](model)
    assert_restored_the_course_way(tf, model)


@pytest.mark.parametrize("cell, expected", [
    ("prefixes = ('WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead',\n"
     "            'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead')\n"
     "to_fine_tune = [v for v in detection_model.trainable_variables if v.name.startswith(tuple(prefixes))]",
     HEADS),
    ("to_fine_tune = [trainable_variables[i] for i in [0, 1, 2, 3]]", list(VARIABLES[:4])),
    ("to_fine_tune = []\nprefixes_to_train = ['WeightSharedConvolutionalBoxPredictor']\n"
     "for var in trainable_variables:\n  if any([var.name.startswith(prefix) for prefix in prefixes_to_train]):\n"
     "    to_fine_tune.append(var)",
     [VARIABLES[0], *HEADS]),
    ("to_fine_tune = []\nfor v in detection_model.trainable_variables:\n"
     "  if 'Head' in v.name:\n    to_fine_tune += [v]",
     HEADS),
])
def test_select_variables_as_learners_write_it(tmp_path, cell, expected):
    source = load(tmp_path, course(ex9=cell))
    assert selected(run(source)) == expected


def test_select_variables_with_the_prefixes_in_their_own_cell_first(tmp_path):
    prefixes = ("prefixes_to_train = ['WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead',\n"
                "                     'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead']")
    loop = ("to_fine_tune = []\nfor var in trainable_variables:\n"
            "  if any([var.name.startswith(prefix) for prefix in prefixes_to_train]):\n    to_fine_tune.append(var)")
    cells = course(ex9=[prefixes, loop])
    source = load(tmp_path, cells)
    select = function_text(source, "select_variables")
    assert f"# cell {cell_number(cells, 'ex9')}" in select and f"# cell {cell_number(cells, 'ex9_1')}" in select
    assert selected(run(source)) == HEADS


def test_configure_model_in_one_cell(tmp_path):
    cell = ("tf.keras.backend.clear_session()\n"
            "pipeline_config = 'models/research/object_detection/configs/tf2/ssd.config'\n"
            "configs = config_util.get_configs_from_pipeline_file(pipeline_config)\n"
            "model_config = configs['model']\n"
            "model_config.ssd.num_classes = num_classes\n"
            "model_config.ssd.freeze_batchnorm = True")
    cells = course(ex5_1=cell, configs=None, ex5_2=None, ex5_3=None)
    source = load(tmp_path, cells)
    configure = function_text(source, "configure_model")
    assert "pipeline_config = " not in configure  # the grader passes the path
    config_util = FakeConfigUtil()
    config = run(source, config_util=config_util)["configure_model"]("given/path", 1)
    assert config_util.paths == ["given/path"]
    assert config.ssd.num_classes == 1 and config.ssd.freeze_batchnorm is True


def test_configure_model_spread_over_cells_uses_the_given_path(tmp_path):
    config_util = FakeConfigUtil()
    config = run(load(tmp_path, course()), config_util=config_util)["configure_model"]("given/path", 1)
    assert config_util.paths == ["given/path"]
    assert config.ssd.num_classes == 1 and config.ssd.freeze_batchnorm is True


def test_hyperparameters_cell_starting_with_set_learning_phase(tmp_path):
    source = load(tmp_path, course())
    text = function_text(source, "set_hyperparameters")
    assert "set_learning_phase" not in text
    assert run(source)["set_hyperparameters"]()[:3] == (4, 100, 0.01)


# ---------------------------------------------------------------------------
# The notebook saved as a script
# ---------------------------------------------------------------------------
def _ipython_call(line: str) -> str:
    """What nbconvert makes of an IPython line."""
    if line.startswith("!"):
        return f"get_ipython().system({line[1:]!r})"
    name, _, rest = line[1:].partition(" ")
    return f"get_ipython().run_line_magic({name!r}, {rest!r})"


def nbconvert_script(cells) -> str:
    parts = ["#!/usr/bin/env python\n# coding: utf-8\n"]
    for key, source in cells:
        if key.startswith("md"):
            parts.append("\n".join("# " + line for line in source.split("\n")) + "\n")
            continue
        lines = [_ipython_call(line) if line.startswith(("!", "%")) else line for line in source.split("\n")]
        parts.append("# In[ ]:\n\n\n" + "\n".join(lines) + "\n")
    return "\n\n".join(parts)


def jupytext_script(cells) -> str:
    parts = ["# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n#       format_name: percent\n# ---\n"]
    for key, source in cells:
        if key.startswith("md"):
            parts.append("# %% [markdown]\n" + "\n".join("# " + line for line in source.split("\n")) + "\n")
            continue
        lines = ["# " + line if line.startswith(("!", "%")) else line for line in source.split("\n")]
        parts.append("# %%\n" + "\n".join(lines) + "\n")
    return "\n".join(parts)


@pytest.mark.parametrize("export", [nbconvert_script, jupytext_script])
def test_exported_scripts_give_the_same_functions(tmp_path, export):
    cells = course()
    notebook = load(tmp_path, cells)
    code = export(cells)
    assert in_notebook_style(code, STEPS)
    script = load_script(tmp_path / "c3w2_zombie_detection.py", code, STEPS)
    compile(script.code, script.filename, "exec")
    for name in ALL_FUNCTIONS:
        assert without_markers(function_text(script, name)) == without_markers(function_text(notebook, name)), name
    tf, config_util = FakeTF(), FakeConfigUtil()
    assert_course_functions(run(script, tf, config_util), tf, config_util)
    assert not any("checkpoint.restore" in note for note in script.left_out)


def test_a_script_without_cell_markers_still_bounds_its_spans(tmp_path):
    code = "\n\n".join(source for key, source in course() if not key.startswith("md"))
    code = "\n".join(line for line in code.split("\n") if not line.startswith(("!", "%")))
    script = load_script(tmp_path / "c3w2_zombie_detection.py", code, STEPS)
    namespace = run(script)
    select = function_text(script, "select_variables")
    assert "train_step_fn" not in select and "print(v.name)" not in select
    assert selected(namespace) == HEADS
    tf = FakeTF()
    model = detection_model()
    namespace["tf"] = tf
    namespace["restore_weights"](model)
    assert_restored_the_course_way(tf, model)
    config_util = FakeConfigUtil()
    namespace["config_util"] = config_util
    assert namespace["configure_model"]("given/path", 1).ssd.num_classes == 1
    assert config_util.paths == ["given/path"]


def test_a_span_start_makes_a_script_notebook_style():
    select = (STEPS[-1],)
    assert in_notebook_style("to_fine_tune = []\nfor v in detection_model.trainable_variables:\n"
                             "  to_fine_tune.append(v)\n", select)
    assert not in_notebook_style("def select_variables(detection_model):\n"
                                 "  to_fine_tune = []\n  return to_fine_tune\n", select)
    assert not in_notebook_style("import os\nprint(os.listdir('/'))\n", select)


def test_a_parameter_set_inside_the_span_is_the_graders(tmp_path):
    cells = course(ex5_3="num_classes = 1\nmodel_config.ssd.num_classes = num_classes\n"
                         "model_config.ssd.freeze_batchnorm = True")
    source = load(tmp_path, cells)
    assert "num_classes = 1" not in function_text(source, "configure_model")
    assert run(source)["configure_model"]("p", 3).ssd.num_classes == 3


def test_a_loop_variable_is_not_supplied_from_an_earlier_cell(tmp_path):
    cells = course(trainables=[TRAINABLES, "var = trainable_variables[0]\nprint(var.name)"])
    source = load(tmp_path, cells)
    select = function_text(source, "select_variables")
    assert "trainable_variables = detection_model.trainable_variables" in select
    assert "var = trainable_variables[0]" not in select
    assert any("var = trainable_variables[0]" in note for note in source.left_out)
    assert selected(run(source)) == HEADS


SPAN_LINES = [
    "to_fine_tune = []", "to_fine_tune.append(v)", "for v in vs:", "  to_fine_tune.append(v)", "  pass",
    "prefixes_to_train = ['a']", "x = f(1)", "print(x)", "def g():", "  return 1", "if x:", "else:",
    "!ls", "%cd x", "trainable_variables = detection_model.trainable_variables", "detection_model = 3",
    "model_config = configs['model']", "model_config.ssd.num_classes = 1", "configs = read(p)",
    "checkpoint.restore(p)", "import os", "y = (1,", "  2)", "a; to_fine_tune += [1]", "'''", "s = '''",
    "tmp_image, shapes = m.preprocess(z)", "m.postprocess(d)", "with x as y:", "try:", "except E:",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(SPAN_LINES), max_size=7), min_size=1, max_size=5))
def test_any_cells_give_span_functions_whose_lines_map_to_their_cells(tmp_path, cells):
    sources = ["\n".join(lines) for lines in cells]
    nodes = [new_code_cell(text) for text in sources]
    path = tmp_path / "C3W2_Assignment.ipynb"
    nbformat.write(new_notebook(cells=nodes), str(path))
    try:
        source = load_notebook(path, STEPS)
    except SubmissionError as error:
        assert "empty" in str(error)
        return
    compile(source.code, source.filename, "exec")
    cell_lines = {number: text.split("\n") for number, text in enumerate(sources, start=1)}
    in_span = False
    for number, text in enumerate(source.code.split("\n"), start=1):
        if text.startswith("def "):
            in_span = text.startswith(tuple(f"def {name}(" for name in SPAN_FUNCTIONS))
            continue
        position = notebook_position(source.code, number)
        if not in_span or not text.strip() or position is None or text.strip().startswith("return "):
            continue
        cell, line = position
        first_part = text.strip().split(";")[0].strip()
        assert first_part[:12] in cell_lines[cell][line - 1], (text, cell_lines[cell][line - 1])

"""A solved C3W1 course notebook, as a learner hands it in from Colab, graded as it is.

Written here, not taken from the course: Colab lines, packages the grader lacks,
top-level data loading and training, the graded functions in two-space
indentation, the provided intersection_over_union, and Ex6 as the course has it:
a top-level cell that sets steps_per_epoch and validation_steps.
"""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import feedback, grade, saved_as_script, scores
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    "# Predicting Bounding Boxes",
    "try:\n  %tensorflow_version 2.x\nexcept:\n  pass",
    "!pip install -q tensorflow_datasets",
    "import os, re, random\nimport numpy as np\nimport tensorflow as tf\nimport tensorflow_datasets as tfds\n"
    "import matplotlib.pyplot as plt\nfrom google.colab import files",
    "def read_image_tfds(image, bbox):\n  image = tf.cast(image, tf.float32)\n  return image, bbox",
    "data_dir = '/content/drive/My Drive/TF3 C3W1 Data/data'\n"
    "train_dataset = tfds.load('caltech_birds2010', split='train', data_dir=data_dir, download=False)",
    "def feature_extractor(inputs):\n"
    "  ### START CODE HERE ###\n"
    "  mobilenet_model = tf.keras.applications.mobilenet_v2.MobileNetV2(input_shape=(224, 224, 3),\n"
    "                                                                  include_top=False,\n"
    "                                                                  weights='imagenet')\n"
    "  feature_extractor = mobilenet_model(inputs)\n"
    "  ### END CODE HERE ###\n"
    "  return feature_extractor",
    "def dense_layers(features):\n"
    "  x = tf.keras.layers.GlobalAveragePooling2D()(features)\n"
    "  x = tf.keras.layers.Flatten()(x)\n"
    "  x = tf.keras.layers.Dense(1024, activation='relu')(x)\n"
    "  x = tf.keras.layers.Dense(512, activation='relu')(x)\n"
    "  return x",
    "def bounding_box_regression(x):\n"
    "  bounding_box_regression_output = tf.keras.layers.Dense(units=4, name='bounding_box')(x)\n"
    "  return bounding_box_regression_output",
    "def final_model(inputs):\n"
    "  feature_cnn = feature_extractor(inputs)\n"
    "  last_dense_layer = dense_layers(feature_cnn)\n"
    "  bounding_box_output = bounding_box_regression(last_dense_layer)\n"
    "  model = tf.keras.Model(inputs=inputs, outputs=[bounding_box_output])\n"
    "  return model",
    "def define_and_compile_model():\n"
    "  inputs = tf.keras.layers.Input(shape=(224, 224, 3))\n"
    "  model = final_model(inputs)\n"
    "  model.compile(optimizer=tf.keras.optimizers.SGD(momentum=0.9), loss='mse')\n"
    "  return model",
    "model = define_and_compile_model()\nmodel.summary()",
    "EPOCHS = 50\n"
    "### START CODE HERE ###\n"
    "BATCH_SIZE = 64\n"
    "length_of_training_dataset = len(visualization_training_dataset)\n"
    "length_of_validation_dataset = len(visualization_validation_dataset)\n"
    "steps_per_epoch = length_of_training_dataset//BATCH_SIZE\n"
    "if length_of_training_dataset % BATCH_SIZE > 0:\n"
    "  steps_per_epoch += 1\n"
    "validation_steps = length_of_validation_dataset//BATCH_SIZE\n"
    "if length_of_validation_dataset % BATCH_SIZE > 0:\n"
    "  validation_steps += 1\n"
    "### END CODE HERE ###\n"
    "history = model.fit(training_dataset, steps_per_epoch=steps_per_epoch, validation_data=validation_dataset,\n"
    "                    validation_steps=validation_steps, epochs=EPOCHS)",
    "def intersection_over_union(pred_box, true_box):\n"
    "  xmin_pred, ymin_pred, xmax_pred, ymax_pred = np.split(pred_box, 4, axis=1)\n"
    "  xmin_true, ymin_true, xmax_true, ymax_true = np.split(true_box, 4, axis=1)\n"
    "  smoothing_factor = 1e-10\n"
    "  xmin_overlap = np.maximum(xmin_pred, xmin_true)\n"
    "  xmax_overlap = np.minimum(xmax_pred, xmax_true)\n"
    "  ymin_overlap = np.maximum(ymin_pred, ymin_true)\n"
    "  ymax_overlap = np.minimum(ymax_pred, ymax_true)\n"
    "  pred_box_area = (xmax_pred - xmin_pred) * (ymax_pred - ymin_pred)\n"
    "  true_box_area = (xmax_true - xmin_true) * (ymax_true - ymin_true)\n"
    "  overlap_area = np.maximum((xmax_overlap - xmin_overlap), 0) * np.maximum((ymax_overlap - ymin_overlap), 0)\n"
    "  union_area = (pred_box_area + true_box_area) - overlap_area\n"
    "  iou = (overlap_area + smoothing_factor) / (union_area + smoothing_factor)\n"
    "  return iou",
    "model.save('birds.h5')\nfiles.download('birds.h5')",
]
GRADED = ["feature_extractor", "dense_layers", "bounding_box_regression", "final_model",
          "define_and_compile_model", "compute_steps", "intersection_over_union"]


def _notebook(folder, cells=CELLS):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "C3W1_Assignment.ipynb"
    nodes = [new_markdown_cell(cells[0])] + [new_code_cell(source) for source in cells[1:]]
    nbformat.write(new_notebook(cells=nodes), str(path))
    return path


def test_course_notebook_gets_full_marks_with_its_top_level_steps_cell(tmp_path):
    result = grade(_notebook(tmp_path), "c3w1", exercises=GRADED)
    assert set(scores(result).values()) == {10}, feedback(result)
    left_out = "\n".join(result.left_out)
    assert "`history = model.fit(training_dataset" in left_out
    assert "`files.download('birds.h5')`" in left_out
    assert "`tensorflow_datasets` cannot be imported here" in "\n".join(result.load_problems)


def test_floor_division_in_the_steps_cell_costs_that_exercise_only(tmp_path):
    cells = [cell.replace("if length_of_training_dataset % BATCH_SIZE > 0:\n  steps_per_epoch += 1\n", "")
             for cell in CELLS]
    assert cells != CELLS
    result = grade(_notebook(tmp_path, cells), "c3w1", exercises=GRADED)
    got = scores(result)
    assert got["compute_steps"] == 0 and sum(got.values()) == 60, feedback(result)
    assert "compute_steps(3000, 3033, 64) returned (46, 48), expected (47, 48)" in feedback(result)["compute_steps"]


@pytest.mark.parametrize("style", ["nbconvert", "jupytext"])
def test_the_course_notebook_saved_as_a_script_is_graded_like_it(tmp_path, style):
    result = grade(saved_as_script(_notebook(tmp_path), tmp_path / "exported", style), "c3w1", exercises=GRADED)
    assert set(scores(result).values()) == {10}, feedback(result)
    assert "`history = model.fit(training_dataset" in "\n".join(result.left_out)

"""A solved C3W4 course notebook, as a learner hands it in from Colab, graded as it is.

Written here, not taken from the course: Colab lines, downloads, packages the
grader lacks, `do_salience` in two-space indentation that also shows the
superimposed picture with matplotlib, the classifier built at top level with
`Sequential()` and `model.add(...)` lines, the compile cell in Keras 2 spellings
(`lr=`, `metrics='accuracy'`), training, and top-level calls of do_salience on
files the grader does not have.
"""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import feedback, grade, saved_as_script, scores
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    "# Saliency maps",
    "try:\n  %tensorflow_version 2.x\nexcept:\n  pass",
    "!wget -q https://example.com/cat1.jpg\n!wget -q https://example.com/0_epochs.h5",
    "import tensorflow as tf\nimport tensorflow_datasets as tfds\nimport numpy as np\nimport cv2\n"
    "import matplotlib.pyplot as plt\nfrom tensorflow.keras.models import Sequential\n"
    "from tensorflow.keras.layers import Conv2D, MaxPooling2D, GlobalAveragePooling2D, Dense",
    "train_data = tfds.load('cats_vs_dogs', split='train[:80%]', as_supervised=True)",
    "def do_salience(image, model, label, prefix):\n"
    "  img = cv2.imread(image)\n"
    "  img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)\n"
    "  img = cv2.resize(img, (300, 300)) / 255.0\n"
    "  tensor_image = np.expand_dims(img, axis=0)\n"
    "  num_classes = 2\n"
    "  expected_output = tf.one_hot([label] * tensor_image.shape[0], num_classes)\n"
    "  with tf.GradientTape() as tape:\n"
    "    inputs = tf.cast(tensor_image, tf.float32)\n"
    "    tape.watch(inputs)\n"
    "    predictions = model(inputs)\n"
    "    loss = tf.keras.losses.categorical_crossentropy(expected_output, predictions)\n"
    "  gradients = tape.gradient(loss, inputs)\n"
    "  grayscale_tensor = tf.reduce_sum(tf.abs(gradients), axis=-1)\n"
    "  normalized_tensor = tf.cast(255 * (grayscale_tensor - tf.reduce_min(grayscale_tensor))\n"
    "                              / (tf.reduce_max(grayscale_tensor) - tf.reduce_min(grayscale_tensor)),\n"
    "                              tf.uint8)\n"
    "  normalized_tensor = tf.squeeze(normalized_tensor)\n"
    "  plt.figure(figsize=(8, 8))\n"
    "  plt.axis('off')\n"
    "  plt.imshow(normalized_tensor, cmap='gray')\n"
    "  plt.show()\n"
    "  gradient_color = cv2.applyColorMap(normalized_tensor.numpy(), cv2.COLORMAP_HOT)\n"
    "  gradient_color = gradient_color / 255.0\n"
    "  super_imposed = cv2.addWeighted(img, 0.5, gradient_color, 0.5, 0.0)\n"
    "  plt.imshow(super_imposed)\n"
    "  plt.show()\n"
    "  salient_image_name = prefix + image\n"
    "  normalized_tensor = tf.expand_dims(normalized_tensor, -1)\n"
    "  normalized_tensor = tf.io.encode_jpeg(normalized_tensor, quality=100, format='grayscale')\n"
    "  writer = tf.io.write_file(salient_image_name, normalized_tensor)",
    "model = Sequential()\n"
    "model.add(Conv2D(16, input_shape=(300, 300, 3), kernel_size=(3, 3), activation='relu', padding='same'))\n"
    "model.add(MaxPooling2D(pool_size=(2, 2)))\n"
    "model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', padding='same'))\n"
    "model.add(MaxPooling2D(pool_size=(2, 2)))\n"
    "model.add(Conv2D(64, kernel_size=(3, 3), activation='relu', padding='same'))\n"
    "model.add(MaxPooling2D(pool_size=(2, 2)))\n"
    "model.add(Conv2D(128, kernel_size=(3, 3), activation='relu', padding='same'))\n"
    "model.add(GlobalAveragePooling2D())\n"
    "model.add(Dense(2, activation='softmax'))\n"
    "model.summary()",
    "model.compile(loss='sparse_categorical_crossentropy', metrics='accuracy',\n"
    "              optimizer=tf.keras.optimizers.RMSprop(lr=0.001))",
    "model.load_weights('0_epochs.h5')\n"
    "model.fit(train_batches, epochs=3)",
    "do_salience('cat1.jpg', model, 0, 'epoch0_salient')",
]
GRADED = ["do_salience", "build_classifier", "compile_model"]


def _notebook(folder, cells=CELLS):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "C3W4_Assignment.ipynb"
    nodes = [new_markdown_cell(cells[0])] + [new_code_cell(source) for source in cells[1:]]
    nbformat.write(new_notebook(cells=nodes), str(path))
    return path


def test_course_notebook_gets_full_marks_with_its_top_level_model_cells(tmp_path):
    result = grade(_notebook(tmp_path), "c3w4", exercises=GRADED)
    assert scores(result) == {"do_salience": 30, "build_classifier": 20, "compile_model": 20}, feedback(result)
    left_out = "\n".join(result.left_out)
    assert "model.fit(train_batches" in left_out
    assert "do_salience('cat1.jpg', model, 0, 'epoch0_salient')" in left_out
    assert "`tensorflow_datasets` cannot be imported here" in "\n".join(result.load_problems)
    notes = "\n".join(note for exercise in result.exercises for note in exercise.notes)
    assert "`lr=`" in notes and "metrics='accuracy'" in notes


def test_a_notebook_that_leaves_the_picture_in_bgr_loses_do_salience_only(tmp_path):
    cells = [cell.replace("  img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)\n", "") for cell in CELLS]
    assert cells != CELLS
    result = grade(_notebook(tmp_path, cells), "c3w4", exercises=GRADED)
    got = scores(result)
    assert got == {"do_salience": 0, "build_classifier": 20, "compile_model": 20}, feedback(result)
    assert "cv2.imread gives the colours in BGR order" in feedback(result)["do_salience"]


@pytest.mark.parametrize("style", ["nbconvert", "jupytext"])
def test_the_course_notebook_saved_as_a_script_is_graded_like_it(tmp_path, style):
    result = grade(saved_as_script(_notebook(tmp_path), tmp_path / "exported", style), "c3w4", exercises=GRADED)
    assert scores(result) == {"do_salience": 30, "build_classifier": 20, "compile_model": 20}, feedback(result)
    assert "model.fit(train_batches" in "\n".join(result.left_out)

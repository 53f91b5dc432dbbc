"""The C3W2-L4 lab notebook, as the lab writes it (written here, not taken from the course), graded as
it is: its top-level cells become the graded steps (config, build, restore and dummy pass share one
cell; the selection, the factory, the optimizer and the training loop the next), its defs are
graded as they are, and it gets full marks, the fine-tuning run on the hidden frames included."""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import feedback, grade, saved_as_script, scores
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from graders.shared.registry import assignment

SUITE = assignment("c3w2_l4")
FULL = {e.id: e.points for e in SUITE.exercises}

IMPORTS = """import matplotlib
import matplotlib.pyplot as plt

import os
import random
import io
import imageio
import glob
import scipy.misc
import numpy as np
from six import BytesIO
from PIL import Image, ImageDraw, ImageFont
from IPython.display import display, Javascript
from IPython.display import Image as IPyImage

import tensorflow as tf

from object_detection.utils import label_map_util
from object_detection.utils import config_util
from object_detection.utils import visualization_utils as viz_utils
from object_detection.utils import colab_utils
from object_detection.builders import model_builder

%matplotlib inline"""

HELPERS = """def load_image_into_numpy_array(path):
  img_data = tf.io.gfile.GFile(path, 'rb').read()
  image = Image.open(BytesIO(img_data))
  (im_width, im_height) = image.size
  return np.array(image.getdata()).reshape(
      (im_height, im_width, 3)).astype(np.uint8)

def plot_detections(image_np, boxes, classes, scores, category_index, figsize=(12, 16), image_name=None):
  image_np_with_annotations = image_np.copy()
  viz_utils.visualize_boxes_and_labels_on_image_array(
      image_np_with_annotations, boxes, classes, scores, category_index,
      use_normalized_coordinates=True, min_score_thresh=0.8)
  if image_name:
    plt.imsave(image_name, image_np_with_annotations)
  else:
    plt.imshow(image_np_with_annotations)"""

LOAD_IMAGES = """train_image_dir = 'models/research/object_detection/test_images/ducky/train/'
train_images_np = []
for i in range(1, 6):
  image_path = os.path.join(train_image_dir, 'robertducky' + str(i) + '.jpg')
  train_images_np.append(load_image_into_numpy_array(image_path))"""

BOXES = """gt_boxes = [
            np.array([[0.459, 0.212, 0.8, 0.539]], dtype=np.float32),
            np.array([[0.441, 0.549, 0.698, 0.794]], dtype=np.float32),
            np.array([[0.48, 0.339, 0.9, 0.775]], dtype=np.float32),
            np.array([[0.322, 0.614, 0.62, 0.926]], dtype=np.float32),
            np.array([[0.33, 0.206, 0.55, 0.41]], dtype=np.float32)
]"""

PREPARE = """duck_class_id = 1
num_classes = 1

category_index = {duck_class_id: {'id': duck_class_id, 'name': 'rubber_ducky'}}

label_id_offset = 1
train_image_tensors = []
gt_classes_one_hot_tensors = []
gt_box_tensors = []
for (train_image_np, gt_box_np) in zip(train_images_np, gt_boxes):
  train_image_tensors.append(tf.expand_dims(tf.convert_to_tensor(train_image_np, dtype=tf.float32), axis=0))
  gt_box_tensors.append(tf.convert_to_tensor(gt_box_np, dtype=tf.float32))
  zero_indexed_groundtruth_classes = tf.convert_to_tensor(
      np.ones(shape=[gt_box_np.shape[0]], dtype=np.int32) - label_id_offset)
  gt_classes_one_hot_tensors.append(tf.one_hot(zero_indexed_groundtruth_classes, num_classes))
print('Done prepping data.')"""

BUILD_AND_RESTORE = """tf.keras.backend.clear_session()

print('Building model and restoring weights for fine-tuning...', flush=True)
num_classes = 1
pipeline_config = 'models/research/object_detection/configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config'
checkpoint_path = 'models/research/object_detection/test_data/checkpoint/ckpt-0'

# Load pipeline config and build a detection model.
configs = config_util.get_configs_from_pipeline_file(pipeline_config)
model_config = configs['model']
model_config.ssd.num_classes = num_classes
model_config.ssd.freeze_batchnorm = True
detection_model = model_builder.build(
      model_config=model_config, is_training=True)

fake_box_predictor = tf.compat.v2.train.Checkpoint(
    _base_tower_layers_for_heads=detection_model._box_predictor._base_tower_layers_for_heads,
    # _prediction_heads=detection_model._box_predictor._prediction_heads,
    #    (i.e., the classification head that we *will not* restore)
    _box_prediction_head=detection_model._box_predictor._box_prediction_head,
    )
fake_model = tf.compat.v2.train.Checkpoint(
          _feature_extractor=detection_model._feature_extractor,
          _box_predictor=fake_box_predictor)
ckpt = tf.compat.v2.train.Checkpoint(model=fake_model)
ckpt.restore(checkpoint_path).expect_partial()

# Run model through a dummy image so that variables are created
image, shapes = detection_model.preprocess(tf.zeros([1, 640, 640, 3]))
prediction_dict = detection_model.predict(image, shapes)
_ = detection_model.postprocess(prediction_dict, shapes)
print('Weights restored!')"""

FINE_TUNE = """tf.keras.backend.set_learning_phase(True)

batch_size = 4
learning_rate = 0.01
num_batches = 100

# Select variables in top layers to fine-tune.
trainable_variables = detection_model.trainable_variables
to_fine_tune = []
prefixes_to_train = [
  'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead',
  'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead']
for var in trainable_variables:
  if any([var.name.startswith(prefix) for prefix in prefixes_to_train]):
    to_fine_tune.append(var)

# Set up forward + backward pass for a single train step.
def get_model_train_step_function(model, optimizer, vars_to_fine_tune):
  \"\"\"Get a tf.function for training step.\"\"\"

  @tf.function
  def train_step_fn(image_tensors,
                    groundtruth_boxes_list,
                    groundtruth_classes_list):
    shapes = tf.constant(batch_size * [[640, 640, 3]], dtype=tf.int32)
    model.provide_groundtruth(
        groundtruth_boxes_list=groundtruth_boxes_list,
        groundtruth_classes_list=groundtruth_classes_list)
    with tf.GradientTape() as tape:
      preprocessed_images = tf.concat(
          [detection_model.preprocess(image_tensor)[0]
           for image_tensor in image_tensors], axis=0)
      prediction_dict = model.predict(preprocessed_images, shapes)
      losses_dict = model.loss(prediction_dict, shapes)
      total_loss = losses_dict['Loss/localization_loss'] + losses_dict['Loss/classification_loss']
      gradients = tape.gradient(total_loss, vars_to_fine_tune)
      optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))
    return total_loss

  return train_step_fn

optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
train_step_fn = get_model_train_step_function(
    detection_model, optimizer, to_fine_tune)

print('Start fine-tuning!', flush=True)
for idx in range(num_batches):
  all_keys = list(range(len(train_images_np)))
  random.shuffle(all_keys)
  example_keys = all_keys[:batch_size]

  gt_boxes_list = [gt_box_tensors[key] for key in example_keys]
  gt_classes_list = [gt_classes_one_hot_tensors[key] for key in example_keys]
  image_tensors = [train_image_tensors[key] for key in example_keys]

  total_loss = train_step_fn(image_tensors, gt_boxes_list, gt_classes_list)

  if idx % 10 == 0:
    print('batch ' + str(idx) + ' of ' + str(num_batches)
    + ', loss=' +  str(total_loss.numpy()), flush=True)

print('Done fine-tuning!')"""

TEST_IMAGES = """test_image_dir = 'models/research/object_detection/test_images/ducky/test/'
test_images_np = []
for i in range(1, 50):
  image_path = os.path.join(test_image_dir, 'out' + str(i) + '.jpg')
  test_images_np.append(np.expand_dims(
      load_image_into_numpy_array(image_path), axis=0))

# Again, uncomment this decorator if you want to run inference eagerly
@tf.function
def detect(input_tensor):
  \"\"\"Run detection on an input image.\"\"\"
  preprocessed_image, shapes = detection_model.preprocess(input_tensor)
  prediction_dict = detection_model.predict(preprocessed_image, shapes)
  return detection_model.postprocess(prediction_dict, shapes)

label_id_offset = 1
for i in range(len(test_images_np)):
  input_tensor = tf.convert_to_tensor(test_images_np[i], dtype=tf.float32)
  detections = detect(input_tensor)
  plot_detections(
      test_images_np[i][0],
      detections['detection_boxes'][0].numpy(),
      detections['detection_classes'][0].numpy().astype(np.uint32)
      + label_id_offset,
      detections['detection_scores'][0].numpy(),
      category_index, figsize=(15, 20), image_name="gif_frame_" + ('%02d' % i) + ".jpg")"""

CELLS = (("md", "# Eager Few Shot Object Detection"), ("code", IMPORTS), ("code", HELPERS), ("code", LOAD_IMAGES),
         ("code", "gt_boxes = []\ncolab_utils.annotate(train_images_np, box_storage=gt_boxes)"), ("code", BOXES),
         ("code", PREPARE), ("code", "!wget http://download.tensorflow.org/models/object_detection/tf2/20200711/"
                                     "ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.tar.gz"),
         ("code", BUILD_AND_RESTORE), ("code", FINE_TUNE), ("code", TEST_IMAGES))


def write_lab_notebook(folder, cells=CELLS, name: str = "C3W2_Lab_4_Eager_Few_Shot_Object_Detection.ipynb"):
    folder.mkdir(parents=True, exist_ok=True)
    nodes = [new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in cells]
    path = folder / name
    nbformat.write(new_notebook(cells=nodes), str(path))
    return path


def test_the_lab_notebook_gets_full_marks(tmp_path):
    result = grade(write_lab_notebook(tmp_path / "learner").parent, "c3w2_l4")
    assert scores(result) == FULL, feedback(result)


@pytest.mark.parametrize("style", ["nbconvert", "percent"])
def test_the_lab_notebook_exported_as_a_script_grades_the_same(tmp_path, style):
    notebook = write_lab_notebook(tmp_path / "notebook")
    script = saved_as_script(notebook, tmp_path / "script", style)
    steps = [e for e in FULL if e != "fine_tuned"]
    result = grade(script, "c3w2_l4", exercises=steps)
    assert scores(result) == {e: FULL[e] for e in steps}, feedback(result)


def test_a_notebook_whose_selection_keeps_the_class_head_out_loses_its_points(tmp_path):
    cells = tuple((kind, text.replace(",\n  'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead'",
                                      "")) for kind, text in CELLS)
    assert cells != CELLS
    result = grade(write_lab_notebook(tmp_path / "learner", cells).parent, "c3w2_l4",
                   exercises=["select_variables", "restore_weights"])
    got, said = scores(result), feedback(result)
    assert got == {"select_variables": 0, "restore_weights": FULL["restore_weights"]}, said
    assert said["select_variables"].startswith("fine-tune the class head too"), said["select_variables"]

"""The C3W2 course notebook, cell by cell, as the tests write it (written here, not taken from
the course): the notebook-reading tests and the end-to-end grading tests share it."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

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
import pickle

print('TensorFlow version', tf.__version__)"""

OD_IMPORTS = """from object_detection.utils import label_map_util
from object_detection.utils import config_util
from object_detection.utils import visualization_utils as viz_utils
from object_detection.utils import colab_utils
from object_detection.builders import model_builder

%matplotlib inline"""

INSTALL = """!git clone --depth 1 https://github.com/tensorflow/models
!sudo apt install -y protobuf-compiler
%cd models/research/
!protoc object_detection/protos/*.proto --python_out=.
!cp object_detection/packages/tf2/setup.py .
!python -m pip install ."""

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

LOAD_IMAGES = """train_image_dir = './training'
train_images_np = []
for i in range(1, 6):
  image_path = os.path.join(train_image_dir, 'training-zombie' + str(i) + '.jpg')
  train_images_np.append(load_image_into_numpy_array(image_path))

plt.rcParams['axes.grid'] = False
plt.rcParams['figure.figsize'] = [14, 7]
for idx, train_image_np in enumerate(train_images_np):
  plt.subplot(1, 5, idx+1)
  plt.imshow(train_image_np)
plt.show()"""

ANNOTATE = """gt_boxes = []
colab_utils.annotate(train_images_np, box_storage=gt_boxes)"""

REF_BOXES = """ref_gt_boxes = [
        np.array([[0.27333333, 0.41500586, 0.74333333, 0.57678781]]),
        np.array([[0.29833333, 0.45955451, 0.75666667, 0.61078546]]),
        np.array([[0.40833333, 0.18288394, 0.945, 0.34818288]]),
        np.array([[0.16166667, 0.61899179, 0.8, 0.91910903]]),
        np.array([[0.28833333, 0.12543962, 0.835, 0.35052755]]),
      ]

gt_boxes = ref_gt_boxes"""

CATEGORY = """zombie_class_id = 1
### START CODE HERE (Replace instances of `None` with your code) ###
category_index = {zombie_class_id: {'id': zombie_class_id, 'name': 'zombie'}}
### END CODE HERE ###
num_classes = 1"""

DATA_PREP = """label_id_offset = 1
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

DOWNLOAD = """!wget http://download.tensorflow.org/models/object_detection/tf2/20200711/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.tar.gz
!tar -xf ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.tar.gz
!mv ssd_resnet50_v1_fpn_640x640_coco17_tpu-8/checkpoint models/research/object_detection/test_data/"""

EX5_1 = """tf.keras.backend.clear_session()

### START CODE HERE ###
pipeline_config = 'models/research/object_detection/configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config'
configs = config_util.get_configs_from_pipeline_file(pipeline_config)
### END CODE HERE ###"""

EX5_2 = """### START CODE HERE ###
model_config = configs['model']
### END CODE HERE ###"""

EX5_3 = """### START CODE HERE ###
model_config.ssd.num_classes = num_classes
model_config.ssd.freeze_batchnorm = True
### END CODE HERE ###"""

EX5_4 = """detection_model = model_builder.build(model_config=model_config, is_training=True)"""

EX6_1 = """tmp_box_predictor_checkpoint = tf.train.Checkpoint(
    _base_tower_layers_for_heads=detection_model._box_predictor._base_tower_layers_for_heads,
    _box_prediction_head=detection_model._box_predictor._box_prediction_head)"""

EX6_2 = """tmp_model_checkpoint = tf.train.Checkpoint(
    _feature_extractor=detection_model._feature_extractor,
    _box_predictor=tmp_box_predictor_checkpoint)"""

EX6_3 = """checkpoint_path = 'models/research/object_detection/test_data/checkpoint/ckpt-0'
checkpoint = tf.train.Checkpoint(model=tmp_model_checkpoint)
checkpoint.restore(checkpoint_path)"""

EX7 = """tmp_image, tmp_shapes = detection_model.preprocess(tf.zeros([1, 640, 640, 3]))
tmp_prediction_dict = detection_model.predict(tmp_image, tmp_shapes)
tmp_detections = detection_model.postprocess(tmp_prediction_dict, tmp_shapes)
print('Weights restored!')"""

EX8 = """tf.keras.backend.set_learning_phase(True)

### START CODE HERE ###
batch_size = 4
num_batches = 100
learning_rate = 0.01
optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
### END CODE HERE ###"""

TRAINABLES = """trainable_variables = detection_model.trainable_variables
for v in trainable_variables:
  print(v.name)"""

EX9 = """to_fine_tune = []
prefixes_to_train = [
  'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead',
  'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead']
for var in trainable_variables:
  if any([var.name.startswith(prefix) for prefix in prefixes_to_train]):
    to_fine_tune.append(var)"""

EX10 = """@tf.function
def train_step_fn(image_list, groundtruth_boxes_list, groundtruth_classes_list, model, optimizer,
                  vars_to_fine_tune):
  model.provide_groundtruth(groundtruth_boxes_list=groundtruth_boxes_list,
                            groundtruth_classes_list=groundtruth_classes_list)
  with tf.GradientTape() as tape:
    preprocessed_image_list = []
    true_shape_list = []
    for img in image_list:
      processed_img, true_shape = model.preprocess(img)
      preprocessed_image_list.append(processed_img)
      true_shape_list.append(true_shape)
    preprocessed_image_tensor = tf.concat(preprocessed_image_list, axis=0)
    true_shape_tensor = tf.concat(true_shape_list, axis=0)
    prediction_dict = model.predict(preprocessed_image_tensor, true_shape_tensor)
    losses_dict = model.loss(prediction_dict, true_shape_tensor)
    total_loss = losses_dict['Loss/localization_loss'] + losses_dict['Loss/classification_loss']
    gradients = tape.gradient(total_loss, vars_to_fine_tune)
    optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))
  return total_loss"""

TRAIN_LOOP = """print('Start fine-tuning!', flush=True)
for idx in range(num_batches):
  all_keys = list(range(len(train_images_np)))
  random.shuffle(all_keys)
  example_keys = all_keys[:batch_size]
  gt_boxes_list = [gt_box_tensors[key] for key in example_keys]
  gt_classes_list = [gt_classes_one_hot_tensors[key] for key in example_keys]
  image_tensors = [train_image_tensors[key] for key in example_keys]
  total_loss = train_step_fn(image_tensors, gt_boxes_list, gt_classes_list, detection_model, optimizer,
                             to_fine_tune)
  if idx % 10 == 0:
    print('batch ' + str(idx) + ' of ' + str(num_batches) + ', loss=' + str(total_loss.numpy()), flush=True)
print('Done fine-tuning!')"""

TEST_IMAGES = """test_image_dir = './results/'
test_images_np = []
for i in range(0, 237):
  image_path = os.path.join(test_image_dir, 'zombie-walk' + "{0:04}".format(i) + '.jpg')
  test_images_np.append(np.expand_dims(load_image_into_numpy_array(image_path), axis=0))"""

EX11 = """@tf.function
def detect(input_tensor):
  preprocessed_image, shapes = detection_model.preprocess(input_tensor)
  prediction_dict = detection_model.predict(preprocessed_image, shapes)
  detections = detection_model.postprocess(prediction_dict, shapes)
  return detections"""

RESULTS = """label_id_offset = 1
results = {'boxes': [], 'scores': []}
for i in range(len(test_images_np)):
  input_tensor = tf.convert_to_tensor(test_images_np[i], dtype=tf.float32)
  detections = detect(input_tensor)
  plot_detections(test_images_np[i][0], detections['detection_boxes'][0].numpy(),
                  detections['detection_classes'][0].numpy().astype(np.uint32) + label_id_offset,
                  detections['detection_scores'][0].numpy(), category_index, figsize=(15, 20),
                  image_name="./results/gif_frame_" + ('%03d' % i) + ".jpg")
  results['boxes'].append(detections['detection_boxes'][0][0].numpy())
  results['scores'].append(detections['detection_scores'][0][0].numpy())
pickle.dump(results['boxes'], open('results.data', 'wb'))"""

# (key, source); a key starting with "md" is a markdown cell
COURSE = (
    ("md_title", "# Week 2 Assignment: Zombie Detection"),
    ("imports", IMPORTS),
    ("install", INSTALL),
    ("od_imports", OD_IMPORTS),
    ("helpers", HELPERS),
    ("load_images", LOAD_IMAGES),
    ("annotate", ANNOTATE),
    ("ref_boxes", REF_BOXES),
    ("md_ex3", "## Exercise 3: Define the category index dictionary"),
    ("category", CATEGORY),
    ("data_prep", DATA_PREP),
    ("download", DOWNLOAD),
    ("md_ex5", "## Exercise 5.1: Locate and read from the configuration file"),
    ("ex5_1", EX5_1),
    ("configs", "configs"),
    ("ex5_2", EX5_2),
    ("ex5_3", EX5_3),
    ("print_config", "print(model_config)"),
    ("ex5_4", EX5_4),
    ("print_type", "print(type(detection_model))"),
    ("box_predictor", "vars(detection_model._box_predictor)"),
    ("md_ex6", "## Exercise 6: Restore weights from the checkpoint"),
    ("ex6_1", EX6_1),
    ("ex6_2", EX6_2),
    ("ex6_3", EX6_3),
    ("ex7", EX7),
    ("count_trainables", "len(detection_model.trainable_variables)"),
    ("ex8", EX8),
    ("trainables", TRAINABLES),
    ("ex9", EX9),
    ("print_fine_tune", "for v in to_fine_tune:\n  print(v.name)"),
    ("ex10", EX10),
    ("train_loop", TRAIN_LOOP),
    ("test_images", TEST_IMAGES),
    ("ex11", EX11),
    ("results", RESULTS),
)


def course(**changes) -> list[tuple[str, str]]:
    """The course notebook's cells with some replaced: `key=source`, `key=[sources]` (several
    cells in its place) or `key=None` (left out)."""
    cells: list[tuple[str, str]] = []
    for key, source in COURSE:
        replacement = changes.pop(key, source)
        if replacement is None:
            continue
        for index, text in enumerate([replacement] if isinstance(replacement, str) else replacement):
            cells.append((key if index == 0 else f"{key}_{index}", text))
    assert not changes, f"no such cells: {sorted(changes)}"
    return cells


def cell_number(cells: list[tuple[str, str]], key: str) -> int:
    """The notebook number (from 1, markdown cells counted) of a cell."""
    return next(number for number, (k, _) in enumerate(cells, start=1) if k == key)


def write_notebook(tmp_path: Path, cells: list[tuple[str, str]], name: str = "C3W2_Assignment.ipynb") -> Path:
    nodes = [new_markdown_cell(source) if key.startswith("md") else new_code_cell(source) for key, source in cells]
    path = tmp_path / name
    nbformat.write(new_notebook(cells=nodes), str(path))
    return path

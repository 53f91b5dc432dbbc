"""Lab C3W2-L3: the TF Hub object detection colab, with a detector of the TF2 zoo (practice exercise).

The colab loads a detector of the TensorFlow 2 Detection Model Zoo from TF Hub, calls it
directly on a uint8 batch of one image, and draws what it found with the Object Detection
API's `viz_utils`. The zoo's detectors return batched outputs, with 1-based COCO class ids.

The grader works offline: it hands `detect` a model loaded from a local SavedModel with the
zoo's interface (the project's own small detector of six classes, not a COCO model), which
`hub.load` reads like any hub handle. MODEL_HANDLE is one of the colab's models, for your own
runs with a network.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w2_l3.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import io

import numpy as np
import tensorflow as tf
from PIL import Image

from object_detection.utils import visualization_utils as viz_utils

MODEL_HANDLE = "https://tfhub.dev/tensorflow/centernet/hourglass_512x512/1"
LABEL_ID_OFFSET = 0  # the hub detectors' classes are 1-based already, as the label map's ids
MIN_SCORE_THRESH = 0.30
MAX_BOXES_TO_DRAW = 200


def load_image_into_numpy_array(path):
    """The image file at `path` (JPEG or PNG, RGB) as the detector takes it.

    Returns:
        A uint8 numpy array of shape (1, height, width, 3).
    """
    ### START CODE HERE ###
    raise NotImplementedError("load_image_into_numpy_array")
    ### END CODE HERE ###


def detect(hub_model, image_np):
    """Call `hub_model` on the uint8 batch `image_np` and turn every output into a numpy array.

    Returns:
        A dictionary of numpy arrays, batched as the model returns them: `detection_boxes`
        (1, 100, 4), `detection_scores` (1, 100), `detection_classes` (1, 100), ...
    """
    ### START CODE HERE ###
    raise NotImplementedError("detect")
    ### END CODE HERE ###


def draw_detections(image_np, result, category_index):
    """The image with the detections drawn by `viz_utils.visualize_boxes_and_labels_on_image_array`,
    as the colab draws them: normalised coordinates, classes offset by LABEL_ID_OFFSET, at most
    MAX_BOXES_TO_DRAW boxes scoring at least MIN_SCORE_THRESH, not class-agnostic. Draw on a copy:
    `image_np` stays as it was.

    Args:
        image_np: a uint8 batch of one image (1, height, width, 3).
        result: what `detect` returns.
        category_index: {class id: {'id': ..., 'name': ...}}.

    Returns:
        A uint8 array (height, width, 3).
    """
    ### START CODE HERE ###
    raise NotImplementedError("draw_detections")
    ### END CODE HERE ###

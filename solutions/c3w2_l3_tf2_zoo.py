"""Lab C3W2-L3 "The TF Hub object detection colab (the TF2 zoo)": reference solutions."""

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
    image_data = tf.io.gfile.GFile(path, "rb").read()
    image = Image.open(io.BytesIO(image_data))
    (im_width, im_height) = image.size
    return np.array(image.getdata()).reshape((1, im_height, im_width, 3)).astype(np.uint8)


def detect(hub_model, image_np):
    """Call `hub_model` on the uint8 batch `image_np` and turn every output into a numpy array.

    Returns:
        A dictionary of numpy arrays, batched as the model returns them: `detection_boxes`
        (1, 100, 4), `detection_scores` (1, 100), `detection_classes` (1, 100), ...
    """
    results = hub_model(image_np)
    result = {key: value.numpy() for key, value in results.items()}
    return result


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
    image_np_with_detections = image_np.copy()
    viz_utils.visualize_boxes_and_labels_on_image_array(
        image_np_with_detections[0],
        result["detection_boxes"][0],
        (result["detection_classes"][0] + LABEL_ID_OFFSET).astype(int),
        result["detection_scores"][0],
        category_index,
        use_normalized_coordinates=True,
        max_boxes_to_draw=MAX_BOXES_TO_DRAW,
        min_score_thresh=MIN_SCORE_THRESH,
        agnostic_mode=False)
    return image_np_with_detections[0]

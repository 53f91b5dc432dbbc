"""Lab C3W3-L3 "Mask R-CNN instance segmentation": reference solutions."""

import numpy as np
import tensorflow as tf

from object_detection.utils import ops as utils_ops

MODEL_HANDLE = "https://tfhub.dev/tensorflow/mask_rcnn/inception_resnet_v2_1024x1024/1"
MASK_THRESHOLD = 0.6  # a pixel belongs to an instance where its reframed mask is above this


def run_inference(hub_model, image_np):
    """Call `hub_model` on the single image `image_np`, a uint8 batch of one (1, height, width, 3),
    and turn every output into a numpy array.

    Returns:
        A dictionary of numpy arrays, batched as the model returns them: `detection_boxes`
        (1, 100, 4), `detection_masks` (1, 100, 33, 33), `detection_scores` (1, 100), ...
    """
    results = hub_model(image_np)
    result = {key: value.numpy() for key, value in results.items()}
    return result


def reframe_masks(result, image_np):
    """The instance masks of `result` (what `run_inference` returns) as masks of the whole image.

    Paste each box-local mask of the first (only) image into an image of `image_np`'s height and
    width with `utils_ops.reframe_box_masks_to_image_masks`, keep the pixels above MASK_THRESHOLD,
    and store the masks in `result['detection_masks_reframed']`, as the lab does.

    Returns:
        A uint8 numpy array (number of detections, height, width) of 0s and 1s.
    """
    detection_masks = tf.convert_to_tensor(result["detection_masks"][0])
    detection_boxes = tf.convert_to_tensor(result["detection_boxes"][0])
    detection_masks_reframed = utils_ops.reframe_box_masks_to_image_masks(
        detection_masks, detection_boxes, image_np.shape[1], image_np.shape[2])
    detection_masks_reframed = tf.cast(detection_masks_reframed > MASK_THRESHOLD, np.uint8)
    result["detection_masks_reframed"] = detection_masks_reframed.numpy()
    return result["detection_masks_reframed"]

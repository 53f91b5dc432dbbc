"""Lab C3W3-L3: instance segmentation with a Mask R-CNN from TF Hub (practice exercise).

The lab runs a Mask R-CNN (Inception ResNet V2, 1024x1024) from TF Hub on one image and
draws its instance masks. The model returns, for each of its 100 detections, a box and a
33x33 mask that covers that box only; the lab pastes each mask into the whole image with the
Object Detection API's `reframe_box_masks_to_image_masks` and keeps the pixels above 0.6.

The grader works offline: it hands `run_inference` a model loaded from a local SavedModel with
the hub Mask R-CNN's interface (the project's own small detector of six classes, whose masks
come from the colours in each box), which `hub.load` reads like any hub handle. MODEL_HANDLE
is the lab's model, for your own runs with a network.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w3_l3.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

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
    ### START CODE HERE ###
    raise NotImplementedError("run_inference")
    ### END CODE HERE ###


def reframe_masks(result, image_np):
    """The instance masks of `result` (what `run_inference` returns) as masks of the whole image.

    Paste each box-local mask of the first (only) image into an image of `image_np`'s height and
    width with `utils_ops.reframe_box_masks_to_image_masks`, keep the pixels above MASK_THRESHOLD,
    and store the masks in `result['detection_masks_reframed']`, as the lab does.

    Returns:
        A uint8 numpy array (number of detections, height, width) of 0s and 1s.
    """
    ### START CODE HERE ###
    raise NotImplementedError("reframe_masks")
    ### END CODE HERE ###

"""Lab C3W2-L1: simple object detection with a TF Hub detector (practice exercise).

The lab loads an OpenImages v4 detector from TF Hub, runs it on a photograph and reads
its outputs: boxes, scores and the names of the objects found.

The grader works offline: it passes `load_detector` the handle of a local SavedModel with
the OpenImages modules' signature (the project's own small detector of six classes, not the
600-class OpenImages one), which `hub.load` reads like any hub handle. MODULE_HANDLE is the
course's model, for your own runs with a network.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w2_l1.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import time

import tensorflow as tf
import tensorflow_hub as hub

MODULE_HANDLE = "https://tfhub.dev/google/openimages_v4/ssd/mobilenet_v2/1"


def load_detector(handle):
    """The detector at `handle`: its 'default' signature, loaded with `hub.load(handle)`.

    Returns:
        The signature: a callable taking float32 images (1, height, width, 3) in [0, 1] and
        returning a dictionary of tensors.
    """
    ### START CODE HERE ###
    raise NotImplementedError("load_detector")
    ### END CODE HERE ###


def load_img(path):
    """The JPEG image at `path`, decoded with TensorFlow.

    Returns:
        A uint8 tensor of shape (height, width, 3), in RGB, even for a greyscale JPEG.
    """
    ### START CODE HERE ###
    raise NotImplementedError("load_img")
    ### END CODE HERE ###


def run_detector(detector, path):
    """Run `detector` on the image at `path` and return what it found.

    Load the image with `load_img`, convert it to float32 in [0, 1] with a batch axis of one,
    call the detector, and turn every output into a numpy array. Print how many objects were
    found and how long the detector took, as the lab does.

    Returns:
        A dictionary of numpy arrays, one per output of the detector: `detection_boxes`
        (100, 4), `detection_scores` (100,), `detection_class_entities` (100,) bytes, ...
    """
    ### START CODE HERE ###
    raise NotImplementedError("run_detector")
    ### END CODE HERE ###

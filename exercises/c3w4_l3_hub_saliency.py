"""Lab C3W4-L3: saliency with a TF Hub classifier (practice exercise).

An InceptionV3 classifier from TF Hub (1001 classes, 299x299 images in [0, 1])
is asked which pixels matter: the gradient of its loss for one class with
respect to the image, shown as a grey map.

The grader works offline: it passes `load_classifier` the handle of a local
SavedModel with the hub model's signature (a small CNN, not InceptionV3), which
`hub.load` reads like any hub handle. MODEL_HANDLE is the real model, for your
own runs with a network.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w4_l3.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import cv2
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

IMAGE_SIZE = 299
NUM_CLASSES = 1001  # ImageNet's 1000 classes and "background" at index 0
MODEL_HANDLE = "https://tfhub.dev/google/tf2-preview/inception_v3/classification/4"


def load_classifier(handle):
    """The InceptionV3 classifier at `handle`, loaded with `hub.load(handle)`.

    The hub model returns logits; the lab wants probabilities, so the classifier
    returned applies a softmax over the 1001 classes.

    Returns:
        A callable: float32 images (batch, 299, 299, 3) in [0, 1] -> (batch, 1001) probabilities.
    """
    ### START CODE HERE ###
    raise NotImplementedError("load_classifier")
    ### END CODE HERE ###


def preprocess(image):
    """An RGB image (uint8, height x width x 3, any size) as the classifier takes it: resized to
    299x299, scaled to [0, 1], float32, with a batch axis.

    Returns:
        A float32 array of shape (1, 299, 299, 3).
    """
    ### START CODE HERE ###
    raise NotImplementedError("preprocess")
    ### END CODE HERE ###


def saliency_map(classifier, image, class_index):
    """Where the classifier's loss for `class_index` is most sensitive to the pixels.

    The loss is the categorical cross-entropy between the one-hot vector of `class_index`
    (1001 classes) and the classifier's probabilities; the map is the gradient of the loss
    with respect to the image, its absolute values summed over the colour channels, then
    min-max normalised to [0, 255].

    Args:
        classifier: what `load_classifier` returns.
        image: one preprocessed image, float32 (1, 299, 299, 3) in [0, 1].
        class_index: the class to explain.

    Returns:
        A uint8 array of shape (299, 299).
    """
    ### START CODE HERE ###
    raise NotImplementedError("saliency_map")
    ### END CODE HERE ###

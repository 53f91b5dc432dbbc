"""Lab C3W2-L1 "Simple object detection with TF Hub": reference solutions."""

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
    module = hub.load(handle)
    return module.signatures["default"]


def load_img(path):
    """The JPEG image at `path`, decoded with TensorFlow.

    Returns:
        A uint8 tensor of shape (height, width, 3), in RGB, even for a greyscale JPEG.
    """
    img = tf.io.read_file(path)
    img = tf.image.decode_jpeg(img, channels=3)
    return img


def run_detector(detector, path):
    """Run `detector` on the image at `path` and return what it found.

    Load the image with `load_img`, convert it to float32 in [0, 1] with a batch axis of one,
    call the detector, and turn every output into a numpy array. Print how many objects were
    found and how long the detector took, as the lab does.

    Returns:
        A dictionary of numpy arrays, one per output of the detector: `detection_boxes`
        (100, 4), `detection_scores` (100,), `detection_class_entities` (100,) bytes, ...
    """
    img = load_img(path)
    converted_img = tf.image.convert_image_dtype(img, tf.float32)[tf.newaxis, ...]
    start_time = time.time()
    result = detector(converted_img)
    end_time = time.time()
    result = {key: value.numpy() for key, value in result.items()}
    print("Found %d objects." % len(result["detection_scores"]))
    print("Inference time: ", end_time - start_time)
    return result

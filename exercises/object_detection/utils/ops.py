"""Mask operations with the Object Detection API's names (the Mask R-CNN lab imports it as `utils_ops`)."""

from __future__ import annotations

import tensorflow as tf

_EPSILON = 1e-7  # keeps a box of zero height or width from dividing by zero


def reframe_box_masks_to_image_masks(box_masks, boxes, image_height, image_width, resize_method="bilinear"):
    """Paste box-local masks into whole-image masks.

    Args:
        box_masks: [N, mask_height, mask_width] float masks, each covering its own box.
        boxes: [N, 4] normalised (ymin, xmin, ymax, xmax) boxes of the masks.
        image_height, image_width: the size of the image masks.

    Returns:
        [N, image_height, image_width] float32 masks, zero outside each box.

    Each mask is resampled over the whole image as seen from its box: the image's corners,
    written in the box's own normalised coordinates, are the crop that `crop_and_resize` takes
    from the mask, and whatever falls outside the mask reads as 0.
    """
    box_masks = tf.convert_to_tensor(box_masks, tf.float32)
    boxes = tf.reshape(tf.convert_to_tensor(boxes, tf.float32), [-1, 4])
    count = tf.shape(box_masks)[0]
    ymin, xmin, ymax, xmax = tf.unstack(boxes, axis=1)
    height, width = tf.maximum(ymax - ymin, _EPSILON), tf.maximum(xmax - xmin, _EPSILON)
    image_in_box = tf.stack([-ymin / height, -xmin / width, (1.0 - ymin) / height, (1.0 - xmin) / width], axis=1)
    masks = tf.image.crop_and_resize(box_masks[..., tf.newaxis], image_in_box, tf.range(count),
                                     [image_height, image_width], method=resize_method, extrapolation_value=0.0)
    return tf.squeeze(masks, axis=3)

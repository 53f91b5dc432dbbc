"""Local stand-ins for the TF Hub detectors of labs C3W2-L1/L2 (OpenImages), C3W2-L3 (TF2 zoo)
and C3W3-L3 (Mask R-CNN).

The week 2 labs load detectors from TF Hub (`openimages_v4/ssd/mobilenet_v2`, a Faster R-CNN,
the TF2 zoo's CenterNet and SSD models), which cannot be reached here. So the grader exports
the project's own pre-trained detector (`object_detection`'s checkpoint `ckpt-0`, 6 classes of
pasted photographs, see `graders.data.detection`) as SavedModels with the hub modules'
interfaces, which the learner's code loads with the real `tensorflow_hub.load(handle)`:

* `openimages` (L1, L2): `hub.load(handle).signatures['default']` takes a float32 batch of one
  image in [0, 1], any size, and returns *unbatched* outputs: `detection_boxes` (100, 4)
  normalised (ymin, xmin, ymax, xmax) sorted by score, `detection_scores` (100,),
  `detection_class_entities` (100,) bytes such as b'Cat', `detection_class_names` (100,) bytes
  (OpenImages' machine ids such as b'/m/01yrx'), `detection_class_labels` (100,) int64.
* `tf2_zoo` (L3): the loaded object is called directly, `hub_model(image)`, on a uint8 batch
  (1, H, W, 3) and returns *batched* outputs: `detection_boxes` [1, 100, 4],
  `detection_scores` [1, 100], `detection_classes` [1, 100] float32 with 1-based class ids,
  `num_detections` [1] float32.
* `mask_rcnn` (C3W3-L3): the zoo's interface on one image at a time, plus box-local instance
  masks `detection_masks` [1, 100, 33, 33] in [0, 1] (see `colour_masks`).

Both are the same detector, so the two labs see the same boxes on the same picture. The
models know six classes, not OpenImages' 600 or COCO's 90: probes judge the learner's code
against the same model, never against "the right class". Remote handles are refused at once
by `hub_classifier.refuse_downloads` (the same resolver serves every lab).
"""

from __future__ import annotations

import functools
import os

from graders.data import detection

# (OpenImages display name, OpenImages machine id) of each of the detector's six classes
ENTITIES = (("Cat", "/m/01yrx"), ("Coffee cup", "/m/02p5f1q"), ("Rocket", "/m/09rvcxw"), ("Horse", "/m/03k3r"),
            ("Motorcycle", "/m/04_sv"), ("Person", "/m/01g317"))
assert len(ENTITIES) == len(detection.CLASS_NAMES)
# the TF2 zoo's category index (1-based ids), as the L3 colab builds it from a label map
CATEGORY_INDEX = {index + 1: {"id": index + 1, "name": name} for index, name in enumerate(detection.CLASS_NAMES)}
KINDS = ("openimages", "tf2_zoo", "mask_rcnn")


def _restored_detector():
    """The project's pre-trained 6-class detector, restored from the checkpoint the course restores."""
    import tensorflow as tf

    from object_detection import pretrain

    model, _ = pretrain.build_pretraining_model()
    model.postprocess(model.predict(*model.preprocess(tf.zeros([1, 64, 64, 3]))))  # variables exist after a pass
    tf.train.Checkpoint(model=model).read(str(pretrain.CHECKPOINT_DIR / pretrain.PREFIX)).assert_existing_objects_matched()
    return model


def _module(kind: str):
    import tensorflow as tf

    entities = tf.constant([name.encode() for name, _ in ENTITIES])
    machine_ids = tf.constant([mid.encode() for _, mid in ENTITIES])

    class HubDetector(tf.Module):
        def __init__(self):
            super().__init__(name=f"local_{kind}_detector")
            self.model = _restored_detector()

        def detections(self, pixels):
            """0..255 float pixels [1, H, W, 3] -> the detector's batched outputs."""
            images, shapes = self.model.preprocess(pixels)
            return self.model.postprocess(self.model.predict(images, shapes), shapes)

    class OpenImagesDetector(HubDetector):
        """Only a signature, as the OpenImages modules: the loaded object itself cannot be called."""

        @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.float32)])
        def default(self, images):
            found = self.detections(images * 255.0)
            classes = tf.cast(found["detection_classes"][0], tf.int32)
            return {"detection_boxes": found["detection_boxes"][0], "detection_scores": found["detection_scores"][0],
                    "detection_class_entities": tf.gather(entities, classes),
                    "detection_class_names": tf.gather(machine_ids, classes),
                    "detection_class_labels": tf.cast(classes + 1, tf.int64)}

    class ZooDetector(HubDetector):
        """Called directly on uint8 pixels, as the TF2 zoo's detectors."""

        @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.uint8)])
        def __call__(self, images):
            found = self.detections(tf.cast(images, tf.float32))
            return {"detection_boxes": found["detection_boxes"], "detection_scores": found["detection_scores"],
                    "detection_classes": tf.cast(found["detection_classes"], tf.float32) + 1.0,
                    "num_detections": tf.cast(found["num_detections"], tf.float32)}

    class MaskRCNNDetector(ZooDetector):
        """The zoo's interface plus box-local instance masks, as the hub's Mask R-CNN: one image
        at a time, `detection_masks` [1, 100, 33, 33]. The masks come from the pixels in each
        box (no mask head was trained): how far each pixel's colour is from the box's border."""

        @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.uint8)])
        def __call__(self, images):
            found = ZooDetector.__call__.python_function(self, images)
            found["detection_masks"] = colour_masks(tf.cast(images, tf.float32), found["detection_boxes"][0])[tf.newaxis]
            return found

    return {"openimages": OpenImagesDetector, "tf2_zoo": ZooDetector, "mask_rcnn": MaskRCNNDetector}[kind]()


MASK_SIZE = 33
MASK_CONTRAST = 0.12  # a pixel this far (in [0, 1] colour distance) from the border's colour is half in
MASK_SHARPNESS = 25.0


def colour_masks(image, boxes):
    """[N, 33, 33] soft masks of the N boxes on image [1, H, W, 3] (0..255): a sigmoid of the
    distance of each pixel's colour from the mean colour of the box's outer ring."""
    import tensorflow as tf

    count = tf.shape(boxes)[0]
    crops = tf.image.crop_and_resize(image / 255.0, boxes, tf.zeros([count], tf.int32), [MASK_SIZE, MASK_SIZE])
    ring = tf.concat([crops[:, 0], crops[:, -1], crops[:, :, 0], crops[:, :, -1]], axis=1)  # [N, 4 * 33, 3]
    border = tf.reduce_mean(ring, axis=1)[:, tf.newaxis, tf.newaxis]
    distance = tf.norm(crops - border, axis=-1) / tf.sqrt(3.0)
    return tf.sigmoid((distance - MASK_CONTRAST) * MASK_SHARPNESS)


def save(directory: str, kind: str) -> str:
    """Write the `kind` detector (one of KINDS) as a SavedModel; return the handle."""
    import tensorflow as tf

    if kind not in KINDS:
        raise ValueError(f"unknown detector kind {kind!r}; known: {', '.join(KINDS)}")
    module = _module(kind)
    signatures = {"default": module.default} if kind == "openimages" else {"serving_default": module.__call__}
    tf.saved_model.save(module, directory, signatures=signatures)
    return directory


@functools.lru_cache(maxsize=None)
def local_handle(kind: str) -> str:
    """The folder of the local `kind` detector, written once per process (a worker)."""
    import tempfile

    name = {"openimages": "openimages_v4_ssd_mobilenet_v2", "tf2_zoo": "tf2_zoo_ssd_detector",
            "mask_rcnn": "mask_rcnn_inception_resnet_v2"}[kind]
    return save(os.path.join(tempfile.mkdtemp(prefix="cvgrade-hub-"), name), kind)

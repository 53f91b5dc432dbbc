"""Lab C3W2-L1 "Simple object detection with TF Hub", as a practice suite.

The lab loads an OpenImages detector from TF Hub (`hub.load(handle).signatures['default']`),
decodes a JPEG and reads the detector's unbatched outputs. TF Hub cannot be reached, so the
probes hand the learner the handle of a local SavedModel with the OpenImages signature
(`graders.data.hub_detector`: the project's pre-trained 6-class detector), loaded with the
real `tensorflow_hub.load`. The photographs are the detection data's pasted scenes, written
as JPEG files, one of them greyscale. It scores like an assignment but counts for nothing in
a grade.
"""

from __future__ import annotations

import os

from graders.authoring import Assignment, Exercise, Hint, Verdict, exception_sentence
from graders.data import hub_classifier, hub_detector
from graders.suites import common, hub_labs

COLOUR_SCENES = 2  # scenes per probe in colour; one more is written greyscale

hub_classifier.refuse_downloads_on_import()  # a learner's own hub.load(URL) fails at once, even at top level


def scenes(seed: int) -> list[list]:
    """[dev-scene index, greyscale, file type] of each case; other scenes at another seed."""
    return [[index, position == COLOUR_SCENES, "jpg"]
            for position, index in enumerate(hub_labs.seeded_scenes(seed, salt=21, count=COLOUR_SCENES + 1))]


# --- in the worker: the detector ---------------------------------------------------------------
def _grader_detector():
    import tensorflow_hub as hub

    return hub.load(hub_detector.local_handle("openimages")).signatures["default"]


def _model_input(scene):
    import tensorflow as tf

    return tf.image.convert_image_dtype(tf.constant(hub_labs.scene_pixels(*scene[:2])), tf.float32)[tf.newaxis]


def probe_load_detector(submission, params) -> dict:
    function = submission.function("load_detector")
    hub_classifier.refuse_downloads()
    handle = hub_detector.local_handle("openimages")
    with hub_classifier.saved_model_reads() as reads:
        try:
            detector = function(handle)
        except hub_classifier.OfflineHandle as refused:
            raise common.fail(str(refused)) from None
    scene = scenes(common.probe_seed(params))[0]
    observation = {"scene": scene, "returned": type(detector).__name__, "callable": callable(detector),
                   "signatures": sorted(getattr(getattr(detector, "signatures", None), "keys", list)())[:20],
                   "error": "", **hub_labs.outputs_of(None),
                   "reads": sorted({os.path.relpath(read, os.path.realpath(handle)) for read in reads})[:20]}
    if callable(detector):
        try:
            observation.update(hub_labs.outputs_of(detector(_model_input(scene))))
        except NotImplementedError:
            raise
        except Exception as error:  # noqa: BLE001 - what calling it does is the observation
            observation["error"] = exception_sentence(error)
    return observation


# --- in the worker: the image loader -------------------------------------------------------------
def probe_load_img(submission, params) -> dict:
    return hub_labs.observe_loader(submission.function("load_img"), scenes(common.probe_seed(params)))


# --- in the worker: running the detector ---------------------------------------------------------
def probe_run_detector(submission, params) -> dict:
    import tempfile

    function = submission.function("run_detector")
    detector = _grader_detector()
    loader = hub_labs.own_loader_when_right(submission.module.__dict__.get("load_img"),
                                            submission.reference("load_img"))
    with tempfile.TemporaryDirectory(prefix="cvgrade-l1-") as folder, submission.replaced("load_img", loader):
        return {"cases": [hub_labs.observe_call(scene, detector,
                                                lambda model, scene=scene: function(model, hub_labs.write_scene(scene,
                                                                                                              folder)))
                          for scene in scenes(common.probe_seed(params))[:COLOUR_SCENES]]}


# --- on the trusted side ---------------------------------------------------------------------------
def check_load_detector(observation, reference) -> Verdict:
    if observation["scene"] != reference["scene"]:
        return Verdict.failed("the detector was observed on another scene than the grader's")
    if not observation["callable"]:
        return Verdict.failed(f"load_detector returned a {observation['returned']}, which cannot be called on "
                              "images")
    if observation["error"]:
        return Verdict.failed(f"calling what load_detector returned on an image failed: {observation['error']}")
    figure = hub_labs.boxes_figure([observation], [reference], "your detector's top 3 boxes (red) and the expected "
                                                       "ones (green)")
    ok, reason = hub_labs.same_detections(observation, reference)
    if not ok:
        return Verdict.failed(reason + f" on {hub_labs.scene_name(*reference['scene'])}", figures=[figure])
    if "." not in observation["reads"]:
        return Verdict.failed("the detector does not come from the SavedModel at `handle`: load it with "
                              "hub.load(handle)")
    return Verdict.passed("the SavedModel at `handle` loaded; its 'default' signature gives the expected "
                          "detections on a photograph", figures=[figure])


def _missing(o, r) -> list[str]:
    return [key for key in r["keys"] if key not in o["keys"]]


LOAD_DETECTOR_HINTS = (
    Hint("load the detector with hub.load(handle), from the handle the grader passes",
         lambda o, r: "." not in o["reads"]),
    Hint("return the module's 'default' signature, hub.load(handle).signatures['default'], not the module itself",
         lambda o, r: ("default" in o["signatures"] and not o["callable"]) or "not callable" in o["error"],
         seen=lambda o, r: f"a {o['returned']}"),
    Hint("return the signature itself: its dictionary holds every output of the detector",
         lambda o, r: o["callable"] and not o["error"] and bool(_missing(o, r)),
         seen=lambda o, r: f"a dictionary without {', '.join(_missing(o, r))}"),
)


def check_load_img(observation, reference) -> Verdict:
    problem = hub_labs.loaded_problem(observation, reference, "load_img")
    if problem:
        return problem
    return Verdict.passed(f"{len(reference['cases'])} JPEG files decoded to RGB uint8 pixels, the greyscale one "
                          "with three channels too",
                          figures=[hub_labs.loaded_figure(observation, reference, "load_img")])


LOAD_IMG_HINTS = (
    Hint("decode with three channels, tf.image.decode_jpeg(img, channels=3): a greyscale JPEG has only one",
         lambda o, r: any(mine["shape"][-1:] == [1] for mine in o["cases"]),
         seen=lambda o, r: "a shape ending in 1 for the greyscale file"),
    Hint("return the decoded uint8 pixels: run_detector converts them to float32 itself",
         lambda o, r: hub_labs.float_dtype(o) is not None, seen=lambda o, r: hub_labs.float_dtype(o)),
    Hint("keep the channel order RGB, as TensorFlow decodes it (no BGR from cv2.imread)",
         hub_labs.looks_bgr),
    Hint("return one image (height, width, 3), without a batch axis: run_detector adds it",
         lambda o, r: len(o["cases"][0]["shape"]) == 4),
)


def check_run_detector(observation, reference) -> Verdict:
    return hub_labs.check_detector_call(
        observation, reference, "run_detector",
        f"on {len(reference['cases'])} photographs the detector got one float32 image in [0, 1] with a batch axis, "
        "and every output came back as a numpy array")


RUN_HINTS = (
    Hint("convert the image to float32 in [0, 1] with tf.image.convert_image_dtype(img, tf.float32): the detector "
         "takes no uint8", lambda o, r: "uint8" in hub_labs.given_values(o, "dtype"), seen=lambda o, r: "uint8 pixels"),
    Hint("scale the pixels to [0, 1]: tf.cast keeps 0..255, tf.image.convert_image_dtype divides by 255",
         lambda o, r: any(value > 1.5 for value in hub_labs.given_values(o, "max")),
         seen=lambda o, r: f"values up to {max(hub_labs.given_values(o, 'max')):.0f}"),
    Hint("add a batch axis of one, [tf.newaxis, ...]: the detector takes (1, height, width, 3)",
         lambda o, r: any(len(shape) == 3 for shape in hub_labs.given_values(o, "shape"))),
    Hint("return the result: the lab's run_detector only prints it",
         lambda o, r: any(case["returned"] == "NoneType" for case in o["cases"])),
)


ASSIGNMENT = Assignment(
    id="c3w2_l1",
    title="C3W2-L1 Simple object detection with TF Hub (practice)",
    module="c3w2_l1_hub_detection",
    notebook_glob="C3W2*L1*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("load_detector", "load_detector", 30, probe_load_detector, check_load_detector,
                 LOAD_DETECTOR_HINTS, functions=("load_detector",)),
        Exercise("load_img", "load_img", 30, probe_load_img, check_load_img, LOAD_IMG_HINTS,
                 functions=("load_img",)),
        Exercise("run_detector", "run_detector", 40, probe_run_detector, check_run_detector, RUN_HINTS,
                 functions=("run_detector",), stand_ins=("load_img",)),
    ),
)

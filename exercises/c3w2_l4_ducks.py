"""C3W2-L4: eager few-shot object detection, a rubber duck from five images (exercise).

The lab's steps on the same detector as the C3W2 assignment: configure and build it for
one class, restore all but its class head, run a dummy image through it, choose the two
heads' variables, and fine-tune them for 100 batches of 4 with SGD (learning rate 0.01,
momentum 0.9) through a training step made by a factory, `get_model_train_step_function`.
The lab's five images `robertducky1.jpg` .. `5.jpg` and its 49 test frames `out1.jpg` ..
`out49.jpg` are laid out at the lab's paths (models/research/object_detection/test_images/ducky/
train/ and test/) with the config and the checkpoint by
`python -m object_detection.course_files . --ducks`.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w2_l4.py` for
points and feedback. The grader runs your steps in a folder where the course's files are
laid out.
"""

import tensorflow as tf

from object_detection.builders import model_builder
from object_detection.utils import config_util

PIPELINE_CONFIG = "models/research/object_detection/configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config"
CHECKPOINT_PATH = "models/research/object_detection/test_data/checkpoint/ckpt-0"

# The lab's settings, as its globals: the training step reads `batch_size`, `detect` reads
# `detection_model` (set it before calling either; the grader does).
batch_size = 4
learning_rate = 0.01
num_batches = 100
detection_model = None


def configure_model(pipeline_config, num_classes):
    """Read the pipeline config and adapt its model part: `ssd.num_classes` to `num_classes`
    (the rubber duck is the one class) and `ssd.freeze_batchnorm` to True.

    Returns:
        The model config (`configs['model']`), edited.
    """
    ### START CODE HERE ###
    raise NotImplementedError("configure_model")
    ### END CODE HERE ###


def build_detection_model(model_config):
    """Build the detector for training with `model_builder.build`.

    Returns:
        The detection model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("build_detection_model")
    ### END CODE HERE ###


def restore_weights(detection_model):
    """Restore the pretrained weights of all but the class head, as the lab does.

    `fake_box_predictor`: a `tf.compat.v2.train.Checkpoint` of the box predictor's
    `_base_tower_layers_for_heads` and `_box_prediction_head` (not its class head);
    `fake_model`: one of the model's `_feature_extractor` and that box predictor as
    `_box_predictor`; then restore CHECKPOINT_PATH into
    `tf.compat.v2.train.Checkpoint(model=fake_model)`, with `.expect_partial()`.

    The values arrive when the variables are created, in the dummy pass.
    """
    ### START CODE HERE ###
    raise NotImplementedError("restore_weights")
    ### END CODE HERE ###


def run_dummy_pass(detection_model):
    """Run the detector once on a zero image of 640x640x3 (a batch of one): preprocess,
    predict and postprocess. The variables exist only after this pass.
    """
    ### START CODE HERE ###
    raise NotImplementedError("run_dummy_pass")
    ### END CODE HERE ###


def select_variables(detection_model):
    """The variables to fine-tune: the box head's and the class head's, and no other.

    Their names start with
    'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead' and
    'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead'.

    Returns:
        The list of those variables of `detection_model.trainable_variables` (`to_fine_tune`).
    """
    ### START CODE HERE ###
    raise NotImplementedError("select_variables")
    ### END CODE HERE ###


def get_model_train_step_function(model, optimizer, vars_to_fine_tune):
    """A factory of the training step: returns `train_step_fn`, decorated with @tf.function.

    `train_step_fn(image_tensors, groundtruth_boxes_list, groundtruth_classes_list)` runs one
    step on a batch of `batch_size` images (each [1, 640, 853, 3] float32; boxes [1, 4]
    normalised; one-hot classes [1, 1]): the shapes are `batch_size` times [640, 640, 3];
    give the model the ground truth (`model.provide_groundtruth`); then, on a
    `tf.GradientTape`, preprocess each image separately and concatenate them, predict, and
    compute the losses with `model.loss`. The total loss is 'Loss/localization_loss' plus
    'Loss/classification_loss'; apply its gradients with respect to `vars_to_fine_tune`
    with the optimizer, and return the total loss.

    Returns:
        train_step_fn.
    """
    ### START CODE HERE ###
    raise NotImplementedError("get_model_train_step_function")
    ### END CODE HERE ###


@tf.function
def detect(input_tensor):
    """Detect on a batch of images with the global `detection_model`.

    Args:
        input_tensor: [1, 640, 853, 3] float32 pixels in 0..255.

    Returns:
        The detections dictionary of `detection_model.postprocess`.
    """
    preprocessed_image, shapes = detection_model.preprocess(input_tensor)
    prediction_dict = detection_model.predict(preprocessed_image, shapes)  # noqa: F841 (yours to use)
    ### START CODE HERE ###
    raise NotImplementedError("detect")
    ### END CODE HERE ###

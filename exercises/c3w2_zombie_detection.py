"""C3W2: zombie detection, fine-tuning a pretrained detector on five images (exercise).

A single-stage detector (RetinaNet's shape: a feature pyramid, a box head and a class
head shared by the levels) was pre-trained on pasted photographs of six classes. You
restore everything but its class head, choose the head's variables to fine-tune, write
the training step, train on 5 images of a zombie, and detect the zombie on new frames.
The course's Object Detection API cannot run here, so the project ships one with its
surface (`object_detection`, under exercises/): the imports, the config, the builder,
the checkpoint and the course's paths are those of the course notebook.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w2.py` for
points and feedback. The grader runs your steps in a folder where the course's files are
laid out (`python -m object_detection.course_files` does the same for your own runs):
    models/research/object_detection/configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config
    models/research/object_detection/test_data/checkpoint/ckpt-0
Fine-tune and write the course's `results.data` with
`python -m exercises.c3w2_training --submission exercises`, and submit it with your code.
"""

import tensorflow as tf

from object_detection.builders import model_builder
from object_detection.utils import config_util

PIPELINE_CONFIG = "models/research/object_detection/configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config"
CHECKPOINT_PATH = "models/research/object_detection/test_data/checkpoint/ckpt-0"

# The detector `detect` uses, as the course's global `detection_model`: set it before
# calling `detect` (the training script and the grader do).
detection_model = None


def define_category_index():
    """Exercise 3: the label map of the one class to detect.

    The zombie's class id is 1 (ids start at 1; 0 is the background), its name 'zombie'.

    Returns:
        (category_index, num_classes): {1: {'id': 1, 'name': 'zombie'}} and 1.
    """
    ### START CODE HERE ###
    raise NotImplementedError("define_category_index")
    ### END CODE HERE ###


def configure_model(pipeline_config, num_classes):
    """Exercises 5.1 to 5.3: read the pipeline config and adapt the model's part of it.

    Read the file with `config_util.get_configs_from_pipeline_file`, take its 'model'
    entry, set its `ssd.num_classes` to `num_classes` and its `ssd.freeze_batchnorm` to True.

    Returns:
        The model config (`configs['model']`), edited.
    """
    ### START CODE HERE ###
    raise NotImplementedError("configure_model")
    ### END CODE HERE ###


def build_detection_model(model_config):
    """Exercise 5.4: build the detector for training with `model_builder.build`.

    Returns:
        The detection model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("build_detection_model")
    ### END CODE HERE ###


def restore_weights(detection_model):
    """Exercise 6: restore the pretrained weights of all but the class head.

    6.1: a temporary checkpoint for the box predictor holding its base tower layers
    (`_base_tower_layers_for_heads`) and its box head (`_box_prediction_head`), and not
    its class head (`_prediction_heads`: the checkpoint's has other classes).
    6.2: a temporary checkpoint for the model, holding its `_feature_extractor` and that
    box predictor checkpoint as `_box_predictor`.
    6.3: restore CHECKPOINT_PATH into `tf.train.Checkpoint(model=...)` of it. The keyword
    must be `model` and the path has no `.index`: either mistake restores nothing, silently.

    The values arrive when the variables are created, in the dummy pass (Exercise 7).
    """
    ### START CODE HERE ###
    raise NotImplementedError("restore_weights")
    ### END CODE HERE ###


def run_dummy_pass(detection_model):
    """Exercise 7: run the detector once on a zero image of 640x640x3 (a batch of one):
    preprocess, predict and postprocess. The variables exist only after this pass.

    Returns:
        The detections of the zero image.
    """
    ### START CODE HERE ###
    raise NotImplementedError("run_dummy_pass")
    ### END CODE HERE ###


def set_hyperparameters():
    """Exercise 8: the training settings.

    Batches of 4 images (there are 5), 100 batches, learning rate 0.01, and
    `tf.keras.optimizers.SGD` with that learning rate and momentum 0.9.

    Returns:
        (batch_size, num_batches, learning_rate, optimizer).
    """
    ### START CODE HERE ###
    raise NotImplementedError("set_hyperparameters")
    ### END CODE HERE ###


def select_variables(detection_model):
    """Exercise 9: the variables to fine-tune: the box head's and the class head's, and no other.

    Their names start with
    'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead' and
    'WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead'.

    Returns:
        The list of those variables of `detection_model.trainable_variables`.
    """
    ### START CODE HERE ###
    raise NotImplementedError("select_variables")
    ### END CODE HERE ###


@tf.function
def train_step_fn(image_list, groundtruth_boxes_list, groundtruth_classes_list, model, optimizer,
                  vars_to_fine_tune):
    """Exercise 10: one training step on a batch.

    Args:
        image_list: image tensors, each [1, 640, 853, 3] float32.
        groundtruth_boxes_list: box tensors, each [1, 4] (ymin, xmin, ymax, xmax) normalised.
        groundtruth_classes_list: one-hot class tensors, each [1, num_classes].
        model, optimizer, vars_to_fine_tune: the detector, the optimizer and the variables to train.

    Give the model the ground truth (`model.provide_groundtruth`), then, recording on a
    `tf.GradientTape`: preprocess each image and concatenate them into one batch, predict
    with the true image shapes, and compute the losses with `model.loss`. The total loss is
    'Loss/localization_loss' plus 'Loss/classification_loss'. Apply its gradients with
    respect to `vars_to_fine_tune` only.

    Returns:
        The total loss.
    """
    ### START CODE HERE ###
    raise NotImplementedError("train_step_fn")
    ### END CODE HERE ###


@tf.function
def detect(input_tensor):
    """Exercise 11: detect on a batch of images with the global `detection_model`.

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

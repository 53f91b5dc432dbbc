"""Lab C3W1-L2: transfer learning with ResNet50 on CIFAR-10 (practice exercise).

CIFAR-10's 32x32 images are upsampled to 224x224 and fed to a ResNet50
pretrained on ImageNet; a small classifier on top picks one of ten classes.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w1_l2.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import tensorflow as tf

CLASSES = 10  # CIFAR-10


def preprocess_image_input(input_images):
    """CIFAR-10 images (uint8, 32x32x3) as ResNet50 expects them: float32, then
    `tf.keras.applications.resnet50.preprocess_input`."""
    ### START CODE HERE ###
    raise NotImplementedError("preprocess_image_input")
    ### END CODE HERE ###


def feature_extractor(inputs):
    """ResNet50 for 224x224x3 inputs, without its top, with the ImageNet weights, called on `inputs`.

    Returns:
        The feature maps, shape (batch, 7, 7, 2048).
    """
    ### START CODE HERE ###
    raise NotImplementedError("feature_extractor")
    ### END CODE HERE ###


def classifier(inputs):
    """GlobalAveragePooling2D, Flatten, Dense(1024, relu), Dense(512, relu), then
    Dense(10, softmax) named 'classification'."""
    ### START CODE HERE ###
    raise NotImplementedError("classifier")
    ### END CODE HERE ###


def final_model(inputs):
    """Upsample the 32x32 images 7 times (UpSampling2D(size=(7, 7))) to ResNet50's 224x224,
    then feature_extractor and classifier.

    Returns:
        The class probabilities, shape (batch, 10).
    """
    ### START CODE HERE ###
    raise NotImplementedError("final_model")
    ### END CODE HERE ###


def define_compile_model():
    """The model on Input(shape=(32, 32, 3)), compiled with optimizer 'SGD', loss
    'sparse_categorical_crossentropy' and metrics ['accuracy'].

    Returns:
        The compiled model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("define_compile_model")
    ### END CODE HERE ###

"""Lab C3W1-L2 "Transfer learning with ResNet50 on CIFAR-10": reference solutions."""

import tensorflow as tf

CLASSES = 10  # CIFAR-10


def preprocess_image_input(input_images):
    """CIFAR-10 images (uint8, 32x32x3) as ResNet50 expects them: float32, then
    `tf.keras.applications.resnet50.preprocess_input`."""
    input_images = input_images.astype("float32")
    output_ims = tf.keras.applications.resnet50.preprocess_input(input_images)
    return output_ims


def feature_extractor(inputs):
    """ResNet50 for 224x224x3 inputs, without its top, with the ImageNet weights, called on `inputs`.

    Returns:
        The feature maps, shape (batch, 7, 7, 2048).
    """
    feature_extractor = tf.keras.applications.resnet.ResNet50(input_shape=(224, 224, 3),
                                                              include_top=False,
                                                              weights="imagenet")(inputs)
    return feature_extractor


def classifier(inputs):
    """GlobalAveragePooling2D, Flatten, Dense(1024, relu), Dense(512, relu), then
    Dense(10, softmax) named 'classification'."""
    x = tf.keras.layers.GlobalAveragePooling2D()(inputs)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(1024, activation="relu")(x)
    x = tf.keras.layers.Dense(512, activation="relu")(x)
    x = tf.keras.layers.Dense(CLASSES, activation="softmax", name="classification")(x)
    return x


def final_model(inputs):
    """Upsample the 32x32 images 7 times (UpSampling2D(size=(7, 7))) to ResNet50's 224x224,
    then feature_extractor and classifier.

    Returns:
        The class probabilities, shape (batch, 10).
    """
    resize = tf.keras.layers.UpSampling2D(size=(7, 7))(inputs)
    resnet_feature_extractor = feature_extractor(resize)
    classification_output = classifier(resnet_feature_extractor)
    return classification_output


def define_compile_model():
    """The model on Input(shape=(32, 32, 3)), compiled with optimizer 'SGD', loss
    'sparse_categorical_crossentropy' and metrics ['accuracy'].

    Returns:
        The compiled model.
    """
    inputs = tf.keras.layers.Input(shape=(32, 32, 3))
    classification_output = final_model(inputs)
    model = tf.keras.Model(inputs=inputs, outputs=classification_output)
    model.compile(optimizer="SGD", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

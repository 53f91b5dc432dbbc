"""Lab C3W1-L3 "Image classification and object localization" (MNIST): reference solutions."""

import tensorflow as tf

CANVAS = 75  # each 28x28 digit is pasted somewhere on a 75x75 canvas


def feature_extractor(inputs):
    """Three convolution blocks: Conv2D(16, 3, relu), Conv2D(32, 3, relu) and Conv2D(64, 3, relu),
    each followed by AveragePooling2D((2, 2)).

    Returns:
        A tensor of shape (batch, 7, 7, 64) for 75x75x1 inputs.
    """
    x = tf.keras.layers.Conv2D(16, activation="relu", kernel_size=3)(inputs)
    x = tf.keras.layers.AveragePooling2D((2, 2))(x)
    x = tf.keras.layers.Conv2D(32, kernel_size=3, activation="relu")(x)
    x = tf.keras.layers.AveragePooling2D((2, 2))(x)
    x = tf.keras.layers.Conv2D(64, kernel_size=3, activation="relu")(x)
    x = tf.keras.layers.AveragePooling2D((2, 2))(x)
    return x


def dense_layers(inputs):
    """Flatten, then Dense(128, relu)."""
    x = tf.keras.layers.Flatten()(inputs)
    x = tf.keras.layers.Dense(128, activation="relu")(x)
    return x


def classifier(inputs):
    """The digit head: Dense(10, softmax) named 'classification'."""
    return tf.keras.layers.Dense(units=10, activation="softmax", name="classification")(inputs)


def bounding_box_regression(inputs):
    """The box head: Dense(4), no activation, named 'bounding_box'."""
    return tf.keras.layers.Dense(units=4, name="bounding_box")(inputs)


def final_model(inputs):
    """One model, two outputs: [classification, bounding_box]."""
    feature_cnn = feature_extractor(inputs)
    dense_output = dense_layers(feature_cnn)
    classification_output = classifier(dense_output)
    bounding_box_output = bounding_box_regression(dense_output)
    return tf.keras.Model(inputs=inputs, outputs=[classification_output, bounding_box_output])


def define_and_compile_model(inputs):
    """The model on `inputs`, compiled with adam, categorical cross-entropy for the digit and the
    mean squared error for the box (one loss per output, by output name), and metrics
    accuracy for the digit and mse for the box.

    Returns:
        The compiled model.
    """
    model = final_model(inputs)
    model.compile(optimizer="adam",
                  loss={"classification": "categorical_crossentropy", "bounding_box": "mse"},
                  metrics={"classification": "accuracy", "bounding_box": "mse"})
    return model

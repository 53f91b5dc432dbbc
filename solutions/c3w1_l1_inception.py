"""Lab C3W1-L1 "Transfer learning, cats vs dogs" with InceptionV3: reference solutions."""

import tensorflow as tf

IMAGE_SHAPE = (150, 150, 3)
LAST_LAYER = "mixed7"


def create_pre_trained_model(local_weights_file):
    """InceptionV3 for 150x150x3 images, without its top, with the weights read from
    `local_weights_file` (build it with weights=None, then load_weights), every layer frozen.

    Returns:
        The frozen InceptionV3 model.
    """
    pre_trained_model = tf.keras.applications.inception_v3.InceptionV3(
        input_shape=IMAGE_SHAPE, include_top=False, weights=None)
    pre_trained_model.load_weights(local_weights_file)
    for layer in pre_trained_model.layers:
        layer.trainable = False
    return pre_trained_model


def output_of_last_layer(pre_trained_model):
    """The output of the layer the new head is put on: 'mixed7', shape (batch, 7, 7, 768)."""
    last_desired_layer = pre_trained_model.get_layer(LAST_LAYER)
    last_output = last_desired_layer.output
    return last_output


def create_final_model(pre_trained_model, last_output):
    """Flatten -> Dense(1024, relu) -> Dropout(0.2) -> Dense(1, sigmoid) on `last_output`, as one
    model from the pre-trained model's input, compiled with RMSprop(learning_rate=0.0001),
    binary cross-entropy and accuracy.

    Returns:
        The compiled model.
    """
    x = tf.keras.layers.Flatten()(last_output)
    x = tf.keras.layers.Dense(1024, activation="relu")(x)
    x = tf.keras.layers.Dropout(0.2)(x)
    x = tf.keras.layers.Dense(1, activation="sigmoid")(x)
    model = tf.keras.Model(inputs=pre_trained_model.input, outputs=x)
    model.compile(optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.0001),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model

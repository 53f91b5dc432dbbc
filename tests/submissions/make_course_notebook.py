"""Write `c3w3_course_notebook/C3W3_Assignment.ipynb`: a solved C3W3 notebook as a learner hands it in.

The notebook is written for this repository's tests (not taken from the course):
it has what real Colab submissions have, so that the notebook loader and the
worker meet them all at once:

* Colab-only syntax: `%tensorflow_version 2.x` inside try/except, `%matplotlib
  inline`, `!pip install`, `!wget`;
* imports the grader lacks (`tensorflow_datasets`, `seaborn`, `google.colab`);
* top-level data loading, a tf.data pipeline, plots, training, prediction,
  saving and downloading, with the outputs Colab stored;
* the graded functions, correct, with two-space indentation, the older
  template's `conv_block(input, filters, strides, pooling_size, pool_strides)`
  (`strides` is the kernel size), `LeakyReLU(alpha=...)`, and the compile step
  as top-level code with `SGD(lr=...)`.

Run from the repository root; the output is the same bytes every time:

    python tests/submissions/make_course_notebook.py [OUTPUT.ipynb]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "c3w3_course_notebook" / "C3W3_Assignment.ipynb"


def _text(source: str) -> str:
    """Cell source without the leading newline and trailing blank lines of a literal."""
    return source.strip("\n").rstrip()


class _Cells:
    """Collects cells with stable ids and Colab-like execution counts."""

    def __init__(self):
        self.cells = []
        self.count = 0

    def markdown(self, source: str) -> None:
        self.cells.append(new_markdown_cell(_text(source), id=f"md{len(self.cells) + 1:02d}"))

    def code(self, source: str, stdout: str | None = None, run: bool = True) -> None:
        outputs = [new_output("stream", name="stdout", text=_text(stdout) + "\n")] if stdout else []
        if run:
            self.count += 1
        cell = new_code_cell(_text(source), id=f"code{len(self.cells) + 1:02d}",
                             execution_count=self.count if run else None, outputs=outputs)
        self.cells.append(cell)


def build_notebook():
    c = _Cells()

    c.markdown("""
# Week 3 Assignment: Labelling every pixel of handwritten digits

In this assignment you build a **fully convolutional network** that looks at an
image holding up to three handwritten digits and says, for every pixel, which
digit it belongs to (or whether it is background). This is *semantic
segmentation*.

The images come from M2NIST: 64 x 84 greyscale pictures, each with an
11-channel label map (one channel per digit 0-9, and one for the background).

You will:

* write an encoder made of convolution blocks,
* write an FCN-8 style decoder with skip connections,
* compile and train the model,
* measure it class by class with IoU and the Dice score.

Your model passes if its mean IoU over the ten digit classes is above 60%.
""")

    c.markdown("## Imports")
    c.code("""
try:
  # %tensorflow_version only exists in Colab.
  %tensorflow_version 2.x
except Exception:
  pass
""")
    c.code("!pip install -q tensorflow-addons")
    c.code("""
%matplotlib inline
import os
import zipfile

import numpy as np
import matplotlib.pyplot as plt
import seaborn as sns
import PIL.Image, PIL.ImageDraw, PIL.ImageFont
import sklearn

import tensorflow as tf
import tensorflow_datasets as tfds
from google.colab import files

print("TensorFlow version", tf.__version__)
""", stdout="TensorFlow version 2.6.0")

    c.markdown("""
## Download the data

The archive holds two NumPy files: `combined.npy` with the images and
`segmented.npy` with the one-hot label maps.
""")
    c.code("!wget -q https://storage.example.com/cv-course-data/m2nist.zip -O /tmp/m2nist.zip")
    c.code("""
archive = zipfile.ZipFile('/tmp/m2nist.zip', 'r')
archive.extractall('/tmp/m2nist')
archive.close()
""")

    c.markdown("""
## Load and prepare the dataset

The pixel values are scaled to [-1, 1]. The first 4000 images are used for
training, the next 800 for validation and the 200 after that for testing.
""")
    c.code("""
BATCH_SIZE = 32
IMAGE_HEIGHT, IMAGE_WIDTH = 64, 84
n_classes = 11

# names of the classes, in the order of the label channels
class_names = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'background']
""")
    c.code('''
def normalize_pair(image, annotation):
  """Scale one image to [-1, 1] and give it a channel axis; keep the label map one-hot."""
  image = tf.reshape(tf.cast(image, tf.float32), (IMAGE_HEIGHT, IMAGE_WIDTH, 1))
  image = image / 127.5 - 1.0
  annotation = tf.cast(annotation, tf.float32)
  return image, annotation


def build_dataset(images, annotations, training=False):
  """A batched tf.data pipeline over the given arrays."""
  dataset = tf.data.Dataset.from_tensor_slices((images, annotations))
  dataset = dataset.map(normalize_pair, num_parallel_calls=tf.data.experimental.AUTOTUNE)
  if training:
    dataset = dataset.shuffle(512, reshuffle_each_iteration=True)
    dataset = dataset.repeat()
  dataset = dataset.batch(BATCH_SIZE)
  return dataset.prefetch(tf.data.experimental.AUTOTUNE)
''')
    c.code("""
images = np.load('/tmp/m2nist/combined.npy')
annotations = np.load('/tmp/m2nist/segmented.npy')
print(images.shape, annotations.shape)

train_images, train_annotations = images[:4000], annotations[:4000]
val_images, val_annotations = images[4000:4800], annotations[4000:4800]
test_images, test_annotations = images[4800:5000], annotations[4800:5000]

training_dataset = build_dataset(train_images, train_annotations, training=True)
validation_dataset = build_dataset(val_images, val_annotations)
test_dataset = build_dataset(test_images, test_annotations)
""", stdout="(5000, 64, 84) (5000, 64, 84, 11)")

    c.markdown("""
## Look at the data

Each class gets its own colour; the helpers below draw an image next to its
label map.
""")
    c.code('''
colors = sns.color_palette(None, n_classes)


def colorize(label_map):
  """An RGB picture (uint8) of a label map of class numbers."""
  picture = np.zeros(label_map.shape + (3,))
  for label in range(n_classes):
    picture[label_map == label] = colors[label]
  return (picture * 255).astype('uint8')


def side_by_side(pictures, titles, figsize=(12, 3)):
  """Show pictures in one row with their titles."""
  plt.figure(figsize=figsize)
  for position, (picture, title) in enumerate(zip(pictures, titles)):
    plt.subplot(1, len(pictures), position + 1)
    plt.xticks([])
    plt.yticks([])
    plt.title(title)
    plt.imshow(picture, cmap='gray' if picture.ndim == 2 else None)
  plt.show()


def show_dataset_examples(dataset, count=4):
  """Draw the first `count` images of a batched dataset with their label maps."""
  images, annotations = next(iter(dataset.unbatch().batch(count)))
  for image, annotation in zip(images.numpy(), annotations.numpy()):
    side_by_side([image[:, :, 0], colorize(np.argmax(annotation, axis=-1))], ['image', 'label map'])
''')
    c.code("show_dataset_examples(training_dataset)")
    c.code("show_dataset_examples(validation_dataset, count=2)")

    c.markdown("""
## Define the model

### Exercise 1: one encoder block

Two convolutions with the same number of filters and `'same'` padding, each
followed by a LeakyReLU, then max pooling and batch normalization.
""")
    c.code('''
def conv_block(input, filters, strides, pooling_size, pool_strides):
  """
  Args:
    input: the input tensor
    filters: number of filters of the two convolutions
    strides: the kernel size of the convolutions
    pooling_size: the pool size of the max pooling
    pool_strides: the strides of the max pooling

  Returns:
    the block's output tensor
  """
  ### START CODE HERE ###
  x = tf.keras.layers.Conv2D(filters=filters, kernel_size=strides, padding='same')(input)
  x = tf.keras.layers.LeakyReLU(alpha=0.3)(x)
  x = tf.keras.layers.Conv2D(filters=filters, kernel_size=strides, padding='same')(x)
  x = tf.keras.layers.LeakyReLU(alpha=0.3)(x)
  x = tf.keras.layers.MaxPooling2D(pool_size=pooling_size, strides=pool_strides)(x)
  x = tf.keras.layers.BatchNormalization()(x)
  ### END CODE HERE ###

  return x
''')
    c.code("""
check_input = tf.keras.layers.Input(shape=(64, 84, 1))
check_output = conv_block(check_input, 32, 3, 2, 2)
check_model = tf.keras.Model(inputs=check_input, outputs=check_output)
print(check_model.output_shape)
del check_input, check_output, check_model
""", stdout="(None, 32, 42, 32)")

    c.markdown("""
### Exercise 2: the encoder

Pad the input on the right from 84 to 96 columns so that it can be halved five
times, then stack five blocks. Return the outputs of blocks 3, 4 and 5.
""")
    c.code('''
def FCN8(input_height=64, input_width=84):
  """
  Returns:
    (f3, f4, f5): the outputs of blocks 3, 4 and 5
    img_input: the model's input layer
  """
  ### START CODE HERE ###
  img_input = tf.keras.layers.Input(shape=(input_height, input_width, 1))

  # 12 extra columns on the right: 96 = 3 * 2**5
  x = tf.keras.layers.ZeroPadding2D(padding=((0, 0), (0, 96 - input_width)))(img_input)

  # block 1: 64 x 96 -> 32 x 48
  x = conv_block(input=x, filters=32, strides=(3,3), pooling_size=(2,2), pool_strides=(2,2))

  # block 2: -> 16 x 24
  x = conv_block(input=x, filters=64, strides=(3,3), pooling_size=(2,2), pool_strides=(2,2))

  # block 3: -> 8 x 12
  x = conv_block(input=x, filters=128, strides=(3,3), pooling_size=(2,2), pool_strides=(2,2))
  f3 = x

  # block 4: -> 4 x 6
  x = conv_block(input=x, filters=256, strides=(3,3), pooling_size=(2,2), pool_strides=(2,2))
  f4 = x

  # block 5: -> 2 x 3
  x = conv_block(input=x, filters=256, strides=(3,3), pooling_size=(2,2), pool_strides=(2,2))
  f5 = x
  ### END CODE HERE ###

  return (f3, f4, f5), img_input
''')
    c.code("""
check_convs, check_img_input = FCN8()
for name, feature in zip(['f3', 'f4', 'f5'], check_convs):
  print(name, feature.shape)
""", stdout="f3 (None, 8, 12, 128)\nf4 (None, 4, 6, 256)\nf5 (None, 2, 3, 256)")

    c.markdown("""
### Exercise 3: the FCN-8 decoder

Turn `f5` into class scores, upsample them twice by 2 (adding the scores of
`f4` and `f3` on the way) and once by 8, then crop the padding off again.
""")
    c.code('''
def fcn8_decoder(convs, n_classes):
  """
  Args:
    convs: (f3, f4, f5) from the encoder
    n_classes: number of classes

  Returns:
    per-pixel class scores in [0, 1]
  """
  f3, f4, f5 = convs

  ### START CODE HERE ###
  # the classifier layers, written as convolutions
  o = tf.keras.layers.Conv2D(512, (7, 7), activation='relu', padding='same')(f5)
  o = tf.keras.layers.Dropout(0.5)(o)
  o = tf.keras.layers.Conv2D(512, (1, 1), activation='relu', padding='same')(o)
  o = tf.keras.layers.Dropout(0.5)(o)
  o = tf.keras.layers.Conv2D(n_classes, (1, 1), activation='relu', padding='same')(o)

  # x2, then add the scores of block 4
  o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(4, 4), strides=(2, 2), use_bias=False)(o)
  o = tf.keras.layers.Cropping2D(cropping=(1, 1))(o)
  o2 = tf.keras.layers.Conv2D(n_classes, (1, 1), activation='relu', padding='same')(f4)
  o = tf.keras.layers.Add()([o, o2])

  # x2, then add the scores of block 3
  o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(4, 4), strides=(2, 2), use_bias=False)(o)
  o = tf.keras.layers.Cropping2D(cropping=(1, 1))(o)
  o2 = tf.keras.layers.Conv2D(n_classes, (1, 1), activation='relu', padding='same')(f3)
  o = tf.keras.layers.Add()([o, o2])

  # x8 back to 64 x 96, then drop the 12 padding columns
  o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(8, 8), strides=(8, 8), use_bias=False)(o)
  o = tf.keras.layers.Cropping2D(cropping=((0, 0), (0, 12)))(o)

  o = tf.keras.layers.Activation('sigmoid')(o)
  ### END CODE HERE ###

  return o
''')
    c.code("""
check_output = fcn8_decoder(check_convs, n_classes)
print(check_output.shape)
""", stdout="(None, 64, 84, 11)")

    c.markdown("### The whole model")
    c.code('''
def segmentation_model():
  """The encoder and the decoder joined into one model."""
  convs, img_input = FCN8()
  dec_op = fcn8_decoder(convs, n_classes)
  return tf.keras.Model(inputs=img_input, outputs=dec_op)
''')
    c.code("""
model = segmentation_model()
model.summary()
""", stdout="""
Model: "model"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
input_2 (InputLayer)         [(None, 64, 84, 1)]       0
_________________________________________________________________
zero_padding2d_1 (ZeroPaddin (None, 64, 96, 1)         0
_________________________________________________________________
...
=================================================================
Total params: 11,113,483
Trainable params: 11,111,435
Non-trainable params: 2,048
_________________________________________________________________
""")

    c.markdown("""
### Exercise 4: compile the model

The labels are one-hot maps with 11 channels. Pick a loss that fits them and an
optimizer; track the accuracy.
""")
    c.code("""
### START CODE HERE ###
sgd = tf.keras.optimizers.SGD(lr=1E-2, momentum=0.9, nesterov=True)

model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])
### END CODE HERE ###
""")

    c.markdown("## Train the model")
    c.code("""
EPOCHS = 170

steps_per_epoch = 4000 // BATCH_SIZE
validation_steps = 800 // BATCH_SIZE
test_steps = 200 // BATCH_SIZE

history = model.fit(training_dataset, steps_per_epoch=steps_per_epoch,
                    validation_data=validation_dataset, validation_steps=validation_steps,
                    epochs=EPOCHS)
""", stdout="""
Epoch 1/170
125/125 [==============================] - 19s 77ms/step - loss: 0.8321 - accuracy: 0.7410 - val_loss: 0.5377 - val_accuracy: 0.9214
Epoch 2/170
125/125 [==============================] - 8s 66ms/step - loss: 0.3062 - accuracy: 0.9335 - val_loss: 0.2370 - val_accuracy: 0.9356
...
Epoch 170/170
125/125 [==============================] - 8s 66ms/step - loss: 0.0268 - accuracy: 0.9868 - val_loss: 0.0317 - val_accuracy: 0.9853
""")
    c.code("""
plt.figure(figsize=(8, 4))
plt.plot(history.history['loss'], label='training loss')
plt.plot(history.history['val_loss'], label='validation loss')
plt.legend()
plt.show()
""")

    c.markdown("## Predict on the test set")
    c.code("""
results = model.predict(test_dataset, steps=test_steps)
results = np.argmax(results, axis=3)
truths = np.argmax(test_annotations[:len(results)], axis=3)
print(results.shape, truths.shape)
""", stdout="(192, 64, 84) (192, 64, 84)")

    c.markdown("""
### Exercise 5: class-wise metrics

For each class, the IoU is the overlap of the true and predicted areas over
their union, and the Dice score is twice the overlap over the sum of the two
areas. Add a small smoothing term to the denominators so that a class found in
neither map scores 0 instead of dividing by zero.
""")
    c.code('''
def class_wise_metrics(y_true, y_pred):
  """
  Args:
    y_true: label map of true class numbers
    y_pred: label map of predicted class numbers

  Returns:
    class_wise_iou, class_wise_dice_score: one value per class
  """
  class_wise_iou = []
  class_wise_dice_score = []

  smoothing_factor = 0.00001

  ### START CODE HERE ###
  for label in range(n_classes):
    on_true = np.equal(y_true, label)
    on_pred = np.equal(y_pred, label)
    overlap = np.count_nonzero(np.logical_and(on_true, on_pred))
    both_areas = np.count_nonzero(on_true) + np.count_nonzero(on_pred)

    class_wise_iou.append(overlap / (both_areas - overlap + smoothing_factor))
    class_wise_dice_score.append(2 * overlap / (both_areas + smoothing_factor))
  ### END CODE HERE ###

  return class_wise_iou, class_wise_dice_score
''')
    c.code('''
def show_one_prediction(index):
  """The test image `index` with its true and predicted label maps, and its scores."""
  iou, dice = class_wise_metrics(truths[index], results[index])
  side_by_side([test_images[index], colorize(truths[index]), colorize(results[index])],
               ['image', 'true labels', 'predicted labels'])
  for name, i, d in zip(class_names, iou, dice):
    if i > 0:
      print(f"{name:>10}  IoU {i:.2f}  Dice {d:.2f}")
''')
    c.code("show_one_prediction(7)")
    c.code("""
test_iou, test_dice = class_wise_metrics(truths, results)
for name, i, d in zip(class_names, test_iou, test_dice):
  print(f"{name:>10}  IoU {i:.4f}  Dice {d:.4f}")
print("mean IoU of the digits:", np.mean(test_iou[:10]))
""", stdout="""
         0  IoU 0.8113  Dice 0.8959
         1  IoU 0.8420  Dice 0.9142
         2  IoU 0.7644  Dice 0.8663
         3  IoU 0.7771  Dice 0.8745
         4  IoU 0.7305  Dice 0.8442
         5  IoU 0.7302  Dice 0.8440
         6  IoU 0.7810  Dice 0.8770
         7  IoU 0.7632  Dice 0.8656
         8  IoU 0.7043  Dice 0.8264
         9  IoU 0.7356  Dice 0.8478
background  IoU 0.9894  Dice 0.9947
mean IoU of the digits: 0.7639653
""")

    c.markdown("""
## Save and download the model

Upload `model.h5` together with this notebook.
""")
    c.code("""
model.save("model.h5")
""")
    c.code("""
# download the model file to your computer
files.download('model.h5')
""")
    c.code("", run=False)

    notebook = new_notebook(cells=c.cells, metadata={
        "accelerator": "GPU",
        "colab": {"collapsed_sections": [], "name": "C3W3_Assignment.ipynb", "provenance": []},
        "kernelspec": {"display_name": "Python 3", "name": "python3"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(notebook)
    return notebook


def write(path: Path | str = OUTPUT) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(build_notebook()) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write(sys.argv[1] if len(sys.argv) > 1 else OUTPUT)}")

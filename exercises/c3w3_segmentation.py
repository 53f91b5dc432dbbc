"""C3W3: image segmentation of handwritten digits with FCN-8 (exercise).

The model labels every pixel of a 64x84 M2NIST image with one of 11 classes:
the digits 0-9 and the background (class 10). The encoder is five convolution
blocks; the FCN-8 decoder upsamples the deepest features back to the input size
and adds in the features of blocks 4 and 3 on the way ("skip connections").

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w3.py`
for points and feedback. Train your model with
`python -m exercises.c3w3_training --submission exercises`.
"""

import tensorflow as tf

N_CLASSES = 11  # digits 0-9 and the background


# ---------------------------------------------------------------------------
# Exercise 1: one encoder block
# ---------------------------------------------------------------------------
def conv_block(input, filters, kernel_size, pooling_size, pool_strides):
    """Two same-padded convolutions with LeakyReLU, then max pooling and batch norm.

    Args:
        input: the block's input tensor (batch, height, width, channels).
        filters: number of filters of both convolutions.
        kernel_size: kernel size of both convolutions (the older course template
            called this parameter `strides`).
        pooling_size: pool size of the max pooling.
        pool_strides: strides of the max pooling.

    Returns:
        The block's output; with pool 2 and stride 2 it has half the height and
        width of `input` and `filters` channels.
    """
    ### START CODE HERE ###
    raise NotImplementedError("conv_block")
    ### END CODE HERE ###


# ---------------------------------------------------------------------------
# Exercise 2: the encoder
# ---------------------------------------------------------------------------
def FCN8(input_height=64, input_width=84):
    """The FCN-8 encoder.

    The input is padded on the right from 84 to 96 columns so that five
    halvings divide it evenly (96 / 32 = 3); the decoder crops those 12
    columns off the right again, so the padding must be on the right only.

    Returns:
        `((f3, f4, f5), img_input)`: the outputs of blocks 3, 4 and 5, shaped
        (None, 8, 12, 128), (None, 4, 6, 256), (None, 2, 3, 256), and the
        model's input layer.
    """
    ### START CODE HERE ###
    raise NotImplementedError("FCN8")
    ### END CODE HERE ###


# ---------------------------------------------------------------------------
# Exercise 3: the decoder
# ---------------------------------------------------------------------------
def fcn8_decoder(convs, n_classes):
    """Upsample block 5's features x32 with skip connections from blocks 4 and 3.

    Args:
        convs: `(f3, f4, f5)` as returned by `FCN8`.
        n_classes: number of output classes (11 for M2NIST).

    Returns:
        Per-pixel class scores in [0, 1], shaped (None, 64, 84, n_classes).
    """
    ### START CODE HERE ###
    raise NotImplementedError("fcn8_decoder")
    ### END CODE HERE ###


# ---------------------------------------------------------------------------
# Exercise 4: compile
# ---------------------------------------------------------------------------
def compile_model(model):
    """Compile the segmentation model in place and return it.

    The labels are one-hot maps with 11 channels, so the loss is categorical
    cross-entropy. The optimizer is yours to choose: SGD with Nesterov momentum
    works given many epochs; Adam gets there in far fewer, which matters on a CPU.
    """
    ### START CODE HERE ###
    raise NotImplementedError("compile_model")
    ### END CODE HERE ###


# ---------------------------------------------------------------------------
# Exercise 5: class-wise metrics
# ---------------------------------------------------------------------------
def class_wise_metrics(y_true, y_pred):
    """Intersection over union and Dice score of each class.

    Args:
        y_true: label map of true classes (integers 0-10), any shape.
        y_pred: label map of predicted classes, the same shape.

    Returns:
        `(class_wise_iou, class_wise_dice_score)`: two lists of N_CLASSES floats.
        A small smoothing term keeps a class absent from both maps at 0
        instead of dividing by zero.
    """
    ### START CODE HERE ###
    raise NotImplementedError("class_wise_metrics")
    ### END CODE HERE ###

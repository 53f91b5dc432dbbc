"""A small object detection API with the surface of the TensorFlow Object Detection API (C3W2).

Provided course code, not for learners to edit. The course's own API cannot be installed
here (it is not on the package index and breaks on TensorFlow >= 2.16 / Keras 3) and its
COCO checkpoint cannot be downloaded, so this package gives the modules and names the
course uses, on a detector small enough to fine-tune on two CPU cores:

    from object_detection.utils import label_map_util, config_util, colab_utils
    from object_detection.utils import visualization_utils as viz_utils
    from object_detection.builders import model_builder

The package lives in ``exercises/object_detection`` and is installed under the top-level
name ``object_detection`` (pyproject's ``packages.find`` with ``where = [".", "exercises"]``),
so after ``pip install -e .`` a learner's notebook needs no edit, run from the project's
root or anywhere else. Without installing, ``PYTHONPATH=exercises`` does the same. Import
it only as ``object_detection``: ``exercises.object_detection`` would be a second copy.

The course's files. The course reads its pipeline config and restores its checkpoint by
paths relative to its working directory:
``models/research/object_detection/configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config``
and ``models/research/object_detection/test_data/checkpoint/ckpt-0``. The restore is
TensorFlow's (``tf.train.Checkpoint(model=...).restore(path)``), so the files must exist:
``object_detection.course_files.lay_out(directory)`` (or
``python -m object_detection.course_files DIRECTORY [--data]``) copies this package's
config and checkpoint there, and with ``data=True`` the zombie images (``training/``,
``results/``). Learners run it once in their notebook's folder; the grader's worker
calls it on its working directory.

What is different from the real API, on purpose:
* the config (same syntax and field names) describes this project's detector: a
  9-convolution feature extractor with a 3-level FPN at 256x256, a weight-shared box
  predictor, 6 anchors a cell, focal and smooth L1 losses; no batch norm, so
  ``freeze_batchnorm`` has nothing to freeze;
* the checkpoint (``test_data/checkpoint/ckpt-0``) is pre-trained by
  ``python -m object_detection.pretrain`` on 6 classes of pasted photographs
  (`graders.data.detection`), not on COCO's 90; its class head has 6 + 1 slots, so
  restoring it into a 1-class model fails, as restoring COCO's does;
* ``colab_utils.annotate`` needs Google Colab and raises, pointing at ``ref_gt_boxes``.

``python -m solutions.c3w2_course_steps`` (kept with the solutions) runs the assignment's steps on this package
and reports how well the fine-tuned detector finds the zombie.
"""

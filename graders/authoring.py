"""The suite author's vocabulary: all that a suite under `graders/suites/` may use of the engine.

A suite declares its assignment (the registry), probes that run in the worker beside the
learner's code (probing, modelprobe, pretrained, addons, trusted_imports) and checks that run on
the trusted side (compare, maps, pictures). An import-linter contract keeps suites to this
module, so the engine's insides can move without touching the suites. Nothing here imports
TensorFlow at import time: the trusted side imports every suite to find its checks.
"""

from graders.judge import compare, maps, pictures
from graders.judge.boxes import box_iou
from graders.shared.paths import EXERCISES, FIXTURES
from graders.shared.registry import (
                                     Assignment,
                                     CourseGiven,
                                     CourseVersion,
                                     Exercise,
                                     Figure,
                                     Hint,
                                     TopLevelStep,
                                     Verdict,
)
from graders.worker import modelprobe, pretrained
from graders.worker.addons import STAND_IN
from graders.worker.modelprobe import shape_of
from graders.worker.probing import ProbeFailure, exception_sentence
from graders.worker.trusted_imports import KERAS_IMPORTS_BY_NAME, only_environment_imports

__all__ = ["Assignment", "box_iou", "CourseGiven", "CourseVersion", "EXERCISES", "Exercise", "FIXTURES", "Figure", "Hint",
           "KERAS_IMPORTS_BY_NAME", "ProbeFailure", "exception_sentence", "STAND_IN", "TopLevelStep", "Verdict", "compare", "maps",
           "modelprobe", "only_environment_imports", "pictures", "pretrained", "shape_of"]

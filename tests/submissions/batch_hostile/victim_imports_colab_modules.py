# corpus: base=solution at=start
# An honest learner with the imports of a Colab notebook, which the grader lacks: graded after
# plant_modules_in_shared_tmp, it must find neither that learner's modules nor its files.
import os

import seaborn as sns
import tensorflow_datasets as tfds
from google.colab import files

LEFT_BEHIND = [name for name in os.listdir("/tmp") + os.listdir("/dev/shm") if "planter" in name]
assert not LEFT_BEHIND, f"found another learner's files: {LEFT_BEHIND}"

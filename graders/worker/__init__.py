"""The worker side: runs beside the learner's code, in a process that imported TensorFlow.
Nothing here is trusted by the judge; only plain data leaves (see `graders.shared.wire`)."""

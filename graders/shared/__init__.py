"""What both sides of the trust boundary share: paths, atomic files, the wire format,
resource limits, /proc accounting, the registry a suite declares. No TensorFlow, no learner code."""

"""The trusted side's judgement: observations held against references, verdicts, results.
Never imports TensorFlow or learner code (an import-linter contract checks it)."""

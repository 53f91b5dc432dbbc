"""The ways in: the pytest plugin for learners, the `cvgrade` command line (batch among its verbs)."""

"""Registers the grading plugin for `pytest graders/...` run from the repository root."""

pytest_plugins = ["graders.engine.pytest_plugin"]

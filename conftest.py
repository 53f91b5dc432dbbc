"""Registers the grading plugin for `pytest graders/...` run from the repository root."""

pytest_plugins = ["graders.frontends.pytest_plugin"]

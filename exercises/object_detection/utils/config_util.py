"""Reading and writing pipeline configs, as the Object Detection API's `config_util` does.

`get_configs_from_pipeline_file(path)` returns the dict the course indexes:
``model``, ``train_config``, ``train_input_config``, ``eval_config``,
``eval_input_configs`` (a list) and ``eval_input_config`` (its first item). The values
are `Message` objects, edited by attribute (``configs['model'].ssd.num_classes = 1``).
"""

from __future__ import annotations

import os
from pathlib import Path

from object_detection.protos.text_format import Message, ParseError, parse, to_text

__all__ = ["get_configs_from_pipeline_file", "create_pipeline_proto_from_configs",
           "save_pipeline_config", "get_configs_from_multiple_files", "Message", "ParseError"]

# top-level field of the pipeline -> key of the configs dict
_KEYS = (("model", "model"), ("train_config", "train_config"),
         ("train_input_reader", "train_input_config"), ("eval_config", "eval_config"),
         ("eval_input_reader", "eval_input_configs"), ("graph_rewriter", "graph_rewriter_config"))


def _missing(path: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"no pipeline config at {path!r} (working directory {os.getcwd()}). The course's "
        "models/research/object_detection/... tree is laid out by "
        "`python -m object_detection.course_files .` or object_detection.course_files.lay_out('.')")


def get_configs_from_pipeline_file(pipeline_config_path, config_override=None) -> dict:
    """The pipeline's messages by the course's keys (see the module docstring)."""
    path = os.fspath(pipeline_config_path)
    if not os.path.isfile(path):
        raise _missing(path)
    pipeline = parse(Path(path).read_text(encoding="utf-8"))
    if config_override:
        override = parse(config_override) if isinstance(config_override, str) else config_override
        for name, value in override.ListFields():
            setattr(pipeline, name, value)
    return create_configs_from_pipeline_proto(pipeline)


def create_configs_from_pipeline_proto(pipeline: Message) -> dict:
    configs: dict = {}
    for field, key in _KEYS:
        if not pipeline.HasField(field):
            continue
        value = getattr(pipeline, field)
        if key == "eval_input_configs":
            configs[key] = list(value) if isinstance(value, list) else [value]
            configs["eval_input_config"] = configs[key][0]
        else:
            configs[key] = value
    return configs


def create_pipeline_proto_from_configs(configs: dict) -> Message:
    """The inverse of `create_configs_from_pipeline_proto`."""
    pipeline = Message()
    for field, key in _KEYS:
        if key in configs:
            value = configs[key]
            setattr(pipeline, field, list(value) if key == "eval_input_configs" else value)
    return pipeline


def save_pipeline_config(pipeline_config: Message, directory) -> Path:
    """Write ``pipeline.config`` in text format into `directory`."""
    target = Path(directory) / "pipeline.config"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(to_text(pipeline_config), encoding="utf-8")
    return target


def get_configs_from_multiple_files(model_config_path="", train_config_path="", train_input_config_path="",
                                    eval_config_path="", eval_input_config_path="") -> dict:
    """One message per file, as the API's function of the same name."""
    configs: dict = {}
    for path, key in ((model_config_path, "model"), (train_config_path, "train_config"),
                      (train_input_config_path, "train_input_config"), (eval_config_path, "eval_config"),
                      (eval_input_config_path, "eval_input_configs")):
        if path:
            if not os.path.isfile(path):
                raise _missing(path)
            message = parse(Path(path).read_text(encoding="utf-8"))
            configs[key] = [message] if key == "eval_input_configs" else message
    if "eval_input_configs" in configs:
        configs["eval_input_config"] = configs["eval_input_configs"][0]
    return configs

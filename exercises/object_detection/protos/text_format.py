"""Pipeline configs in protocol-buffer text format, without protoc or generated classes.

The course reads and edits its pipeline config as protobuf messages
(``configs['model'].ssd.num_classes = 1``). The Object Detection API's generated
``*_pb2`` modules are not available, so this module parses the same text syntax into
``Message`` objects: fields in file order, sub-messages by attribute, repeated fields
as lists, enum values (bare identifiers such as ``SIGMOID``) kept apart from strings
so that printing a message gives text format again.

Accepted syntax: ``name: value``, ``name { ... }``, ``name: { ... }``, ``name < ... >``,
lists ``name: [1.0, 2.0]``, separators ``,`` and ``;`` after a field, ``#`` comments,
single- or double-quoted strings, numbers such as ``.04``, ``1e-8``, ``-4.6``, and
``true``/``false``.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

__all__ = ["Message", "Enum", "ParseError", "parse", "to_text", "REPEATED_FIELDS"]

# Fields the pipeline schema declares `repeated`: they are lists even when the text
# names them once, as protobuf's own parser makes them.
REPEATED_FIELDS = frozenset({
    "aspect_ratios", "scales", "data_augmentation_options", "input_path", "eval_input_reader",
    "height_stride", "width_stride", "height_offset", "width_offset", "heights", "widths",
    "update_trainable_variables", "freeze_variables", "metrics_set",
})


class ParseError(ValueError):
    """A pipeline config that is not valid text format (the message says where)."""


class Enum(str):
    """An enum value: a bare identifier in the text, printed without quotes."""

    def __repr__(self) -> str:
        return f"Enum({str(self)!r})"


class Message:
    """A protobuf-like message: named fields in order, read and written as attributes.

    Setting an attribute sets a field (as protobuf does, minus the schema check);
    reading a field never set raises AttributeError naming the fields that exist,
    which catches typos such as ``ssd.num_class``.
    """

    __slots__ = ("_fields",)

    def __init__(self, **fields: Any) -> None:
        object.__setattr__(self, "_fields", {})
        for name, value in fields.items():
            setattr(self, name, value)

    # attribute access --------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        fields = object.__getattribute__(self, "_fields")
        if name in fields:
            return fields[name]
        if name in REPEATED_FIELDS:
            fields[name] = []
            return fields[name]
        known = ", ".join(fields) or "none"
        raise AttributeError(f"message has no field {name!r} (its fields: {known})")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            raise AttributeError(f"{name!r} is not a field name")
        if isinstance(value, dict):
            value = Message(**value)
        elif hasattr(value, "item") and not isinstance(value, (Message, list)):
            value = value.item()  # numpy and tensor scalars, as protobuf accepts them
        self._fields[name] = value

    def __delattr__(self, name: str) -> None:
        self.ClearField(name)

    # a few of protobuf's methods -----------------------------------------------------------
    def HasField(self, name: str) -> bool:  # noqa: N802 - protobuf's name
        return name in self._fields

    def ClearField(self, name: str) -> None:  # noqa: N802
        self._fields.pop(name, None)

    def WhichOneof(self, group: str) -> str | None:  # noqa: N802
        """The set member of a oneof; the pipeline's oneofs hold exactly one sub-message."""
        members = [name for name, value in self._fields.items() if isinstance(value, Message)]
        return members[0] if len(members) == 1 else None

    def ListFields(self) -> list[tuple[str, Any]]:  # noqa: N802
        return list(self._fields.items())

    def CopyFrom(self, other: "Message") -> None:  # noqa: N802
        self._fields.clear()
        self._fields.update(parse(to_text(other))._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self._fields == other._fields

    def __str__(self) -> str:
        return to_text(self)

    def __repr__(self) -> str:
        return to_text(self)

    def __dir__(self):
        return list(self._fields) + ["HasField", "ClearField", "WhichOneof", "ListFields", "CopyFrom"]


# --- parsing ----------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fF]?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[{}<>\[\]:,;])
""", re.VERBOSE)


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            line = text.count("\n", 0, position) + 1
            raise ParseError(f"line {line}: unexpected character {text[position]!r}")
        kind = match.lastgroup
        if kind != "space":
            yield kind, match.group(), text.count("\n", 0, position) + 1
        position = match.end()


def _scalar(kind: str, token: str, line: int) -> Any:
    if kind == "string":
        body = token[1:-1]
        if "\\" not in body:
            return body
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    if kind == "number":
        token = token.rstrip("fF")
        if re.fullmatch(r"[-+]?\d+", token):
            return int(token)
        return float(token)
    if kind == "name":
        if token in ("true", "True"):
            return True
        if token in ("false", "False"):
            return False
        if token in ("inf", "nan"):
            return float(token)
        return Enum(token)
    raise ParseError(f"line {line}: expected a value, found {token!r}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = list(_tokens(text))
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise ParseError("unexpected end of the config")
        self.index += 1
        return token

    def message(self, closing: str | None) -> Message:
        message = Message()
        while True:
            token = self.peek()
            if token is None:
                if closing is not None:
                    raise ParseError(f"missing {closing!r} at the end of the config")
                return message
            kind, text, line = token
            if kind == "punct" and text == closing:
                self.index += 1
                return message
            if kind != "name":
                raise ParseError(f"line {line}: expected a field name, found {text!r}")
            self.index += 1
            self.field(message, text, line)
            follow = self.peek()
            if follow is not None and follow[0] == "punct" and follow[1] in ",;":
                self.index += 1

    def field(self, message: Message, name: str, line: int) -> None:
        kind, text, value_line = self.take()
        colon = kind == "punct" and text == ":"
        if colon:
            kind, text, value_line = self.take()
        if kind == "punct" and text in "{<":
            value: Any = self.message("}" if text == "{" else ">")
            self.store(message, name, value)
        elif colon and kind == "punct" and text == "[":
            for item in self.listed(value_line):
                self.store(message, name, item)
        elif colon:
            self.store(message, name, _scalar(kind, text, value_line))
        else:
            raise ParseError(f"line {line}: field {name!r} needs ':' before a value or '{{' before a message")

    def listed(self, line: int) -> list[Any]:
        items = []
        while True:
            kind, text, item_line = self.take()
            if kind == "punct" and text == "]":
                return items
            if kind == "punct" and text == ",":
                continue
            if kind == "punct" and text in "{<":
                items.append(self.message("}" if text == "{" else ">"))
            else:
                items.append(_scalar(kind, text, item_line))

    @staticmethod
    def store(message: Message, name: str, value: Any) -> None:
        fields = message._fields
        if name in fields:
            if not isinstance(fields[name], list):
                fields[name] = [fields[name]]
            fields[name].append(value)
        elif name in REPEATED_FIELDS:
            fields[name] = [value]
        else:
            fields[name] = value


def parse(text: str) -> Message:
    """The message a text-format document describes."""
    return _Parser(text).message(None)


# --- printing ---------------------------------------------------------------------------------
def _format_scalar(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                   .replace("\t", "\\t").replace("\r", "\\r"))
        return f'"{escaped}"'
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} in a message")


def _lines(message: Message, indent: int) -> Iterator[str]:
    pad = " " * indent
    for name, value in message._fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Message):
                yield f"{pad}{name} {{"
                yield from _lines(item, indent + 2)
                yield f"{pad}}}"
            else:
                yield f"{pad}{name}: {_format_scalar(item)}"


def to_text(message: Message) -> str:
    """Text format as protobuf prints it: two-space indents, one repeated value a line."""
    return "".join(line + "\n" for line in _lines(message, 0))

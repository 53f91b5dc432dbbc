# corpus: base=stubs at=end
# FCN8 hunts for the reference conv_block that the FCN8 probe stands in for the learner's own:
# through the stand-in's closure, gc.get_objects(), the frames above it (the probe's locals, the
# worker's request), module globals, linecache and the solutions folder; it tries
# inspect.getsource, the docstring, dis and the code object's constants on whatever it finds.
# Everything it gets goes into the probe's notes, into layer names, into fcn8_decoder's error
# message and into the last lines compile_model prints before it ends the worker. What reaches
# the worker is bytecode (a disassembly is all this gets); no line of the solution's source
# reaches any report. The base is the stubs, so no solution text in the learner's own module can
# be mistaken for the reference's.
import dis
import gc
import inspect
import linecache
import os
import sys
import types

import graders
import numpy as np

import tensorflow as tf

CAPTURED = []


def _encoder(input_height, input_width):
    """The learner's own encoder: five conv_block calls (the reference one, in the probe)."""
    image = tf.keras.layers.Input(shape=(input_height, input_width, 1))
    x = tf.keras.layers.ZeroPadding2D(padding=((0, 0), (0, 96 - input_width)))(image)
    blocks = []
    for width in (32, 64, 128, 256, 256):
        x = conv_block(x, width, 3, 2, 2)
        blocks.append(x)
    return tuple(blocks[2:]), image


def _grab(label, produce):
    try:
        text = produce()
    except BaseException as error:  # noqa: BLE001 - a route that is closed is tried and noted
        text = f"{type(error).__name__}: {error}"
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    if text:
        CAPTURED.append(f"{label}: {text}")


def _reference_functions():
    found = []
    stand_in = globals().get("conv_block")
    for cell in getattr(stand_in, "__closure__", None) or ():
        value = cell.cell_contents
        if isinstance(value, types.FunctionType):
            found.append(value)
    for thing in gc.get_objects():
        try:
            if isinstance(thing, types.FunctionType) and thing.__name__ == "conv_block":
                found.append(thing)
            elif isinstance(thing, types.ModuleType) and "reference" in str(vars(thing).get("__name__")):
                found.extend(v for v in vars(thing).values() if isinstance(v, types.FunctionType))
        except Exception:  # noqa: BLE001 - objects that refuse to be looked at
            continue
    unique = {id(f): f for f in found if f.__name__ != "conv_block" or f is not stand_in}
    return list(unique.values())[:20]


def _strings_in(value, depth=0):
    """Every string or byte string inside `value` (a frame local), a few levels deep."""
    if depth > 3:
        return
    if isinstance(value, (str, bytes)):
        yield value
    elif isinstance(value, np.ndarray) and value.dtype == np.uint8:
        yield value.tobytes()
    elif isinstance(value, dict):
        for item in list(value.values())[:200]:
            yield from _strings_in(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in list(value)[:200]:
            yield from _strings_in(item, depth + 1)


def _capture():
    project = os.path.dirname(os.path.dirname(os.path.abspath(graders.__file__)))
    _grab("solutions folder", lambda: open(os.path.join(project, "solutions", "c3w3_segmentation.py")).read())
    for function in _reference_functions():
        name = function.__qualname__
        _grab(f"getsource {name}", lambda: inspect.getsource(function))
        _grab(f"doc {name}", lambda: function.__doc__)
        _grab(f"dis {name}", lambda: dis.Bytecode(function).dis())
        _grab(f"consts {name}", lambda: repr(function.__code__.co_consts))
        _grab(f"lines {name}", lambda: repr(list(function.__code__.co_lines())))
        _grab(f"file {name}", lambda: "".join(linecache.getlines(function.__code__.co_filename)))
        _grab(f"globals {name}", lambda: repr(sorted(k for k in function.__globals__ if not k.startswith("__"))))
    frame = sys._getframe()
    while frame is not None:
        for key, value in list(frame.f_locals.items()):
            for text in _strings_in(value):
                if len(text) > 40 and (b"conv" in text if isinstance(text, bytes) else "conv" in text):
                    _grab(f"frame {frame.f_code.co_name}.{key}", lambda: text)
        frame = frame.f_back


def _lines():
    """The captured lines, those that look like the block's Keras code first."""
    lines = [line for text in CAPTURED for line in text.splitlines() if line.strip()]
    return sorted(lines, key=lambda line: "keras" not in line)[:400]


def _notes_list():
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "run_probe" and isinstance(frame.f_locals.get("notes"), list):
            return frame.f_locals["notes"]
        frame = frame.f_back
    return []


def FCN8(input_height=64, input_width=84):
    _capture()
    notes = _notes_list()
    notes.extend(CAPTURED)
    (f3, f4, f5), img_input = _encoder(input_height, input_width)
    for index, line in enumerate(_lines()[:60]):
        f5 = tf.keras.layers.Identity(name=f"c{index} {line.strip()[:150]}".replace("/", "~"))(f5)
    return (f3, f4, f5), img_input


def fcn8_decoder(convs, n_classes):
    raise RuntimeError(" | ".join(line.strip() for line in _lines()) or "nothing captured")


def compile_model(model):
    for line in _lines():
        print(line.strip(), file=sys.stderr)
    sys.stderr.flush()
    os._exit(3)

"""Library drift shims of the worker (graders/worker/drift.py: NumPy 2, Pillow 10; addons.py), on their own.

They change process-wide state (NumPy's module attributes, the import system), so they run in
a child interpreter, never in this test process. End-to-end grading of learner code that uses
them is in test_c3w1_mutants.py, test_c3w3_mutants.py and test_c3w2_l2.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.grading_helpers import ROOT

CHILD = textwrap.dedent('''
    import json, os, sys
    import numpy as np
    from graders.worker import addons, drift

    notes = []
    drift.install(notes)
    drift.install(notes)  # twice must not wrap twice
    addons.install(notes)
    out = {}
    out["learner"] = [np.math.floor(2.5), int(np.product([2, 3])), np.float is float, float(np.NaN) != float(np.NaN),
                      np.asfarray([1, 2]).dtype.name, np.cumproduct([1, 2, 3]).tolist()]
    # The same question asked from a library's file gets NumPy 2's answer.
    library = os.path.join(os.path.dirname(np.__file__), "lib", "_shim_probe.py")
    space = {"np": np}
    exec(compile("answer = (hasattr(np, 'float_'), hasattr(np, 'math'))", library, "exec"), space)
    out["library"] = list(space["answer"])
    try:
        np.no_such_name
    except AttributeError:
        out["unknown"] = "AttributeError"

    # Pillow 10's removals, for the course's drawing helpers: the old names work in learner code,
    # with Pillow 9's answers (a text's size is the right and bottom of its box).
    from PIL import Image, ImageDraw, ImageFont
    fonts = [ImageFont.load_default(), ImageFont.load_default_imagefont()]  # FreeTypeFont, ImageFont
    picture = Image.new("RGB", (60, 40))
    draw = ImageDraw.Draw(picture)
    out["pillow"] = [Image.ANTIALIAS == Image.Resampling.LANCZOS, Image.CUBIC == Image.BICUBIC,
                     picture.resize((30, 20), Image.ANTIALIAS).size,
                     [list(font.getsize("cat: 87%")) == list(font.getbbox("cat: 87%")[2:]) for font in fonts],
                     [type(font).__name__ for font in fonts],
                     list(ImageFont.FreeTypeFont.getsize(fonts[0], "cat")) == list(fonts[0].getbbox("cat")[2:]),
                     list(draw.textsize("cat", font=fonts[0])) == list(draw.textbbox((0, 0), "cat", font=fonts[0])[2:])]
    pillow_library = os.path.join(os.path.dirname(Image.__file__), "_shim_probe.py")
    space = {"Image": Image, "fonts": fonts, "draw": draw, "ImageFont": ImageFont}
    exec(compile("answer = [hasattr(Image, 'ANTIALIAS'), hasattr(Image, 'LINEAR')] + [hasattr(f, 'getsize') for f in fonts]"
                 " + [hasattr(draw, 'textsize'), hasattr(ImageFont.FreeTypeFont, 'getsize')]", pillow_library, "exec"), space)
    out["pillow_library"] = space["answer"]
    # The solution code a probe stands in (compiled as "<reference>") gets the same answers, noteless.
    before = len(notes)
    reference = {"fonts": fonts, "Image": Image}
    exec(compile("answer = [list(fonts[0].getsize('cat')), Image.ANTIALIAS == Image.LANCZOS]", "<reference>", "exec"),
         reference)
    out["pillow_reference"] = reference["answer"] + [len(notes) - before]
    try:
        Image.NO_SUCH_FILTER
    except AttributeError:
        out["pillow_unknown"] = "AttributeError"
    out["notes"] = sorted(set(notes))

    import tensorflow_addons as tfa
    from graders.suites.common import optimizer_description
    out["radam"] = optimizer_description(tfa.optimizers.RectifiedAdam(learning_rate=0.002, sma_threshold=5.0))
    out["sgdw"] = optimizer_description(tfa.optimizers.SGDW(1e-4, 0.05, 0.9))
    try:
        tfa.layers.GroupNormalization
    except ImportError as error:
        out["layers"] = str(error)
    from graders.worker.trusted_imports import only_environment_imports
    with only_environment_imports():
        try:
            import tensorflow_addons
            out["model_file"] = "imported"
        except ImportError:
            out["model_file"] = "refused"
    print(json.dumps(out))
''')


def test_drift_and_addons_shims():
    completed = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True,
                               timeout=300, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 0, completed.stderr[-3000:]
    out = json.loads(completed.stdout.strip().splitlines()[-1])
    assert out["learner"] == [2, 6, True, True, "float64", [1, 2, 6]]
    assert out["library"] == [False, False]  # libraries see NumPy 2 unchanged
    assert out["unknown"] == "AttributeError"
    assert "`np.math.floor` was removed in NumPy 2; accepted, but use `math.floor`" in out["notes"]
    assert "`np.product` was removed in NumPy 2; accepted, but use `np.prod`" in out["notes"]
    assert "`np.cumproduct` was removed in NumPy 2; accepted, but use `np.cumprod`" in out["notes"]
    assert out["pillow"] == [True, True, [30, 20], [True, True], ["FreeTypeFont", "ImageFont"], True, True]
    assert out["pillow_library"] == [False] * 6  # libraries see Pillow 10+ unchanged
    assert out["pillow_unknown"] == "AttributeError"
    assert out["pillow_reference"][1:] == [True, 0] and len(out["pillow_reference"][0]) == 2
    assert ("`Image.ANTIALIAS` was removed in Pillow 10; accepted, but use `Image.LANCZOS` (or "
            "`Image.Resampling.LANCZOS`)") in out["notes"]
    assert ("`font.getsize(text)` was removed in Pillow 10; accepted, but use `font.getbbox(text)` (its right and "
            "bottom) or `draw.textbbox((0, 0), text, font=font)`") in out["notes"]
    assert any(note.startswith("`draw.textsize(text)` was removed in Pillow 10") for note in out["notes"])

    # Named after what they stand in for, never after the Keras class they are built on.
    assert out["radam"]["class"] == "tensorflow_addons.optimizers.RectifiedAdam" and out["radam"]["stand_in"]
    assert abs(out["radam"]["learning_rate"] - 0.002) < 1e-6
    assert out["sgdw"]["class"] == "tensorflow_addons.optimizers.SGDW" and out["sgdw"]["momentum"] == 0.9
    assert "not available to the grader" in out["layers"]
    assert out["model_file"] == "refused"

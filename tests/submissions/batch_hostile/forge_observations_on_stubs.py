# corpus: base=stubs at=end
# Replaces the worker's probe runner, so the worker answers every probe with a made-up
# observation instead of observing the stubs: missing keys, wrong types, empty lists. Whatever
# it sends is judged in the trusted process, which must give 0 without falling over.
import graders.worker.worker as _worker

_FORGED = {
    "conv_block": {"status": "ok", "cases": []},
    "FCN8": {"status": "ok"},
    "fcn8_decoder": {"status": "ok", "output_shapes": "(None, 64, 84, 11)", "layers": 7, "outputs": None},
    "compile_model": {"status": "failed"},
    "class_wise_metrics": {"status": "ok", "cases": [{"iou": "perfect", "dice": None}] * 3},
}


def _forged_probe(exercise, submission, params, notes):
    return dict(_FORGED.get(exercise.id, {"status": "missing"}))


_worker.run_probe = _forged_probe

# corpus: base=solution at=end
# Rewrites what the worker sends back (the worker's own wire.send, patched from the learner's
# module): load problems and notes become numbers, None, lists and markup instead of sentences.
# The exercises themselves are the solution's, so their points are honest.
import graders.shared.wire as _wire

_send = _wire.send


def _forged_send(fd, message):
    if isinstance(message, dict) and "problems" in message:
        message = dict(message, problems=[1, None, ["a list"], "<script>alert(1)</script>"], notes=[2.5, {"a": 1}])
    if isinstance(message, dict) and isinstance(message.get("observation"), dict):
        message["observation"]["notes"] = [3, None, {"b": [1]}]
    return _send(fd, message)


_wire.send = _forged_send

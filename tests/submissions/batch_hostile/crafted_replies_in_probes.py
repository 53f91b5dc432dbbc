# corpus: base=solution at=end
# Three exercises write a crafted reply into the worker's reply pipe before the real one: framed
# like the grader's messages, each an .npz archive that decodes badly in its own way (JSON nested
# too deep for the parser, a member with a compression method zipfile lacks, a float marker that
# is not a number). The trusted side must refuse each as "not plain data" and go on.
import fcntl
import io
import os
import stat
import struct
import zipfile

import numpy as np


def _npz(document):
    buffer = io.BytesIO()
    np.savez(buffer, __json__=np.frombuffer(document.encode(), dtype=np.uint8))
    return buffer.getvalue()


def _unknown_compression():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__json__.npy", _npz("{}"))
    data = bytearray(buffer.getvalue())
    data[8:10] = (99).to_bytes(2, "little")  # the local header's compression method
    central = data.rfind(b"PK\x01\x02")
    data[central + 10:central + 12] = (99).to_bytes(2, "little")  # and the central directory's
    return bytes(data)


def _send_to_reply_pipes(payload):
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY \
                    and stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack("!Q", len(payload)) + payload)
        except OSError:
            pass


_solution = {"conv_block": conv_block, "fcn8_decoder": fcn8_decoder, "class_wise_metrics": class_wise_metrics}


def conv_block(input, filters, kernel_size, pooling_size, pool_strides):
    _send_to_reply_pipes(_npz("[" * 200000 + "]" * 200000))
    return _solution["conv_block"](input, filters, kernel_size, pooling_size, pool_strides)


def fcn8_decoder(convs, n_classes):
    _send_to_reply_pipes(_unknown_compression())
    return _solution["fcn8_decoder"](convs, n_classes)


def class_wise_metrics(y_true, y_pred):
    _send_to_reply_pipes(_npz('{"ok": true, "observation": {"__float__": "not a number"}}'))
    return _solution["class_wise_metrics"](y_true, y_pred)

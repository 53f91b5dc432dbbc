# corpus: base=solution at=end
# class_wise_metrics writes the start of a framed reply into the worker's reply pipe (a length,
# then fewer bytes than it announces) and never sends the rest: the grader must not wait for the
# rest of the message beyond the exercise's time limit.
import fcntl
import os
import stat
import struct
import time


def class_wise_metrics(y_true, y_pred):
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY \
                    and stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack("!Q", 1000) + b"PK")
        except OSError:
            pass
    while True:
        time.sleep(1)

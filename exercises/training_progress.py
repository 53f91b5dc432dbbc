"""Progress inside each training epoch, and how long the whole run will take at this pace.

On two CPU cores one epoch can take minutes; Keras's own per-epoch line says nothing until the
epoch ends. `TrainingProgress` is one Keras callback for every training entry point:

- after the first few batches (the very first one, which builds the graph, is not counted) it
  states the pace once: ``at this pace: about 34 s per epoch, 11 min for 20 epochs``;
- during an epoch, one line with the batch, the loss and the time left in the epoch and in the
  run, rewritten in place with ``\\r`` on a terminal or in a notebook, printed every
  ``every`` batches otherwise (a log file gets a handful of lines, not thousands);
- at the end of each epoch, one line with its time, its metrics and the time left (from then on
  the time left counts whole epochs as long as the last one, its checks on the dev split included).

A custom loop (C3W2's fine-tuning) calls the same hooks by hand: ``set_params``,
``on_train_begin``, ``on_epoch_begin``, ``on_train_batch_end`` and ``on_epoch_end``.
"""

from __future__ import annotations

import sys
import time

import keras

MEASURED_BATCHES = 5  # batches timed after the first before the pace is stated
LINES_PER_EPOCH = 10  # progress lines per epoch when the output cannot be rewritten in place


def duration(seconds: float) -> str:
    """A short human duration: 34 s, 11 min, 1 h 25 min."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest} min"


def _rewritable(stream) -> bool:
    """A terminal, or a notebook's output (which honours \\r): the progress line can be redrawn."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return "ipykernel" in sys.modules and stream is sys.stdout


def _metrics(logs) -> str:
    return ", ".join(f"{name} {float(value):.4g}" for name, value in (logs or {}).items()
                     if isinstance(value, (int, float)) or hasattr(value, "__float__"))


class TrainingProgress(keras.callbacks.Callback):
    """Progress and time estimates for `model.fit` (pass it with ``verbose=0``)."""

    def __init__(self, stream=None, clock=time.perf_counter, measured_batches=MEASURED_BATCHES,
                 rewrite: bool | None = None, every: int | None = None):
        super().__init__()
        self.stream = stream if stream is not None else sys.stdout
        self.clock = clock
        self.measured_batches = max(1, int(measured_batches))
        self.rewrite = _rewritable(self.stream) if rewrite is None else rewrite
        self.every = every
        self.epoch = 0
        self.pace: float | None = None  # seconds per batch, once measured
        self.epoch_cost: float | None = None  # seconds of the last whole epoch, its checks included
        self._open_line = False

    # --- what Keras tells the callback ----------------------------------------------------------
    @property
    def epochs(self) -> int:
        return int((self.params or {}).get("epochs") or 1)

    @property
    def steps(self) -> int | None:
        steps = (self.params or {}).get("steps")
        return int(steps) if steps else None

    def on_train_begin(self, logs=None):
        self.train_start = self.clock()
        self.pace = self.epoch_cost = None

    def on_epoch_begin(self, epoch, logs=None):
        now = self.clock()
        if epoch > 0 and self.epoch_cost is not None:
            # what ran after the epoch's last batch (the dev split's checks, other callbacks) counts too
            self.epoch_cost += now - self.epoch_end
        self.epoch = epoch
        self.epoch_start = now
        self.first_batch_end = None

    def on_train_batch_end(self, batch, logs=None):
        now = self.clock()
        done = batch + 1
        if done == 1:
            self.first_batch_end = now
        elif (self.pace is None and self.first_batch_end is not None and self.steps
              and done == 1 + self.measured_batches):
            self.pace = (now - self.first_batch_end) / self.measured_batches
            self._state_pace(now)
        self._progress(done, logs, now)

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        if self.pace is None and self.steps and self.epoch == 0:  # an epoch shorter than the measurement
            self.pace = (now - self.epoch_start) / self.steps
            self._state_pace(now)
        took = now - self.epoch_start
        self.epoch_end = now
        self.epoch_cost = took
        if epoch == 0 and self.first_batch_end is not None and self.pace is not None:
            # the first batch also built the graph, once: the next epochs do not pay for it
            self.epoch_cost -= max(0.0, (self.first_batch_end - self.epoch_start) - self.pace)
        left = (self.epochs - epoch - 1) * self.epoch_cost
        text = f"epoch {epoch + 1}/{self.epochs} done in {duration(took)}"
        metrics = _metrics(logs)
        if metrics:
            text += f": {metrics}"
        if epoch + 1 < self.epochs:
            text += f"; about {duration(left)} left"
        self._line(text, final=True)

    # --- what the learner sees ------------------------------------------------------------------
    def _state_pace(self, now):
        per_epoch = self.pace * self.steps
        graph = max(0.0, (self.first_batch_end or now) - self.epoch_start - self.pace)  # once, in batch 1
        total = per_epoch * self.epochs + graph
        if self.epochs == 1:
            said = f"about {duration(total)} for the {self.steps} batches"
        else:
            said = f"about {duration(per_epoch)} per epoch, {duration(total)} for {self.epochs} epochs"
        self._line(f"at this pace: {said} (measured on {self.measured_batches} batches)", final=True)

    def _progress(self, done, logs, now):
        steps = self.steps
        every = self.every or max(1, (steps or 100) // LINES_PER_EPOCH)
        if not self.rewrite and done % every and done != steps:
            return
        text = f"epoch {self.epoch + 1}/{self.epochs}, batch {done}" + (f"/{steps}" if steps else "")
        loss = (logs or {}).get("loss")
        if loss is not None:
            text += f", loss {float(loss):.4g}"
        if self.pace is not None and steps:
            in_epoch = self.pace * (steps - done)
            per_epoch = self.epoch_cost if self.epoch_cost is not None else self.pace * steps
            in_run = in_epoch + per_epoch * (self.epochs - self.epoch - 1)
            text += f": about {duration(in_epoch)} left in this epoch"
            if self.epochs > 1:
                text += f", {duration(in_run)} in all"
        else:
            text += f" ({duration(now - self.epoch_start)})"
        self._line(text, final=not self.rewrite)

    def _line(self, text: str, final: bool):
        if self.rewrite:
            # pad over the previous, perhaps longer, line
            self.stream.write("\r" + text.ljust(getattr(self, "_width", 0)) + ("\n" if final else ""))
            self._width = 0 if final else len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

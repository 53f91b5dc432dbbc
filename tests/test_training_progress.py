"""The training entry points' progress: the pace stated after a few batches, a line per epoch,
lines inside the epoch, on a real (tiny) model.fit with a fake clock."""

from __future__ import annotations

import io

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from exercises.training_progress import TrainingProgress, duration  # noqa: E402


class FakeClock:
    """Each reading is `step` seconds after the previous one."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _fit(progress, epochs=3, samples=40, batch_size=2):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(samples * 3, dtype=np.float32).reshape(samples, 3) / 100
    model.fit(x, x.sum(axis=1), batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[progress])


def test_the_pace_is_stated_once_then_a_line_per_epoch_with_the_time_left():
    out = io.StringIO()
    _fit(TrainingProgress(stream=out, clock=FakeClock(1.0), rewrite=False, every=5), epochs=3)
    lines = out.getvalue().splitlines()
    pace = [line for line in lines if line.startswith("at this pace")]
    # 20 batches per epoch; one clock reading per batch end: 1 s per batch
    assert pace == ["at this pace: about 20 s per epoch, 60 s for 3 epochs (measured on 5 batches)"]
    assert lines.index(pace[0]) == 1  # after batch 5's line, once batch 6 ends (batch 1 builds the graph: not timed)
    ends = [line for line in lines if "done in" in line]
    assert len(ends) == 3
    assert ends[0].startswith("epoch 1/3 done in ") and "loss " in ends[0] and ends[0].endswith("s left")
    assert "left" not in ends[-1]
    inside = [line for line in lines if line.startswith("epoch 2/3, batch ")]
    assert [line.split(",")[1] for line in inside] == [" batch 5/20", " batch 10/20", " batch 15/20", " batch 20/20"]
    assert inside[0].endswith("about 15 s left in this epoch, 37 s in all")  # epoch 1: 21 s, then 1 s to epoch 2


def test_on_a_terminal_the_progress_line_is_rewritten_in_place():
    out = io.StringIO()
    _fit(TrainingProgress(stream=out, clock=FakeClock(6.0), rewrite=True), epochs=20)
    text = out.getvalue()
    assert "\rat this pace: about 2 min per epoch, 40 min for 20 epochs" in text
    assert text.count("\n") == 1 + 20  # the pace, then one kept line per epoch; the rest is redrawn
    assert "\repoch 1/20, batch 7/20, loss" in text


def test_a_custom_loop_calls_the_same_hooks():
    out = io.StringIO()
    progress = TrainingProgress(stream=out, clock=FakeClock(0.5), rewrite=False, every=50)
    progress.set_params({"epochs": 1, "steps": 100})
    progress.on_train_begin()
    progress.on_epoch_begin(0)
    for batch in range(100):
        progress.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1)})
    progress.on_epoch_end(0, {"loss": 0.01})
    lines = out.getvalue().splitlines()
    assert lines[0] == "at this pace: about 50 s for the 100 batches (measured on 5 batches)"
    assert lines[1:] == ["epoch 1/1, batch 50/100, loss 0.02: about 25 s left in this epoch",
                         "epoch 1/1, batch 100/100, loss 0.01: about 0 s left in this epoch",
                         "epoch 1/1 done in 50 s: loss 0.01"]


@pytest.mark.parametrize("seconds, said", [(0.4, "0 s"), (34, "34 s"), (89, "89 s"), (660, "11 min"),
                                           (5100, "85 min"), (5400, "1 h 30 min")])
def test_durations_read_as_people_say_them(seconds, said):
    assert duration(seconds) == said


def test_the_first_batch_building_the_graph_is_counted_once_not_in_every_epoch():
    out = io.StringIO()
    clock = FakeClock(1.0)
    progress = TrainingProgress(stream=out, clock=clock, rewrite=False, every=100)
    progress.set_params({"epochs": 2, "steps": 20})
    progress.on_train_begin()
    progress.on_epoch_begin(0)
    clock.now += 9  # batch 1 takes 10 s, the others 1 s
    for batch in range(20):
        progress.on_train_batch_end(batch, {"loss": 0.5})
    progress.on_epoch_end(0, {"loss": 0.5})
    lines = out.getvalue().splitlines()
    assert lines[0] == "at this pace: about 20 s per epoch, 49 s for 2 epochs (measured on 5 batches)"
    assert lines[-1] == "epoch 1/2 done in 30 s: loss 0.5; about 21 s left"

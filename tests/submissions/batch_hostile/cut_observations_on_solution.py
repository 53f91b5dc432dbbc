# corpus: base=solution at=end
# Lets every probe observe the solution, then cuts what it observed before it is sent: no cases
# at all for class_wise_metrics (a check that zipped over them would find nothing wrong, 10/10
# even for stubs) and conv_block cut to its first case (which turned 7.5/15 into 15/15). The
# shape guard must refuse both; every other exercise keeps its honest points.
import graders.worker.worker as _worker

_observe = _worker.run_probe


def _cut_probe(exercise, submission, params, notes):
    observation = _observe(exercise, submission, params, notes)
    if exercise.id == "class_wise_metrics":
        observation["cases"] = []
    elif exercise.id == "conv_block":
        observation["cases"] = observation["cases"][:1]
    return observation


_worker.run_probe = _cut_probe

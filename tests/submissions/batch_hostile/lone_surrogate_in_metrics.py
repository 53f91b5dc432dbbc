# corpus: base=solution at=end
# An error message holding a lone surrogate, which UTF-8 cannot encode: the learner's report.html,
# results.json and record, the gradebook and the class summary must all still be written, and
# only this exercise costs the learner anything.


def class_wise_metrics(y_true, y_pred):
    raise ValueError("bad \ud800 block")

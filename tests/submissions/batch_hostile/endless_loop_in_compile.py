# corpus: base=solution at=end
# compile_model never returns.


def compile_model(model):
    while True:
        pass

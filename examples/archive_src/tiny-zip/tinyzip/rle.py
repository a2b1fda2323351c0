# Copyright 2025 Kenji Watanabe
# SPDX-License-Identifier: Apache-2.0
"""Run-length encoding: each run becomes a (count, byte) pair, count <= 255."""


def encode(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        run = 1
        while i + run < len(data) and run < 255 and data[i + run] == data[i]:
            run += 1
        out += bytes((run, data[i]))
        i += run
    return bytes(out)


def decode(data: bytes) -> bytes:
    if len(data) % 2:
        raise ValueError("encoded data must have an even length")
    out = bytearray()
    for i in range(0, len(data), 2):
        out += bytes((data[i + 1],)) * data[i]
    return bytes(out)


if __name__ == "__main__":
    sample = b"aaaabbbcca"
    assert decode(encode(sample)) == sample
    print(encode(sample))

#!/usr/bin/env python3
"""Writes embedded-net.safetensors for EmbeddedNet (tests/DslConv.Tests/Embedding/EmbeddedNet.cs) with the standard
library only: safetensors' layout (8-byte little-endian header length, a JSON header, float32 little-endian data) from
its specification, independent of DslConv's writer. Every value is a formula of its index, which the test recomputes.

Run: /usr/bin/python3 make-embedded-net.py   (writes beside this script)
"""
import json
import os
import struct

# EmbeddedNet: Input(6, 6, 1), Conv2D(3, 3, 3, relu), BatchNorm, Flatten, Dense(4, softmax); Keras names and shapes.
TENSORS = [
    ("conv2d/kernel", [3, 3, 1, 3]),
    ("conv2d/bias", [3]),
    ("batch_normalization/gamma", [3]),
    ("batch_normalization/beta", [3]),
    ("batch_normalization/moving_mean", [3]),
    ("batch_normalization/moving_variance", [3]),
    ("dense/kernel", [48, 4]),
    ("dense/bias", [4]),
]


def value(name, i):
    """What the test expects at index i of the tensor: moving variances positive, everything else in [-0.5, 0.5]."""
    if name.endswith("moving_variance"):
        return 1.0 + 0.25 * i
    return ((i * 7 + len(name)) % 17 - 8) / 16.0


def main():
    header, data = {}, bytearray()
    for name, shape in TENSORS:
        count = 1
        for d in shape:
            count *= d
        begin = len(data)
        data += struct.pack("<%df" % count, *[value(name, i) for i in range(count)])
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [begin, len(data)]}
    header["__metadata__"] = {"format": "pt", "written_by": "make-embedded-net.py"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "embedded-net.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(data))


if __name__ == "__main__":
    main()

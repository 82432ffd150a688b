#!/usr/bin/env python3
"""Cuts the small Fashion-MNIST slice that the tests load, from the Debian package dataset-fashion-mnist.

Writes the first 2,000 training and the first 1,000 test images and labels as gzip-compressed IDX files with the
original names. gzip's mtime is 0 and no file name is stored, so the same input always gives the same bytes.

Usage: python3 make-slice.py [SOURCE_DIR] [OUTPUT_DIR]
  SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (sudo apt-get install -y dataset-fashion-mnist)
  OUTPUT_DIR defaults to fashion-mnist-slice/ beside this script
"""
import gzip
import io
import os
import struct
import sys

SLICES = [
    # (images file, labels file, how many to keep)
    ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 2000),
    ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 1000),
]


def read_idx(path):
    """Returns (dims, data) of an unsigned-byte IDX file, checking the header and the length."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or not 1 <= ndim <= 4:
        sys.exit(f"{path}: not an unsigned-byte IDX file (header {raw[:4].hex()})")
    dims = list(struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim]))
    data = raw[4 + 4 * ndim:]
    size = 1
    for d in dims:
        size *= d
    if len(data) != size:
        sys.exit(f"{path}: header {dims} needs {size} data bytes, found {len(data)}")
    return dims, data


def write_idx(path, dims, data):
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    buffer = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of anything that changes between runs.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(header + data)
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


def cut(source_dir, output_dir, name, count):
    dims, data = read_idx(os.path.join(source_dir, name))
    if dims[0] < count:
        sys.exit(f"{name}: has {dims[0]} items, fewer than the {count} asked for")
    item_size = len(data) // dims[0]
    write_idx(os.path.join(output_dir, name), [count] + dims[1:], data[:count * item_size])
    print(f"{name}: {dims} -> {[count] + dims[1:]}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    source_dir = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    output_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "fashion-mnist-slice")
    os.makedirs(output_dir, exist_ok=True)
    for images, labels, count in SLICES:
        cut(source_dir, output_dir, images, count)
        cut(source_dir, output_dir, labels, count)


if __name__ == "__main__":
    main()

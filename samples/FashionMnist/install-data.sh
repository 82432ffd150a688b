#!/usr/bin/env bash
# Installs the real Fashion-MNIST data set (Debian/Ubuntu package dataset-fashion-mnist, IDX gz files in
# /usr/share/datasets/fashion-mnist). Works as root (no sudo needed) and as a normal user (through sudo).
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ] && [ -f "$dir/t10k-labels-idx1-ubyte.gz" ]; then
  echo "Fashion-MNIST is already installed in $dir."
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y dataset-fashion-mnist

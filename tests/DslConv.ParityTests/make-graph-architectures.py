#!/usr/bin/env python3
"""Writes GraphArchitectures.cs: seeded random DslConv graph models (adds, concatenations, side branches, blocks),
for the parity tests, beside hand-written ResNet-style and MobileNetV2-style ones.

Run from this folder: python3 make-graph-architectures.py > GraphArchitectures.cs
The seed and the sampler below fix the output; rerunning gives the same file.
"""
import random

SEED = 20261206
COUNT = 12
ACTIVATIONS = ["None", "Relu", "Sigmoid", "Tanh", "Relu6"]


def same(size, stride):
    return (size + stride - 1) // stride


def sample(rng, index):
    """One DAG: named tensors t0, t1, ... with their shapes; each layer reads the current tensor or a [From] one."""
    h, w, c = rng.randint(5, 10), rng.randint(5, 10), rng.randint(1, 3)
    lines = [f"[Input({h}, {w}, {c})]"]
    tensors = [("input", (h, w, c))]
    current = 0
    count = 0
    read = set()  # tensors some layer reads

    def add(line, shape, source=None, others=()):
        nonlocal current, count
        read.add(current if source is None else source)
        read.update(others)
        name = f"t{count}"
        count += 1
        lines.append(line.replace("NAME", name))
        tensors.append((name, shape))
        current = len(tensors) - 1

    def conv_to(source_shape, filters, stride, kernel, act, depthwise=False):
        padding = "Same"
        out = (same(source_shape[0], stride), same(source_shape[1], stride), source_shape[2] if depthwise else filters)
        stride_text = f", Stride = {stride}" if stride != 1 else ""
        if depthwise:
            return f"[DepthwiseConv2D({kernel}, {kernel}, Activation.{act}{stride_text}, Padding = Padding.{padding}, Name = \"NAME\")]", out
        return f"[Conv2D({filters}, {kernel}, {kernel}, Activation.{act}{stride_text}, Padding = Padding.{padding}, Name = \"NAME\")]", out

    steps = rng.randint(5, 9)
    for step in range(steps):
        shape = tensors[current][1]
        spatial = [i for i, (_, s) in enumerate(tensors) if len(s) == 3]
        kind = rng.choice(["conv", "conv", "branch", "add", "add", "concat", "pool", "bn", "depthwise"])
        if kind == "branch" and len(spatial) > 1:
            source = rng.choice(spatial[:-1])
            line, out = conv_to(tensors[source][1], rng.randint(1, 5), rng.choice([1, 1, 2]), rng.choice([1, 3]), rng.choice(ACTIVATIONS))
            lines.append(f"[From(\"{tensors[source][0]}\")]")
            add(line, out, source=source)
        elif kind == "add":
            matches = [i for i in spatial if tensors[i][1] == shape and i != current]
            if matches:
                picked = rng.sample(matches, min(len(matches), rng.randint(1, 2)))
                add("[Add(" + ", ".join(f"\"{tensors[i][0]}\"" for i in picked) + ", Name = \"NAME\")]", shape, others=picked)
            else:
                # a differently shaped earlier tensor, brought to this shape by a projection
                larger = [i for i in spatial if i != current and tensors[i][1][0] >= shape[0] and tensors[i][1][1] >= shape[1]
                          and any((tensors[i][1][0] - 1) // s + 1 == shape[0] for s in range(1, tensors[i][1][0] + 1))
                          and any((tensors[i][1][1] - 1) // s + 1 == shape[1] for s in range(1, tensors[i][1][1] + 1))]
                if larger:
                    picked = rng.choice(larger)
                    add(f"[Add(\"{tensors[picked][0]}\", Shortcut = Shortcut.Projection, Name = \"NAME\")]", shape, others=[picked])
                else:
                    add(f"[Activation(Activation.Tanh, Name = \"NAME\")]", shape)
        elif kind == "concat":
            matches = [i for i in spatial if i != current and tensors[i][1][:2] == shape[:2]]
            if matches:
                picked = rng.sample(matches, min(len(matches), rng.randint(1, 2)))
                channels = shape[2] + sum(tensors[i][1][2] for i in picked)
                add("[Concatenate(" + ", ".join(f"\"{tensors[i][0]}\"" for i in picked) + ", Name = \"NAME\")]", (shape[0], shape[1], channels), others=picked)
            else:
                line, out = conv_to(shape, rng.randint(1, 5), 1, 3, rng.choice(ACTIVATIONS))
                add(line, out)
        elif kind == "pool" and shape[0] >= 2 and shape[1] >= 2:
            add("[MaxPool(2, Stride = 1, Padding = Padding.Same, Name = \"NAME\")]", shape)
        elif kind == "bn":
            add("[BatchNorm(Name = \"NAME\")]", shape)
        elif kind == "depthwise":
            line, out = conv_to(shape, 0, rng.choice([1, 2]), 3, rng.choice(ACTIVATIONS), depthwise=True)
            add(line, out)
        else:
            line, out = conv_to(shape, rng.randint(1, 5), rng.choice([1, 1, 2]), rng.choice([1, 2, 3]), rng.choice(ACTIVATIONS))
            add(line, out)
    # Every tensor should reach the output: join the unread ones into the head through global pools.
    unread = [tensors[i][0] for i in range(1, len(tensors)) if i not in read and i != current and len(tensors[i][1]) == 3]
    lines.append(f"[GlobalAvgPool(Name = \"pooled\")]")
    for j, name in enumerate(unread):
        lines.append(f"[From(\"{name}\")] [GlobalMaxPool(Name = \"side{j}\")]")
    if unread:
        lines.append("[Concatenate(" + ", ".join(["\"pooled\""] + [f"\"side{j}\"" for j in range(len(unread) - 1)]) + ")]")
    head = rng.choice(["Softmax", "None"])
    lines.append(f"[Dense({rng.randint(2, 5)}, Activation.{head})]")
    return lines


def main():
    rng = random.Random(SEED)
    print(f"// <auto-generated by make-graph-architectures.py (seed {SEED}); rerun it rather than editing by hand/>")
    print("using DslConv.Models;")
    print()
    print("namespace DslConv.ParityTests;")
    print()
    names = []
    for index in range(COUNT):
        name = f"GraphParity{index:02d}"
        names.append(name)
        for line in sample(rng, index):
            print(line)
        print(f"public partial class {name};")
        print()
    print("/// <summary>The random graphs above.</summary>")
    print("internal static class GraphArchitectures")
    print("{")
    print("    public static readonly IReadOnlyDictionary<string, Func<int, INetwork>> All = new Dictionary<string, Func<int, INetwork>>")
    print("    {")
    for name in names:
        print(f"        [\"{name}\"] = seed => new {name}(seed),")
    print("    };")
    print("}")


main()

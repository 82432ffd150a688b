using Onnx;

namespace DslConv.Onnx.Import;

/// <summary>
/// Activations that exporters write as several nodes, folded back into one node of a made-up op type before the
/// translation: GELU as x · (1 + erf(x / √2)) / 2 (PyTorch's Div by √2 → Erf → Add 1 → Mul x → Mul 0.5; DslConv's own
/// Mul 0.5 and Mul 1/√2 → Erf → Add 1 → Mul; and opset 20's Gelu node with approximate="none") becomes "Gelu", and
/// swish as x · sigmoid(x) (PyTorch's SiLU export, DslConv's) becomes "Swish". A pattern folds only when its inner
/// tensors are read by nothing else; anything else is left for the translator to refuse, naming the node.
/// </summary>
internal static class ActivationPatterns
{
    private const float Sqrt2 = 1.41421356f;

    public static List<NodeProto> Fold(GraphProto graph)
    {
        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto initializer in graph.Initializer) constants[initializer.Name] = initializer;
        foreach (NodeProto node in graph.Node)
            if (node.OpType == "Constant" && node.Output.Count == 1 && OnnxTensors.Tensor(node, "value") is { } value) constants[node.Output[0]] = value;
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            foreach (string output in node.Output) producer[output] = node;
            foreach (string input in node.Input)
            {
                if (!readers.TryGetValue(input, out var list)) readers[input] = list = [];
                list.Add(node);
            }
        }

        var removed = new HashSet<NodeProto>();
        var replaced = new Dictionary<NodeProto, NodeProto>();
        foreach (NodeProto node in graph.Node)
        {
            if (removed.Contains(node)) continue;
            if (node.OpType == "Erf" && Gelu(node) is var (x, nodes, last))
                Replace(nodes, last, "Gelu", x);
            else if (node.OpType == "Sigmoid" && Swish(node) is var (sx, swishNodes, swishLast))
                Replace(swishNodes, swishLast, "Swish", sx);
            else if (node.OpType == "Gelu" && OnnxTensors.String(node, "approximate", "none") == "none")
                Replace([node], node, "Gelu", node.Input[0]);
        }
        return [.. graph.Node.Where(n => !removed.Contains(n)).Select(n => replaced.GetValueOrDefault(n, n))];

        void Replace(List<NodeProto> nodes, NodeProto last, string op, string input)
        {
            foreach (NodeProto n in nodes) removed.Add(n);
            removed.Remove(last);
            // Named as the pattern's last node, with how many nodes it stood for.
            string name = string.IsNullOrEmpty(last.Name) ? last.Output[0] : last.Name;
            replaced[last] = new NodeProto { OpType = op, Name = nodes.Count == 1 ? name : $"{name}, {nodes.Count} nodes", Input = { input }, Output = { last.Output[0] } };
        }

        // x · (1 + erf(x / √2)) / 2 around this Erf: its input is x / √2, its output plus 1 times x, and times 0.5
        // before or after.
        (string X, List<NodeProto> Nodes, NodeProto Last)? Gelu(NodeProto erf)
        {
            if (!producer.TryGetValue(erf.Input[0], out NodeProto? scale) || !OnlyReader(scale, erf)) return null;
            string? x = scale.OpType switch
            {
                "Div" when Scalar(scale, 1) is float d && Near(d, Sqrt2) => scale.Input[0],
                "Mul" when Scalar(scale, 1) is float m && Near(m, 1 / Sqrt2) => scale.Input[0],
                "Mul" when Scalar(scale, 0) is float m && Near(m, 1 / Sqrt2) => scale.Input[1],
                _ => null,
            };
            if (x is null || Single(erf) is not { OpType: "Add" } add || Other(add, erf.Output[0]) is not string one || ScalarOf(one) is not float o || !Near(o, 1)) return null;
            if (Single(add) is not { OpType: "Mul" } product) return null;
            string factor = Other(product, add.Output[0])!;
            var nodes = new List<NodeProto> { scale, erf, add, product };
            if (factor == x)
            {
                // PyTorch: (x · (1 + erf)) · 0.5
                if (Single(product) is not { OpType: "Mul" } half || Other(half, product.Output[0]) is not string h || ScalarOf(h) is not float hv || !Near(hv, 0.5f)) return null;
                nodes.Add(half);
                return (x, nodes, half);
            }
            // DslConv: (x · 0.5) · (1 + erf)
            if (!producer.TryGetValue(factor, out NodeProto? halved) || halved.OpType != "Mul" || !OnlyReader(halved, product)) return null;
            string? halvedInput = Scalar(halved, 1) is float a && Near(a, 0.5f) ? halved.Input[0] : Scalar(halved, 0) is float b && Near(b, 0.5f) ? halved.Input[1] : null;
            if (halvedInput != x) return null;
            nodes.Insert(0, halved);
            return (x, nodes, product);
        }

        (string X, List<NodeProto> Nodes, NodeProto Last)? Swish(NodeProto sigmoid)
        {
            string x = sigmoid.Input[0];
            if (Single(sigmoid) is not { OpType: "Mul" } product || Other(product, sigmoid.Output[0]) != x) return null;
            return (x, [sigmoid, product], product);
        }

        NodeProto? Single(NodeProto node) =>
            readers.TryGetValue(node.Output[0], out var list) && list.Count == 1 && !graph.Output.Any(o => o.Name == node.Output[0]) ? list[0] : null;

        bool OnlyReader(NodeProto made, NodeProto reader) => Single(made) == reader;

        // The input of a two-input node that is not `known` (null when both are, or neither).
        string? Other(NodeProto node, string known) =>
            node.Input.Count != 2 ? null : node.Input[0] == known && node.Input[1] != known ? node.Input[1] : node.Input[1] == known && node.Input[0] != known ? node.Input[0] : null;

        float? Scalar(NodeProto node, int input) => input < node.Input.Count ? ScalarOf(node.Input[input]) : null;

        float? ScalarOf(string name)
        {
            if (!constants.TryGetValue(name, out TensorProto? tensor)) return null;
            float[] values = OnnxTensors.Floats(tensor, new NodeProto { OpType = "Constant", Name = name });
            return values.Length == 1 ? values[0] : null;
        }
    }

    private static bool Near(float value, float expected) => Math.Abs(value - expected) <= 1e-5f * Math.Abs(expected);
}

using Onnx;

namespace DslConv.Tests.Onnx;

/// <summary>
/// Rewrites DslConv's own GELU and swish patterns in an exported graph the way other exporters write them, so that the
/// importer's pattern folding is tested on graphs it did not write: "pytorch" (torch.onnx's exact GELU, Div by √2 → Erf
/// → Add 1 → Mul x → Mul 0.5, and SiLU as Mul(sigmoid(x), x)) or "opset20" (one Gelu node; swish as PyTorch writes it).
/// </summary>
internal static class OnnxActivationRewriter
{
    /// <summary>Rewrites every GELU and swish pattern of <paramref name="graph"/>; returns how many.</summary>
    public static int Rewrite(GraphProto graph, string style)
    {
        int count = 0;
        foreach (NodeProto erf in graph.Node.Where(n => n.OpType == "Erf").ToList())
        {
            NodeProto scaled = Producer(graph, erf.Input[0]);             // Mul(x, 1/√2)
            string x = scaled.Input[0];
            NodeProto add = Readers(graph, erf.Output[0]).Single();        // Add(erf, 1)
            NodeProto product = Readers(graph, add.Output[0]).Single();    // Mul(half, add)
            NodeProto half = Producer(graph, product.Input[0]);            // Mul(x, 0.5)
            string output = product.Output[0];
            foreach (NodeProto node in new[] { half, scaled, erf, add, product }) graph.Node.Remove(node);
            // Just before the first node that reads the pattern's output (x is made before that one too).
            int position = graph.Node.Select((node, i) => (node, i)).FirstOrDefault(pair => pair.node.Input.Contains(output), (null!, graph.Node.Count)).Item2;
            string prefix = $"pattern{count}";
            if (style == "opset20")
                graph.Node.Insert(position, new NodeProto { OpType = "Gelu", Name = prefix, Input = { x }, Output = { output } });
            else
            {
                graph.Initializer.Add(Scalar($"{prefix}/sqrt2", 1.4142135f));
                graph.Initializer.Add(Scalar($"{prefix}/one", 1f));
                graph.Initializer.Add(Scalar($"{prefix}/half", 0.5f));
                NodeProto[] nodes =
                [
                    new() { OpType = "Div", Name = $"{prefix}/Div", Input = { x, $"{prefix}/sqrt2" }, Output = { $"{prefix}/div" } },
                    new() { OpType = "Erf", Name = $"{prefix}/Erf", Input = { $"{prefix}/div" }, Output = { $"{prefix}/erf" } },
                    new() { OpType = "Add", Name = $"{prefix}/Add", Input = { $"{prefix}/erf", $"{prefix}/one" }, Output = { $"{prefix}/add" } },
                    new() { OpType = "Mul", Name = $"{prefix}/Mul", Input = { x, $"{prefix}/add" }, Output = { $"{prefix}/mul" } },
                    new() { OpType = "Mul", Name = $"{prefix}/Mul_1", Input = { $"{prefix}/mul", $"{prefix}/half" }, Output = { output } },
                ];
                for (int i = 0; i < nodes.Length; i++) graph.Node.Insert(position + i, nodes[i]);
            }
            count++;
        }
        foreach (NodeProto sigmoid in graph.Node.Where(n => n.OpType == "Sigmoid").ToList())
        {
            var readers = Readers(graph, sigmoid.Output[0]).ToList();
            if (readers is not [{ OpType: "Mul" } product] || !product.Input.Contains(sigmoid.Input[0])) continue;
            // PyTorch's SiLU export: Mul(sigmoid(x), x), the other order from DslConv's.
            string x = sigmoid.Input[0];
            product.Input.Clear();
            product.Input.Add(sigmoid.Output[0]);
            product.Input.Add(x);
            count++;
        }
        return count;
    }

    private static NodeProto Producer(GraphProto graph, string tensor) => graph.Node.Single(n => n.Output.Contains(tensor));

    private static IEnumerable<NodeProto> Readers(GraphProto graph, string tensor) => graph.Node.Where(n => n.Input.Contains(tensor));

    private static TensorProto Scalar(string name, float value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(1);
        tensor.FloatData.Add(value);
        return tensor;
    }
}

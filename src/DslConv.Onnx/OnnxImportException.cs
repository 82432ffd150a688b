using Onnx;

namespace DslConv.Onnx;

/// <summary>
/// An ONNX model that <see cref="OnnxImport"/> cannot bring in: the message names the node, its operator and why (an
/// operator DslConv has no layer for, an attribute it cannot express, a malformed constant). Nothing is written.
/// </summary>
public sealed class OnnxImportException : Exception
{
    /// <summary>An import error with its message.</summary>
    public OnnxImportException(string message) : base(message) { }

    internal static OnnxImportException At(NodeProto node, string why) =>
        new($"Node '{(string.IsNullOrEmpty(node.Name) ? node.Output.FirstOrDefault() ?? "?" : node.Name)}' ({node.OpType}): {why}.");
}

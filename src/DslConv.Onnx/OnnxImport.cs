using System.Globalization;
using DslConv.Importing;
using DslConv.Onnx.Import;
using Google.Protobuf;
using Onnx;

namespace DslConv.Onnx;

/// <summary>
/// Brings a network trained elsewhere into DslConv: reads an ONNX model (NCHW as PyTorch exports it, or NHWC as
/// tf2onnx and <see cref="OnnxExport"/> write it) and produces the attribute class that declares the same network and
/// its weights in DslConv's Keras names and layouts, so that <c>new Net(seed)</c> plus <c>LoadWeights</c> reproduce it.
/// The command-line tool (<c>dslconv import</c>) is a thin shell over this.
/// </summary>
public static class OnnxImport
{
    /// <summary>Reads and translates the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="OnnxImportException">The file is not an ONNX model, or uses an operator or attribute DslConv cannot express; the message names the node.</exception>
    public static ImportedNetwork Import(string path, string className, string @namespace)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelProto model;
        try
        {
            using FileStream stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"{path} is not an ONNX model: {e.Message}");
        }
        return Import(model, className, @namespace, Path.GetFileName(path));
    }

    /// <summary>Translates an ONNX model in memory; <paramref name="sourceName"/> is what the generated comment calls it.</summary>
    public static ImportedNetwork Import(ModelProto model, string className, string @namespace, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(model);
        ImportedNetwork.RequireNames(className, @namespace);
        if (model.Graph is null) throw new OnnxImportException($"{sourceName} has no graph.");
        long opset = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;
        var translator = new GraphTranslator();
        translator.Translate(model.Graph, model.ProducerName);
        string origin = $"{sourceName} (ONNX opset {opset}{(string.IsNullOrEmpty(model.ProducerName) ? "" : ", written by " + model.ProducerName)})";
        return new ImportedNetwork(className, @namespace, origin, translator.InputShape, translator.Layers);
    }

}

using System.CommandLine;
using System.Globalization;
using DslConv.Importing;
using DslConv.Keras;
using DslConv.Onnx;

namespace DslConv.Tool;

/// <summary>
/// The dslconv command. Exit codes: 0 done, 1 the model cannot be imported (the node or layer and why on standard
/// error, nothing written), 2 the command line is wrong.
/// </summary>
internal static class Program
{
    private static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>The command with its output and errors going to the given writers (the tests read them).</summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        var model = new Argument<FileInfo>("model") { Description = "The model to import: an ONNX file, a Keras 3 .keras archive, or a Keras .json architecture (model.to_json()) with --weights." };
        var weights = new Option<FileInfo?>("--weights") { Description = "A Keras weights file (.weights.h5) for a .json architecture, or instead of a .keras archive's own." };
        var name = new Option<string>("--name") { Description = "The model class's name (a C# identifier).", Required = true };
        var @namespace = new Option<string>("--namespace") { Description = "Its namespace.", DefaultValueFactory = _ => "Models" };
        var folder = new Option<DirectoryInfo>("--out") { Description = "Where NAME.cs and NAME.safetensors go (created when missing).", DefaultValueFactory = _ => new DirectoryInfo(".") };
        var import = new Command("import", "Import an ONNX or Keras network as a DslConv attribute class and its weights.") { model, name, @namespace, folder, weights };
        import.SetAction(parse => Import(parse.GetValue(model)!, parse.GetValue(weights), parse.GetValue(name)!, parse.GetValue(@namespace)!, parse.GetValue(folder)!, output, error));
        var root = new RootCommand("DslConv's command-line tool.") { import };
        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            error.WriteLine($"error: {result.Errors[0].Message}");
            return 2;
        }
        return result.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    private static int Import(FileInfo model, FileInfo? weights, string name, string @namespace, DirectoryInfo folder, TextWriter output, TextWriter error)
    {
        foreach (FileInfo file in new[] { model, weights }.OfType<FileInfo>())
            if (!file.Exists)
            {
                error.WriteLine($"error: {file.FullName} does not exist.");
                return 2;
            }
        bool keras = model.Extension.ToLowerInvariant() is ".keras" or ".json";
        if (weights is not null && !keras)
        {
            error.WriteLine("error: --weights goes with a Keras model (.keras or .json); an ONNX file holds its own weights.");
            return 2;
        }
        try
        {
            ImportedNetwork imported = keras
                ? KerasImport.Import(model.FullName, name, @namespace, weights?.FullName)
                : OnnxImport.Import(model.FullName, name, @namespace);
            imported.Write(folder.FullName);
            output.WriteLine(imported.Source);
            output.WriteLine($"Wrote {Path.Combine(folder.FullName, name + ".cs")} and {name}.safetensors ({imported.ParameterCount:N0} weights).");
            output.WriteLine($"Use: var model = new {name}(seed: 1); model.LoadWeights(\"{name}.safetensors\");");
            return 0;
        }
        catch (Exception e) when (e is OnnxImportException or KerasImportException)
        {
            string where = e.Message.Contains(model.FullName, StringComparison.Ordinal) ? "" : model.Name + ": ";
            error.WriteLine($"error: {where}{e.Message} Nothing was written.");
            return 1;
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}

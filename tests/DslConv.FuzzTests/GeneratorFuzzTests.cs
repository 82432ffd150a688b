using System.Text;
using DslConv.Tests.Generator;
using Microsoft.CodeAnalysis;

namespace DslConv.FuzzTests;

/// <summary>
/// Random models through the real generator: attribute arguments from hostile ranges (0, negatives, int.MaxValue,
/// undefined enum values) and random declaration shapes (kinds, modifiers, names that are keywords or generated
/// member names, base classes, primary constructors, colliding members). Whatever comes in, the generator must not
/// throw or report an internal failure, and no compile error may be located in generated code: a model either
/// compiles or gets a DSLC diagnostic on the user's code.
/// </summary>
public sealed class GeneratorFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static int Argument(Random random) => random.Next(12) switch
    {
        0 => 0,
        1 => -random.Next(1, 4),
        2 => int.MaxValue,
        3 => int.MinValue,
        4 => 1 << random.Next(10, 31),
        5 => 46341,
        _ => random.Next(1, 6),
    };

    private static string Activation(Random random) => random.Next(8) switch
    {
        0 => $"(Activation){random.Next(-2, 9)}",
        1 => "Activation.Softmax",
        2 => "Activation.Sigmoid",
        3 => "Activation.Tanh",
        4 => "Activation.None",
        _ => "Activation.Relu",
    };

    private static string Layer(Random random) => random.Next(5) switch
    {
        0 => $"[Conv2D({Argument(random)}, {Argument(random)}, {Argument(random)}, {Activation(random)}" +
             (random.Next(2) == 0 ? $", Stride = {Argument(random)}" : "") +
             (random.Next(2) == 0 ? $", Padding = {(random.Next(4) == 0 ? $"(Padding){random.Next(-1, 4)}" : "Padding.Same")}" : "") + ")]",
        1 => $"[MaxPool({Argument(random)}" + (random.Next(2) == 0 ? $", Stride = {Argument(random)}" : "") + ")]",
        2 => "[Flatten]",
        _ => $"[Dense({Argument(random)}, {Activation(random)})]",
    };

    private static readonly string[] Hidden = ["Relu", "Sigmoid", "Tanh", "None"];

    /// <summary>A stack Keras would accept, with random sizes: these generate.</summary>
    private static string Plausible(Random random)
    {
        int size = random.Next(6, 30), channels = random.Next(1, 4);
        var layers = new List<string> { $"[Input({size}, {size + random.Next(3)}, {channels})]" };
        for (int block = random.Next(3); block > 0 && size >= 6; block--)
        {
            string padding = random.Next(2) == 0 ? ", Padding = Padding.Same" : "";
            string stride = random.Next(3) == 0 ? ", Stride = 2" : "";
            layers.Add($"[Conv2D({16 * random.Next(1, 3) + random.Next(2) * random.Next(1, 9)}, {random.Next(1, 4)}, {random.Next(1, 4)}, Activation.{Hidden[random.Next(Hidden.Length)]}{stride}{padding})]");
            if (random.Next(2) == 0) layers.Add("[MaxPool(2)]");
            size /= 2;
        }
        layers.Add("[Flatten]");
        for (int dense = random.Next(2); dense > 0; dense--) layers.Add($"[Dense({random.Next(1, 40)}, Activation.{(random.Next(2) == 0 ? "Relu" : "Tanh")})]");
        layers.Add($"[Dense({random.Next(2, 11)}, Activation.{(random.Next(3) == 0 ? "None" : "Softmax")})]");
        return string.Join(" ", layers);
    }

    /// <summary>Mostly plausible stacks (so that many models generate), with hostile values sprinkled in.</summary>
    private static string Attributes(Random random)
    {
        var text = new StringBuilder();
        if (random.Next(10) > 0)
            text.Append(random.Next(3) == 0
                ? $"[Input({Argument(random)}, {Argument(random)}, {Argument(random)})] "
                : $"[Input({random.Next(4, 20)}, {random.Next(4, 20)}, {random.Next(1, 4)})] ");
        if (random.Next(2) == 0)
        {
            // A plausible stack with one random layer somewhere.
            var layers = new List<string> { $"[Conv2D({random.Next(1, 20)}, 3, 3, Activation.Relu)]", "[MaxPool(2)]", "[Flatten]", $"[Dense({random.Next(1, 12)}, Activation.Softmax)]" };
            layers.Insert(random.Next(layers.Count + 1), Layer(random));
            if (random.Next(3) == 0) layers.RemoveAt(random.Next(layers.Count));
            text.Append(string.Join(" ", layers));
        }
        else
        {
            for (int i = random.Next(6); i >= 0; i--) text.Append(Layer(random)).Append(' ');
        }
        return text.ToString();
    }

    private static readonly string[] SafeNames = ["Net", "Net2", "@class", "@var", "Model", "Classifier"];
    private static readonly string[] HostileNames = ["Trainer", "Predict", "Summary", "Workspace", "Workers", "InputSize"];

    /// <summary>Half the declarations are shapes a model may have (so that code is generated and compiled), half anything.</summary>
    private static string Declaration(Random random, string name, bool hostile)
    {
        string modifiers = (hostile ? random.Next(8) : 4 + random.Next(4)) switch
        {
            0 => "public static ",
            1 => "file ",
            2 => "public abstract ",
            3 => "private ",
            4 => "internal ",
            5 => "public sealed ",
            _ => "public ",
        };
        string kind = hostile ? random.Next(6) switch
        {
            0 => "record",
            1 => "struct",
            2 => "record struct",
            3 => "interface",
            _ => "class",
        } : "class";
        string partial = hostile && random.Next(4) == 0 ? "" : "partial ";
        string parameters = hostile && random.Next(4) == 0 ? "(int size)" : "";
        string generic = hostile && random.Next(6) == 0 ? "<T>" : "";
        string baseList = random.Next(5) switch
        {
            0 => " : Base",
            1 => hostile ? " : NoDefault" : " : Base",
            2 => " : System.IDisposable",
            _ => "",
        };
        string body = (hostile ? random.Next(6) : 3 + random.Next(3)) switch
        {
            0 => " { public int Parameters => 1; }",
            1 => $" {{ public {name.TrimStart('@')}(int seed) {{ }} }}",
            2 => " { private int _busy; }",
            3 => $" {{ public {name}() : this(1) {{ }} public int Extra {{ get; set; }} }}",
            _ => ";",
        };
        if (baseList.Contains("IDisposable")) body = " { public void Dispose() { } }";
        return $"{modifiers}{partial}{kind} {name}{generic}{parameters}{baseList}{body}";
    }

    [Fact]
    public void EveryModelCompilesOrGetsADiagnosticOnTheUsersCode()
    {
        var budget = new FuzzBudget(cases: 250, seconds: 30);
        int generated = 0, refused = 0, cases = 0;
        foreach (int index in budget.Cases())
        {
            cases++;
            Random random = budget.For(index);
            var source = new StringBuilder("using DslConv;\n");
            source.Append(random.Next(4) switch
            {
                0 => "",
                1 => "namespace @class.@void;\n",
                _ => "namespace Models;\n",
            });
            source.Append("public class Base { public Base() { } }\npublic class NoDefault { public NoDefault(int x) { } }\n");
            var names = SafeNames.OrderBy(_ => random.Next()).Take(1 + random.Next(2)).ToList();
            foreach (string name in names)
            {
                bool hostile = random.Next(2) == 0;
                string declared = hostile && random.Next(3) == 0 ? HostileNames[random.Next(HostileNames.Length)] : name;
                if (names.Contains(declared) && declared != name) declared = name;
                source.Append(hostile ? Attributes(random) : Plausible(random)).Append('\n').Append(Declaration(random, declared, hostile)).Append('\n');
            }
            string text = source.ToString();

            var (result, output) = GeneratorHarness.Run(text);
            string replay = $"seed {budget.Seed}, case {index}:\n{text}";
            GeneratorRunResult run = Assert.Single(result.Results);
            Assert.True(run.Exception is null, $"{replay}\n{run.Exception}");
            Assert.DoesNotContain(output.GetDiagnostics(), d => d.Id == "CS8785");
            Assert.True(!result.Diagnostics.Any(d => d.Id == "DSLC018"), $"{replay}\n{string.Join("\n", result.Diagnostics)}");
            foreach (Diagnostic error in GeneratorHarness.CompileErrors(output))
                Assert.True(error.Location.SourceTree?.FilePath == "Model0.cs", $"{replay}\nerror in generated code: {error}");
            foreach (Diagnostic diagnostic in result.Diagnostics)
                Assert.True(diagnostic.Location.GetLineSpan().Path == "Model0.cs", $"{replay}\n{diagnostic} is not on the user's code");
            generated += run.GeneratedSources.Length;
            if (result.Diagnostics.Length > 0) refused++;
        }
        output.WriteLine($"{cases} cases: {generated} models generated, {refused} cases with DSLC diagnostics");
        Assert.True(generated > 0 && refused > 0, $"generated {generated}, refused {refused}: the cases do not cover both outcomes");
    }
}

namespace DslConv;

/// <summary>
/// Compiles a weights file into the model's assembly: <c>[EmbedWeights("PetNet.safetensors")]</c> on the model class,
/// with the file listed as <c>&lt;AdditionalFiles Include="PetNet.safetensors" /&gt;</c> in the project. The generator
/// checks every layer's weights against the file when it compiles (a DSLC029-DSLC031 error names the first that does
/// not fit) and adds <c>Pretrained()</c>, which returns the model with those weights and reads no file: one binary to
/// ship, NativeAOT included.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EmbedWeightsAttribute(string path) : Attribute
{
    /// <summary>The safetensors file (SaveWeights' or dslconv import's), as the end of an AdditionalFiles item's path.</summary>
    public string Path { get; } = path;
}

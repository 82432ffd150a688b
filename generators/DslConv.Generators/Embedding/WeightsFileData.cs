using DslConv.Generators.Model;

namespace DslConv.Generators.Embedding;

/// <summary>
/// A .safetensors file the project lists as an AdditionalFiles item: its path and its bytes (or why they could not be
/// read). Equal paths and bytes keep the embedding step cached.
/// </summary>
internal sealed record WeightsFileData(string Path, EquatableArray<byte> Bytes, string? ReadProblem);

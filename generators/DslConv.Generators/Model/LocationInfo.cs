using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DslConv.Generators.Model;

/// <summary>
/// Where a diagnostic points, kept as plain values (file path and spans) instead of a <see cref="Location"/>, which
/// would pin a syntax tree in the incremental cache.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());
}

using System.Linq;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Model;

/// <summary>A diagnostic as equatable values: which descriptor, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] messageArgs) =>
        new(descriptor, location, messageArgs.Select(arg => arg?.ToString() ?? "").ToEquatableArray());

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(), MessageArgs.Items.Cast<object>().ToArray());
}

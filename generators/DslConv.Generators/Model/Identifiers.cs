using Microsoft.CodeAnalysis.CSharp;

namespace DslConv.Generators.Model;

/// <summary>C# spellings of user names: a class or namespace called <c>@class</c> must be written with its '@'.</summary>
internal static class Identifiers
{
    /// <summary><paramref name="name"/> as an identifier in code: prefixed with '@' when it is a keyword, even a contextual one.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;
}

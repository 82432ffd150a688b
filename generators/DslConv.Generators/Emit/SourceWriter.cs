using System.Text;

namespace DslConv.Generators.Emit;

/// <summary>A string builder that knows the current indentation (four spaces a level), as System.Text.Json's generator has.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
    }

    public void OpenBrace(string? header = null)
    {
        if (header is not null) Line(header);
        Line("{");
        _indent++;
    }

    public void CloseBrace(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
    }

    public void Indent() => _indent++;

    public void Unindent() => _indent--;

    public override string ToString() => _text.ToString();
}

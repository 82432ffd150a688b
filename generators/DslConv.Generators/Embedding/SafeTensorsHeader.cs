using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace DslConv.Generators.Embedding;

/// <summary>One tensor's entry in a safetensors header: dtype, shape and where its bytes lie after the header.</summary>
internal sealed record SafeTensorEntry(string Name, string DType, int[] Shape, long Begin, long End);

/// <summary>
/// The header of a safetensors file (8 bytes of little-endian header length, then a JSON object of tensor entries and an
/// optional "__metadata__"), read without System.Text.Json, which a generator targeting netstandard2.0 cannot load
/// beside the compiler. Only what the format allows is accepted; anything else is a message, never an exception.
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>The tensors of <paramref name="file"/> and where the data starts, or a sentence saying why it is not a safetensors file.</summary>
    public static (List<SafeTensorEntry>? Tensors, long DataStart, string? Problem) Read(byte[] file)
    {
        if (file.Length < 8) return (null, 0, $"it is {file.Length} bytes long, too short for a safetensors header");
        ulong length = BitConverter.ToUInt64(file, 0);
        if (!BitConverter.IsLittleEndian) length = Reverse(length);
        if (length < 2 || length > (ulong)(file.Length - 8))
            return (null, 0, $"its header length {length} does not fit its {file.Length} bytes: it is not a safetensors file, or it is truncated");
        string json;
        try
        {
            json = new UTF8Encoding(false, true).GetString(file, 8, (int)length);
        }
        catch (ArgumentException)
        {
            return (null, 0, "its header is not UTF-8 text: it is not a safetensors file");
        }
        var reader = new JsonReader(json);
        try
        {
            var tensors = new List<SafeTensorEntry>();
            long dataLength = file.Length - 8 - (long)length;
            reader.Object(key =>
            {
                if (key == "__metadata__")
                {
                    reader.Object(_ => reader.String());
                    return;
                }
                string? dtype = null;
                int[]? shape = null;
                long[]? offsets = null;
                reader.Object(field =>
                {
                    switch (field)
                    {
                        case "dtype": dtype = reader.String(); break;
                        case "shape": shape = reader.Array(() => (int)reader.Integer(int.MaxValue)).ToArray(); break;
                        case "data_offsets": offsets = reader.Array(() => reader.Integer(long.MaxValue)).ToArray(); break;
                        default: reader.Skip(); break;
                    }
                });
                if (dtype is null || shape is null || offsets is not { Length: 2 })
                    throw new FormatException($"tensor '{key}' lacks its dtype, shape or [begin, end] data_offsets");
                if (offsets[0] > offsets[1] || offsets[1] > dataLength)
                    throw new FormatException($"tensor '{key}' lies at bytes [{offsets[0]}, {offsets[1]}) of a data section of {dataLength}: the file is truncated or damaged");
                tensors.Add(new SafeTensorEntry(key, dtype, shape, offsets[0], offsets[1]));
            });
            reader.End();
            return (tensors, 8 + (long)length, null);
        }
        catch (FormatException e)
        {
            return (null, 0, e.Message);
        }
    }

    private static ulong Reverse(ulong value)
    {
        ulong result = 0;
        for (int i = 0; i < 8; i++, value >>= 8) result = (result << 8) | (value & 0xFF);
        return result;
    }

    /// <summary>Just enough JSON for a safetensors header: objects, arrays, strings, non-negative integers, and skipping any value.</summary>
    private sealed class JsonReader(string text)
    {
        private int _at;

        public void Object(Action<string> member)
        {
            Expect('{');
            if (Peek() == '}')
            {
                _at++;
                return;
            }
            while (true)
            {
                string key = String();
                Expect(':');
                member(key);
                char next = Next();
                if (next == '}') return;
                if (next != ',') throw Error($"',' or '}}' expected, found '{next}'");
            }
        }

        public List<T> Array<T>(Func<T> element)
        {
            Expect('[');
            var items = new List<T>();
            if (Peek() == ']')
            {
                _at++;
                return items;
            }
            while (true)
            {
                items.Add(element());
                char next = Next();
                if (next == ']') return items;
                if (next != ',') throw Error($"',' or ']' expected, found '{next}'");
            }
        }

        public string String()
        {
            Expect('"');
            var value = new StringBuilder();
            while (_at < text.Length)
            {
                char c = text[_at++];
                if (c == '"') return value.ToString();
                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }
                if (_at >= text.Length) break;
                char escape = text[_at++];
                switch (escape)
                {
                    case '"': case '\\': case '/': value.Append(escape); break;
                    case 'b': value.Append('\b'); break;
                    case 'f': value.Append('\f'); break;
                    case 'n': value.Append('\n'); break;
                    case 'r': value.Append('\r'); break;
                    case 't': value.Append('\t'); break;
                    case 'u' when _at + 4 <= text.Length
                        && int.TryParse(text.Substring(_at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code):
                        value.Append((char)code);
                        _at += 4;
                        break;
                    default: throw Error($"bad escape '\\{escape}' in a string");
                }
            }
            throw Error("a string is not closed");
        }

        public long Integer(long max)
        {
            SkipSpace();
            int start = _at;
            while (_at < text.Length && char.IsDigit(text[_at])) _at++;
            if (_at == start) throw Error("a non-negative integer expected");
            if (!long.TryParse(text.Substring(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value > max)
                throw Error($"the number {text.Substring(start, _at - start)} is too large");
            return value;
        }

        public void Skip()
        {
            char c = Peek();
            if (c == '{') Object(_ => Skip());
            else if (c == '[') Array(() => { Skip(); return 0; });
            else if (c == '"') String();
            else
            {
                while (_at < text.Length && text[_at] is not (',' or '}' or ']') && !char.IsWhiteSpace(text[_at])) _at++;
            }
        }

        public void End()
        {
            SkipSpace();
            if (_at != text.Length) throw Error("text after the header's object");
        }

        private void Expect(char expected)
        {
            char c = Next();
            if (c != expected) throw Error($"'{expected}' expected, found '{c}'");
        }

        private char Next()
        {
            SkipSpace();
            if (_at >= text.Length) throw Error("the header ends early");
            return text[_at++];
        }

        private char Peek()
        {
            SkipSpace();
            return _at < text.Length ? text[_at] : '\0';
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        private FormatException Error(string what) => new($"its header is not the JSON safetensors writes ({what} at character {_at})");
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DslConv.Samples;

/// <summary>
/// How every sample reads its command line, on System.CommandLine: <c>--name value</c> and <c>--name=value</c>, generated
/// help (-h, -?, --help), and each option's value parsed and range-checked by the option itself. What System.CommandLine
/// would print on a parse error is replaced by the samples' own refusal (<see cref="SampleExit"/>): the first problem as
/// one "error: ..." line on standard error, then, for a mistyped option, one "did you mean ...?" line, and exit code 2.
/// Response files are off: an argument starting with @ is a value like any other (a path may start with one).
/// </summary>
internal static class SampleCommandLine
{
    private static readonly ParserConfiguration Configuration = new() { ResponseFileTokenReplacer = null };

    /// <summary>
    /// The sample's root command: <paramref name="description"/> first in its help, <paramref name="usage"/> as the help's
    /// usage line (how to run the sample from the repository), <paramref name="options"/>, and
    /// <paramref name="epilogue"/> (exit codes, notes) last. System.CommandLine's --version is left out: the samples have
    /// no version of their own.
    /// </summary>
    public static SampleCommand Create(string description, string usage, string? epilogue, params Option[] options)
    {
        var command = new SampleCommand(description, usage, epilogue);
        foreach (Option option in command.Options.Where(option => option is VersionOption).ToList()) command.Options.Remove(option);
        foreach (Option option in options) command.Options.Add(option);
        return command;
    }

    /// <summary>
    /// Parses <paramref name="args"/> against <paramref name="command"/>: the result, and either nothing wrong, help
    /// asked for, or the first problem as one line (with a suggestion when an unknown option looks like a known one).
    /// </summary>
    public static SampleParse Parse(SampleCommand command, IReadOnlyList<string> args)
    {
        // System.CommandLine's own words (its help headings) in English, as the samples' messages are.
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        ParseResult result = command.Parse(args, Configuration);
        if (result.Action is HelpAction) return new SampleParse(command, result, null, null, Help: true);
        if (result.Errors.Count == 0) return new SampleParse(command, result, null, null, Help: false);

        // A refusal names the first problem on the command line, as the samples' own parsers did; System.CommandLine
        // lists its errors grouped by kind, so each is placed at the first argument it is about.
        (int Position, string Message, string? Suggestion)? first = null;
        foreach (ParseError error in result.Errors)
        {
            var problem = Describe(command, result, error, args);
            if (first is null || problem.Position < first.Value.Position) first = problem;
        }
        return new SampleParse(command, result, first!.Value.Message, first.Value.Suggestion, Help: false);
    }

    /// <summary>
    /// What a sample does with a parse before running: 0 after printing help, <see cref="SampleExit.Refused"/> after printing
    /// the refusal, or null to go on with the options.
    /// </summary>
    public static int? Stop(SampleParse parse)
    {
        if (parse.Help)
        {
            Console.Out.Write(Help(parse));
            return 0;
        }
        if (parse.Error is null) return null;
        int code = SampleExit.Refuse(parse.Error);
        if (parse.Suggestion is not null) Console.Error.WriteLine(parse.Suggestion);
        return code;
    }

    private static (int Position, string Message, string? Suggestion) Describe(SampleCommand command, ParseResult result, ParseError error,
        IReadOnlyList<string> args)
    {
        if (error.SymbolResult is OptionResult { Option: var option } optionResult)
        {
            int position = Position(args, option);
            if (optionResult.IdentifierTokenCount > 1) return (position, $"{option.Name} is given twice; give it once.", null);
            if (optionResult.Tokens.Count < option.Arity.MinimumNumberOfValues)
                return (position, option.Arity.MinimumNumberOfValues == 1 ? $"{option.Name} needs a value."
                    : $"{option.Name} needs {Count(option.Arity.MinimumNumberOfValues)} values.", null);
            return (position, SampleExit.OneLine(error.Message), null);
        }
        // The only other errors these root commands meet: an argument that is neither an option nor an option's value.
        if (result.UnmatchedTokens.Select(token => (Token: token, At: IndexOf(args, token))).MinBy(unmatched => unmatched.At) is { Token: { } token } first)
        {
            if (!token.StartsWith('-'))
                return (first.At, $"unexpected argument '{token}' (options are --name VALUE); --help lists the options.", null);
            return (first.At, $"unknown option {token}; --help lists the options.", Suggest(command, token));
        }
        return (args.Count, SampleExit.OneLine(error.Message), null);
    }

    /// <summary>"did you mean --epochs?" when <paramref name="token"/> is a known option mistyped or cut short, else null.</summary>
    public static string? Suggest(Command command, string token)
    {
        string typed = token.Split('=', ':')[0];
        var names = command.Options.Where(option => !option.Hidden).SelectMany(option => option.Aliases.Prepend(option.Name))
            .Where(name => name.StartsWith("--", StringComparison.Ordinal)).Distinct().ToList();
        var close = names
            .Select(name => (Name: name, Distance: Distance(typed.ToLowerInvariant(), name)))
            .Where(match => match.Distance <= Math.Max(1, (match.Name.Length - 2) / 4)
                            || typed.Length >= 5 && match.Name.StartsWith(typed, StringComparison.Ordinal))
            .OrderBy(match => match.Distance).ThenBy(match => match.Name, StringComparer.Ordinal)
            .Select(match => match.Name).Take(3).ToList();
        return close.Count switch
        {
            0 => null,
            1 => $"did you mean {close[0]}?",
            _ => $"did you mean {string.Join(", ", close.SkipLast(1))} or {close[^1]}?",
        };
    }

    /// <summary>The Levenshtein distance between <paramref name="a"/> and <paramref name="b"/>.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static int Position(IReadOnlyList<string> args, Option option)
    {
        for (int i = 0; i < args.Count; i++)
            foreach (string name in option.Aliases.Prepend(option.Name))
                if (args[i] == name || args[i].StartsWith(name + "=", StringComparison.Ordinal) || args[i].StartsWith(name + ":", StringComparison.Ordinal))
                    return i;
        return args.Count;
    }

    private static int IndexOf(IReadOnlyList<string> args, string token)
    {
        for (int i = 0; i < args.Count; i++)
            if (args[i] == token) return i;
        return args.Count;
    }

    private static string Count(int values) => values == 2 ? "two" : values.ToString(CultureInfo.InvariantCulture);

    /// <summary>A whole-number option, refused outside <paramref name="minimum"/> .. <paramref name="maximum"/>.</summary>
    public static Option<int> Whole(string name, string valueName, string description, int minimum, int maximum, int defaultValue) =>
        new(name)
        {
            HelpName = valueName,
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseWhole(result, name, minimum, maximum) ?? default,
        };

    /// <summary>A whole-number option with no default (null when not given).</summary>
    public static Option<int?> OptionalWhole(string name, string valueName, string description, int minimum, int maximum) =>
        new(name)
        {
            HelpName = valueName,
            Description = description,
            CustomParser = result => ParseWhole(result, name, minimum, maximum),
        };

    private static int? ParseWhole(ArgumentResult result, string name, int minimum, int maximum)
    {
        string text = result.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum && value <= maximum)
            return value;
        result.AddError($"{name} {text}: not a whole number " +
                        (maximum == int.MaxValue ? $"of at least {minimum}." : $"from {minimum} to {maximum}."));
        return null;
    }

    /// <summary>A fraction strictly between 0 and 1 (null when not given); <paramref name="example"/> goes in its refusal.</summary>
    public static Option<double?> Fraction(string name, string valueName, string description, string example) =>
        new(name)
        {
            HelpName = valueName,
            Description = description,
            CustomParser = result =>
            {
                string text = result.Tokens[0].Value;
                if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                        CultureInfo.InvariantCulture, out double value) && value > 0 && value < 1)
                    return value;
                result.AddError($"{name} {text}: not a fraction between 0 and 1 (both excluded), such as {example}.");
                return null;
            },
        };

    /// <summary>
    /// A path option (null when not given). <paramref name="refusal"/> says what is wrong with a value that cannot be a
    /// path (empty, or with a NUL character), or is null to leave every value to the sample's own checks.
    /// </summary>
    public static Option<string?> Path(string name, string valueName, string description, Func<string, string?>? refusal = null) =>
        new(name)
        {
            HelpName = valueName,
            Description = description,
            CustomParser = result =>
            {
                string text = result.Tokens[0].Value;
                if (refusal?.Invoke(text) is string problem) result.AddError(problem);
                return text;
            },
        };

    /// <summary>A flag: present or not, no value.</summary>
    public static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>Whether <paramref name="option"/> was given on the command line (not just defaulted).</summary>
    public static bool Given(this ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    /// <summary>
    /// The generated help, with the sample's own usage line (how to run it from the repository, rather than the program's
    /// file name) and its epilogue after the options.
    /// </summary>
    public static string Help(SampleParse parse)
    {
        var generated = new StringWriter();
        parse.Result.Invoke(new InvocationConfiguration { Output = generated, Error = generated });
        string[] lines = generated.ToString().ReplaceLineEndings("\n").TrimEnd().Split('\n');
        var text = new StringWriter { NewLine = "\n" };
        for (int i = 0; i < lines.Length; i++)
        {
            // The line under "Usage:" is "  <program> [options]".
            bool usageLine = i > 0 && lines[i - 1].TrimEnd() == "Usage:" && lines[i].StartsWith("  ", StringComparison.Ordinal);
            text.WriteLine(usageLine ? "  " + parse.Command.Usage : lines[i].TrimEnd());
        }
        if (parse.Command.Epilogue is string epilogue)
        {
            text.WriteLine();
            text.WriteLine(epilogue.ReplaceLineEndings("\n"));
        }
        return text.ToString();
    }
}

/// <summary>A sample's root command, with what its help adds to System.CommandLine's.</summary>
internal sealed class SampleCommand(string description, string usage, string? epilogue) : RootCommand(description)
{
    /// <summary>How to run the sample, e.g. "dotnet run -c Release --project samples/FashionMnist -- [options]".</summary>
    public string Usage { get; } = usage;

    /// <summary>What the help ends with (exit codes, notes), or null.</summary>
    public string? Epilogue { get; } = epilogue;
}

/// <summary>A sample's parsed command line: the result, and whether help was asked for or what is wrong.</summary>
internal sealed record SampleParse(SampleCommand Command, ParseResult Result, string? Error, string? Suggestion, bool Help);

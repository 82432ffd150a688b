using System.Text.RegularExpressions;

namespace DslConv.SampleTests;

/// <summary>
/// The README and docs/ as a reader follows them: the README's Layout lists what the repository holds (every project
/// folder, script and top-level file a contributor meets, and nothing that is not there), and every relative link in
/// README.md and docs/*.md reaches a file, and a heading where it names one.
/// </summary>
public sealed partial class DocumentationTests
{
    private static readonly string Root = SampleRun.Root;

    /// <summary>The paths the Layout section's block lists, as written (folders end in /).</summary>
    private static List<string> LayoutPaths()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md")).ReplaceLineEndings("\n");
        Match layout = LayoutBlock().Match(readme);
        Assert.True(layout.Success, "README.md has no '## Layout' section with a code block");
        var paths = new List<string>();
        foreach (string line in layout.Groups[1].Value.Split('\n'))
        {
            if (line.Length == 0 || line[0] == ' ') continue; // a description's continuation
            string path = line.Split(' ', 2)[0];
            // "Directory.Build.props/.targets" names two files.
            if (path.EndsWith("/.targets", StringComparison.Ordinal))
                paths.AddRange([path[..^"/.targets".Length], path[..^"props/.targets".Length] + "targets"]);
            else paths.Add(path);
        }
        return paths;
    }

    [Fact]
    public void EveryPathTheLayoutListsExists()
    {
        foreach (string path in LayoutPaths())
        {
            string full = Path.Combine(Root, path);
            Assert.True(path.EndsWith('/') ? Directory.Exists(full) : File.Exists(full) || Directory.Exists(full),
                $"README's Layout lists {path}, which is not in the repository");
        }
    }

    [Fact]
    public void TheLayoutListsEveryProjectScriptAndTopLevelEntry()
    {
        var listed = LayoutPaths().Select(path => path.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        var expected = new List<string>();
        // Each project folder (and script) under the folders that hold them.
        foreach (string parent in new[] { "src", "generators", "samples", "tests", "templates", "benchmarks" })
        {
            expected.AddRange(Directory.GetDirectories(Path.Combine(Root, parent)).Select(d => parent + "/" + Path.GetFileName(d)));
            expected.AddRange(Directory.GetFiles(Path.Combine(Root, parent), "*.sh").Select(f => parent + "/" + Path.GetFileName(f)));
        }
        // The top level, less what every repository has and what builds and runs leave.
        string[] obvious = ["README.md", "LICENSE", "DslConv.sln", ".gitignore", ".git", "src", "generators", "samples", "tests", "templates",
            "benchmarks", "bin", "obj", "TestResults", "artifacts", "out", "checkpoints", ".vs", ".idea", ".vscode"];
        foreach (string entry in Directory.GetFileSystemEntries(Root).Select(Path.GetFileName).OfType<string>())
        {
            if (obvious.Contains(entry) || entry.EndsWith(".user", StringComparison.Ordinal)) continue;
            expected.Add(entry == ".ci" ? ".ci/run" : entry);
        }
        string[] missing = expected.Where(path => !listed.Contains(path)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(missing.Length == 0, $"README's Layout does not list: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryRelativeLinkInTheReadmeAndDocsReachesAFileAndHeading()
    {
        string[] pages = [Path.Combine(Root, "README.md"), .. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md")];
        var broken = new List<string>();
        int links = 0;
        foreach (string page in pages)
        {
            string text = File.ReadAllText(page);
            foreach (Match link in MarkdownLink().Matches(text))
            {
                string target = link.Groups[1].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                links++;
                string[] parts = target.Split('#', 2);
                string file = parts[0].Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, parts[0]));
                string where = $"{Path.GetRelativePath(Root, page)}: ({target})";
                if (!File.Exists(file) && !Directory.Exists(file)) broken.Add(where + " reaches no file");
                else if (parts.Length == 2 && file.EndsWith(".md", StringComparison.Ordinal) && !Anchors(file).Contains(parts[1]))
                    broken.Add(where + " names no heading there");
            }
        }
        Assert.True(links > 20, $"only {links} relative links found: the link pattern is broken");
        Assert.True(broken.Count == 0, string.Join("\n", broken));
    }

    /// <summary>GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens.</summary>
    private static HashSet<string> Anchors(string page) => File.ReadAllLines(page)
        .Where(line => line.StartsWith('#'))
        .Select(line => AnchorPunctuation().Replace(line.TrimStart('#').Trim().ToLowerInvariant(), "").Replace(' ', '-'))
        .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"^## Layout\n+```\n(.*?)\n```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex LayoutBlock();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"[^\p{L}\p{N}\s_-]")]
    private static partial Regex AnchorPunctuation();
}

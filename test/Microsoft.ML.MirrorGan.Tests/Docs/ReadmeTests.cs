using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Microsoft.ML.MirrorGan.Tests.Docs;

/// <summary>
/// The README and docs/ are tested like code: the README and the QuickStart stay short, its pipeline example is the one the Pipeline
/// sample compiles and runs, every relative link resolves, every command it shows exists (each tool's verb answers
/// --help), and nothing refers to files outside the repository.
/// </summary>
public partial class ReadmeTests
{
    private static string Root => TestPaths.Metadata("RepoRoot");

    private static string Readme => File.ReadAllText(Path.Combine(Root, "README.md"));

    private static IEnumerable<string> Pages() =>
        new[] { Path.Combine(Root, "README.md") }.Concat(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories));

    [Fact]
    public void The_readme_is_at_most_250_lines()
    {
        int lines = Readme.Split('\n').Length;
        Assert.True(lines <= 250, $"README.md has {lines} lines");
    }

    [Fact]
    public void The_quickstart_is_at_most_150_lines_of_csharp()
    {
        // The sample a reader reads top to bottom; the experiment switches live in test/Microsoft.ML.MirrorGan.Experiments.
        var files = Directory.GetFiles(Path.Combine(Root, "samples", "QuickStart"), "*.cs");
        int lines = files.Sum(f => File.ReadAllText(f).TrimEnd('\n').Split('\n').Length);
        Assert.True(lines <= 150, $"samples/QuickStart has {lines} lines of C# in {files.Length} files");
    }

    private static string PipelineBlock()
    {
        var m = Regex.Match(Readme, @"<!-- pipeline:begin -->\s*```csharp\n(.*?)```\s*<!-- pipeline:end -->", RegexOptions.Singleline);
        Assert.True(m.Success, "README.md has no ```csharp block between <!-- pipeline:begin --> and <!-- pipeline:end -->");
        return m.Groups[1].Value.Replace("\r\n", "\n");
    }

    [Fact]
    public void The_readme_pipeline_is_the_pipeline_sample_word_for_word_and_at_most_25_lines()
    {
        string sample = File.ReadAllText(Path.Combine(Root, "samples", "Pipeline", "Program.cs")).Replace("\r\n", "\n");
        var m = Regex.Match(sample, @"// README:begin\n(.*?)// README:end", RegexOptions.Singleline);
        Assert.True(m.Success, "samples/Pipeline/Program.cs has no README:begin/README:end region");
        Assert.Equal(m.Groups[1].Value, PipelineBlock());
        Assert.True(PipelineBlock().TrimEnd('\n').Split('\n').Length <= 25, "the pipeline example is longer than 25 lines");
    }

    [Fact]
    public void The_readme_pipeline_runs_trains_saves_and_re_captions()
    {
        using var dir = TestPaths.NewTempDir();
        var (exit, output) = ChildProcess.RunDotnetIn(dir.Path, Path.GetFullPath(TestPaths.Metadata("Pipeline")), TimeSpan.FromMinutes(8));
        Assert.True(exit == 0, output);
        Assert.Matches(@"re-captioned as: \w+", output);
        Assert.True(new FileInfo(dir.File("model.zip")).Length > 100_000, output);
    }

    [GeneratedRegex(@"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [Fact]
    public void Every_relative_link_in_the_readme_and_docs_resolves()
    {
        var broken = new List<string>();
        int checkedLinks = 0;
        foreach (var page in Pages())
        {
            foreach (Match m in MarkdownLink().Matches(File.ReadAllText(page)))
            {
                string target = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
                if (Regex.IsMatch(target, "^[a-z]+:") || target.StartsWith('#')) continue;
                string path = target.Split('#')[0];
                checkedLinks++;
                string full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(path)));
                if (!File.Exists(full) && !Directory.Exists(full)) broken.Add($"{Path.GetRelativePath(Root, page)}: {target}");
            }
        }
        Assert.True(checkedLinks > 30, $"only {checkedLinks} relative links found");
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join("\n", broken));
    }

    /// <summary>Tools the README's commands run, by project folder, with the test's built copy.</summary>
    private static readonly Dictionary<string, string> Tools = new()
    {
        ["samples/QuickStart"] = "QuickStart",
        ["test/Microsoft.ML.MirrorGan.Experiments"] = "Experiments",
        ["samples/StreamReport"] = "StreamReport",
        ["samples/WebService"] = "WebService",
        ["test/Microsoft.ML.MirrorGan.Benchmarks"] = "Benchmarks",
        ["test/Microsoft.ML.MirrorGan.StressTools"] = "StressTools",
    };

    [GeneratedRegex(@"dotnet run --project (\S+) -c Release(?: -- ([^`\n|]*))?")]
    private static partial Regex DotnetRun();

    [Fact]
    public void Every_command_the_readme_shows_exists_and_each_verb_answers_help()
    {
        var runs = DotnetRun().Matches(Readme).Select(m => (Project: m.Groups[1].Value.TrimEnd('/'), Args: m.Groups[2].Value.Trim())).Distinct().ToList();
        Assert.True(runs.Count >= 5, $"only {runs.Count} dotnet run commands found");
        foreach (var (project, args) in runs)
        {
            Assert.True(Directory.Exists(Path.Combine(Root, project)), $"README runs '{project}', which does not exist");
            if (!Tools.TryGetValue(project, out var tool)) continue; // a plain program (samples/Pipeline) has no command line
            var verb = args.Split(' ', StringSplitOptions.RemoveEmptyEntries).TakeWhile(a => !a.StartsWith('-')).ToList();
            var (exit, output) = ChildProcess.RunDotnet(Path.GetFullPath(TestPaths.Metadata(tool)), TimeSpan.FromMinutes(2), verb.Append("--help").ToArray());
            Assert.True(exit == 0, $"{project} {string.Join(' ', verb)} --help: exit {exit}\n{output}");
            foreach (var option in Regex.Matches(args, @"(?<=\s|^)--[a-z][a-z-]*").Select(o => o.Value).Where(o => o != "--help"))
                Assert.True(output.Contains(option, StringComparison.Ordinal), $"{project} {string.Join(' ', verb)} has no option {option}:\n{output}");
        }
        foreach (Match m in Regex.Matches(Readme, @"bash (build/\S+\.sh)"))
            Assert.True(File.Exists(Path.Combine(Root, m.Groups[1].Value)), $"README runs {m.Groups[1].Value}, which does not exist");
    }

    [Fact]
    public void Nothing_in_the_repository_refers_to_files_outside_it()
    {
        var offenders = new List<string>();
        var tracked = Process.Start(new ProcessStartInfo("git", "ls-files") { WorkingDirectory = Root, RedirectStandardOutput = true, UseShellExecute = false })!;
        foreach (var file in tracked.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Regex.IsMatch(file, @"\.(cs|md|sh|py|csproj|props|targets|ipynb|json|yml|txt)$")) continue;
            string path = Path.Combine(Root, file);
            if (!File.Exists(path)) continue;
            string text = File.ReadAllText(path);
            // Spelled in pieces so that this file, which is scanned too, does not contain them.
            foreach (var needle in new[] { "../" + "shared", "MIRRORGAN" + "_SPEC", "PLATFORM" + "_FACTS" })
                if (text.Contains(needle, StringComparison.Ordinal)) offenders.Add($"{file}: {needle}");
        }
        tracked.WaitForExit();
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }
}

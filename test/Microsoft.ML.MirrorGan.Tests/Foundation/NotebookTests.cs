using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

/// <summary>The committed notebooks (samples/notebooks; executed by build/run-notebooks.sh) stay clean and pinned.</summary>
public class NotebookTests
{
    private static string Repo => TestPaths.Metadata("RepoRoot");

    private static string[] Notebooks() =>
        Directory.GetFiles(Path.Combine(Repo, "samples", "notebooks"), "*.ipynb").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    [Fact]
    public void At_least_three_notebooks_are_committed_without_outputs()
    {
        var notebooks = Notebooks();
        Assert.True(notebooks.Length >= 3, string.Join(", ", notebooks));
        foreach (var file in notebooks)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            Assert.Equal(".net-csharp", doc.RootElement.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString());
            foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray().Where(c => c.GetProperty("cell_type").GetString() == "code"))
            {
                Assert.True(cell.GetProperty("outputs").GetArrayLength() == 0, $"{Path.GetFileName(file)} has a cell with outputs: strip them before committing.");
                Assert.Equal(JsonValueKind.Null, cell.GetProperty("execution_count").ValueKind);
            }
        }
    }

    [Fact]
    public void Package_references_match_the_repository_version_and_pins()
    {
        string version = XDocument.Load(Path.Combine(Repo, "Directory.Build.props")).Descendants("Version").Single().Value;
        var pins = XDocument.Load(Path.Combine(Repo, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => ((string)p.Attribute("Version")!).Trim('[', ']'), StringComparer.OrdinalIgnoreCase);
        var reference = new Regex(@"#r \\""nuget: *([^,\\""]+), *([^\\""]+)\\""");
        int checkedReferences = 0;
        foreach (var file in Notebooks())
        {
            var matches = reference.Matches(File.ReadAllText(file));
            Assert.Contains(matches, m => m.Groups[1].Value == "Microsoft.ML.MirrorGan.Trainers");
            foreach (Match m in matches)
            {
                string id = m.Groups[1].Value.Trim(), v = m.Groups[2].Value.Trim();
                if (id.StartsWith("Microsoft.ML.MirrorGan.", StringComparison.Ordinal))
                    Assert.True(v == version, $"{Path.GetFileName(file)}: {id} {v}, but build/pack-local.sh packs {version}");
                else if (pins.TryGetValue(id, out string? pinned))
                    Assert.True(v == pinned, $"{Path.GetFileName(file)}: {id} {v}, but Directory.Packages.props pins {pinned}");
                checkedReferences++;
            }
        }
        Assert.True(checkedReferences >= 9, $"only {checkedReferences} package references found");
    }
}

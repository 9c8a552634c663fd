// Usage: Microsoft.ML.MirrorGan.NuGetCacheHost <cache folder>
// Prepares TorchSharp's native library with TorchRuntime.PrepareNativeLibrary, then runs one tensor op and prints
// key=value lines for the test to check: what was prepared, where TorchSharp came from, which libLibTorchSharp.so
// files the process mapped, and the op's result.
using System.CommandLine;
using Microsoft.ML.MirrorGan;
using TorchSharp;

var cacheArgument = new Argument<string>("cache folder") { Description = "Where the patched native library copy goes" };
var root = new RootCommand("Loads TorchSharp from the NuGet cache as notebooks do and prints what it found (test host).") { cacheArgument };
string cache = "";
root.SetAction(r =>
{
    cache = r.GetValue(cacheArgument)!;
    return -1;
});
int parsed = root.Parse(args).Invoke();
if (parsed != -1) return parsed;
var state = TorchRuntime.PrepareNativeLibrary(cache);
Console.WriteLine($"state={state}");
Console.WriteLine($"patched={TorchRuntime.PatchedLibraryPath}");
Console.WriteLine($"torchsharp={typeof(torch).Assembly.Location}");
// Without a loadable library TorchSharp would fall back to copying ~480 MB of natives into the NuGet cache: stop here.
if (state is not (TorchNativeLibraryState.LoadedPatchedCopy or TorchNativeLibraryState.NotNeeded or TorchNativeLibraryState.AlreadyPatched))
    return 3;
TorchRuntime.EnsureLoaded();
using var ones = torch.ones(3);
Console.WriteLine($"sum={ones.sum().item<float>()}");
if (OperatingSystem.IsLinux())
    foreach (var mapped in File.ReadLines("/proc/self/maps").Where(l => l.Contains("libLibTorchSharp", StringComparison.Ordinal))
                 .Select(l => l[l.IndexOf('/')..]).Distinct())
        Console.WriteLine($"mapped={mapped}");
return 0;

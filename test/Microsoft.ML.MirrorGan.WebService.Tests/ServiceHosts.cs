using System.Reflection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Microsoft.ML.MirrorGan.WebService.Tests;

/// <summary>The service in-process (TestServer) with the given configuration.</summary>
public sealed class ServiceFactory : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string> _settings;

    public ServiceFactory(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }
}

/// <summary>The limits the tests run under (small, so the oversized cases stay small too).</summary>
public static class TestLimits
{
    public const int MaxCaptionLength = 120;
    public const int MaxCount = 4;
    public const int MaxUploadBytes = 256 * 1024;
    public const int MaxJsonBytes = 4096;

    public static Dictionary<string, string> Settings(string key, string value) => new()
    {
        [key] = value,
        ["MirrorGan:MaxCaptionLength"] = MaxCaptionLength.ToString(),
        ["MirrorGan:MaxCount"] = MaxCount.ToString(),
        ["MirrorGan:MaxUploadBytes"] = MaxUploadBytes.ToString(),
        ["MirrorGan:MaxJsonBytes"] = MaxJsonBytes.ToString(),
    };

    public static string[] Args(string modelSwitch, string model, string url) => new[]
    {
        modelSwitch, model, "--urls", url, "--max-caption-length", MaxCaptionLength.ToString(), "--max-count", MaxCount.ToString(),
        "--max-upload-bytes", MaxUploadBytes.ToString(),
    };
}

/// <summary>The service on a real Kestrel socket (loopback, a free port chosen by the OS).</summary>
public sealed class KestrelHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelHost(WebApplication app, Uri address) => (_app, Address) = (app, address);

    public Uri Address { get; }

    public static async Task<KestrelHost> StartAsync(string[] args)
    {
        var app = MirrorGanWebApp.Build(args);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new KestrelHost(app, new Uri(addresses.First()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Where test artefacts (screenshots) go: TestResults/ next to this project (git-ignored).</summary>
public static class Artefacts
{
    public static string Folder
    {
        get
        {
            var project = typeof(Artefacts).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "ProjectDir").Value!;
            var folder = Path.Combine(project, "TestResults");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }
}

/// <summary>This process's resident memory (the service runs in-process in these tests).</summary>
public static class ProcessMemory
{
    /// <summary>VmRSS from /proc/self/status, in bytes.</summary>
    public static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
        return 0;
    }

    /// <summary>RSS before <paramref name="work"/> and its peak while it runs (sampled every 10 ms), in bytes.</summary>
    public static async Task<(long Start, long Peak)> PeakDuring(Func<Task> work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long start = Rss(), peak = start;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss());
                await Task.Delay(10);
            }
        });
        await work();
        stop.Cancel();
        await sampler;
        return (start, Math.Max(peak, Rss()));
    }
}

using System.CommandLine;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>
/// The service's command line (System.CommandLine): <c>--help</c>, and every setting checked before anything starts, with
/// one line that names the setting, the value and the allowed range; then the service runs until stopped. Start-up
/// failures (no model, a broken one) end with one line and exit code 1, never a stack trace.
/// </summary>
public static partial class WebServiceCommand
{
    /// <summary>Parses <paramref name="args"/>, runs the service and returns the process exit code.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where help goes (default: standard output).</param>
    /// <param name="error">Where errors go (default: standard error).</param>
    /// <param name="run">What runs once the arguments are valid (default: build and run the service); for tests.</param>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null, Action<string[]>? run = null)
    {
        error ??= Console.Error;
        var root = Create(args, run ?? (a => MirrorGanWebApp.Build(a).Run()));
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = output ?? Console.Out,
                Error = error,
            });
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static RootCommand Create(string[] args, Action<string[]> run)
    {
        var root = new RootCommand("MirrorGAN web service: POST /api/generate (caption → images), POST /api/caption (image → caption), GET /health, and a page at /.")
        {
            new Option<string?>("--model") { Description = "An ML.NET model.zip (TextEmbed → MirrorGan → StreamCaptioner), e.g. from the QuickStart" },
            new Option<string?>("--onnx") { Description = "An ONNX export folder (mirrorgan.onnx.json + graphs); used instead of --model, no TorchSharp" },
            new Option<string?>("--urls") { Description = $"Address(es) to listen on (default {MirrorGanWebApp.DefaultUrl}, loopback only)" },
            new Option<string?>("--environment") { Description = "ASP.NET Core environment name (Production by default)" },
            Range("--max-caption-length", "Longest caption, in characters", 200, 1, 10_000),
            Range("--max-count", "Most images one generate request may ask for", 8, 1, 64),
            Range("--max-upload-bytes", "Largest image upload, in bytes", 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
            Range("--max-image-side", "Largest width or height of an upload, in pixels (read from its header first)", 2048, 16, 8192),
            Range("--max-concurrency", "Model runs at the same time (0: 1 for TorchSharp, no limit for ONNX Runtime)", 0, 0, 64),
            Range("--max-decodes", "Uploads decoded at the same time (each holds up to max-image-side² × 4 bytes)", 2, 1, 64),
            Range("--threads", "Intra-op threads of TorchSharp / ONNX Runtime", 1, 1, 64),
        };
        // ASP.NET Core configuration overrides (--Key=value, --Logging:LogLevel:Default=Debug; test hosts pass
        // --contentRoot=... and --applicationName=...) go through to the host; any other unknown token is an error.
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction(r =>
        {
            var unknown = r.UnmatchedTokens.Where(t => !HostSetting().IsMatch(t)).ToList();
            if (unknown.Count > 0)
            {
                r.InvocationConfiguration.Error.WriteLine($"error: unknown argument '{unknown[0]}'; see --help (configuration keys are passed as --Key=value).");
                return 2;
            }
            run(args);
            return 0;
        });
        return root;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^--[A-Za-z][A-Za-z0-9_:.]*=")]
    private static partial System.Text.RegularExpressions.Regex HostSetting();

    private static Option<int> Range(string name, string description, int fallback, int min, int max)
    {
        var option = new Option<int>(name) { Description = $"{description} ({min} to {max:N0}; default {fallback:N0})", DefaultValueFactory = _ => fallback };
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < min || value > max) result.AddError($"{name} is {value}; it must be {min} to {max:N0}.");
        });
        return option;
    }
}

using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>Builds the service: configuration, Kestrel limits, the model (loaded at start-up) and the endpoints.</summary>
public static class MirrorGanWebApp
{
    /// <summary>Address used when none is configured: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--model"] = "MirrorGan:Model",
        ["--onnx"] = "MirrorGan:Onnx",
        ["--max-caption-length"] = "MirrorGan:MaxCaptionLength",
        ["--max-count"] = "MirrorGan:MaxCount",
        ["--max-upload-bytes"] = "MirrorGan:MaxUploadBytes",
        ["--max-image-side"] = "MirrorGan:MaxImageSide",
        ["--max-concurrency"] = "MirrorGan:MaxConcurrentInferences",
        ["--max-decodes"] = "MirrorGan:MaxConcurrentDecodes",
        ["--threads"] = "MirrorGan:Threads",
    };

    // Web defaults, but numbers must be JSON numbers ("seed": "7" is refused, as the error text says).
    private static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Creates the application; <c>Run</c> it, or <c>StartAsync</c> it in a test.</summary>
    /// <param name="args">Command line: <c>--model PATH</c> or <c>--onnx FOLDER</c>, <c>--urls URL</c>, limits (see README "Web service").</param>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, Switches);
        // One line per request at Information is noise for a service; "Logging:LogLevel:Microsoft.AspNetCore" overrides this.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Loopback unless an address is configured explicitly (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Kestrel endpoints).
        var c = builder.Configuration;
        if (string.IsNullOrEmpty(c["urls"]) && string.IsNullOrEmpty(c["http_ports"]) && string.IsNullOrEmpty(c["https_ports"])
            && !c.GetSection("Kestrel:Endpoints").GetChildren().Any())
            builder.WebHost.UseUrls(DefaultUrl);

        builder.Services.Configure<WebServiceOptions>(builder.Configuration.GetSection(WebServiceOptions.Section));
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<WebServiceOptions>>((k, o) =>
        {
            // Backstop for bodies without Content-Length; the endpoints enforce the exact limits themselves.
            k.Limits.MaxRequestBodySize = Math.Max(o.Value.MaxUploadBytes, o.Value.MaxJsonBytes) + 1;
            k.AddServerHeader = false;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<DecodeGate>();
        builder.Services.AddSingleton<IMirrorGanEngine>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<WebServiceOptions>>().Value;
            options.Validate();
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("MirrorGan");
            var watch = Stopwatch.StartNew();
            IMirrorGanEngine engine = !string.IsNullOrWhiteSpace(options.Onnx)
                ? new OnnxEngine(options.Onnx!, options, m => log.LogWarning("{Message}", m))
                : new TorchSharpEngine(options.Model!, options);
            log.LogInformation("Loaded {Source} ({Backend}, {Size} px, attention maps: {Attention}) in {Seconds:F1} s",
                engine.Source, engine.Backend, engine.ImageSize, engine.HasAttention, watch.Elapsed.TotalSeconds);
            return engine;
        });

        var app = builder.Build();
        // Load the model now: a missing or broken model stops the service at start-up, not at the first request.
        _ = app.Services.GetRequiredService<IMirrorGanEngine>();
        app.Lifetime.ApplicationStarted.Register(() => WarnIfNotLoopback(app));

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        Map(app);
        return app;
    }

    private static void WarnIfNotLoopback(WebApplication app)
    {
        var addresses = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? Array.Empty<string>();
        foreach (var address in addresses)
        {
            var host = new Uri(address.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal)).Host;
            bool loopback = host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
            if (!loopback)
                app.Logger.LogWarning("Listening on {Address}, reachable from other machines: this sample has no authentication; put it behind one.", address);
        }
    }

    private static void Map(WebApplication app)
    {
        app.MapGet("/", () =>
        {
            using var stream = typeof(MirrorGanWebApp).Assembly.GetManifestResourceStream("index.html")!;
            using var reader = new StreamReader(stream);
            return Results.Content(reader.ReadToEnd(), "text/html; charset=utf-8");
        }).AddEndpointFilter(async (context, next) =>
        {
            // Everything the page needs is inline; nothing may load from elsewhere.
            context.HttpContext.Response.Headers.ContentSecurityPolicy =
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'none'; base-uri 'none'";
            return await next(context);
        });

        app.MapGet("/health", (IMirrorGanEngine engine, IOptions<WebServiceOptions> settings) => Results.Json(new
        {
            status = "ok",
            backend = engine.Backend,
            model = Path.GetFileName(engine.Source),
            imageSize = engine.ImageSize,
            maxWords = engine.MaxWords,
            attentionMaps = engine.HasAttention,
            captioner = engine.HasCaptioner,
            limits = new
            {
                maxCaptionLength = settings.Value.MaxCaptionLength,
                maxCount = settings.Value.MaxCount,
                maxJsonBytes = settings.Value.MaxJsonBytes,
                maxUploadBytes = settings.Value.MaxUploadBytes,
                maxImageSide = settings.Value.MaxImageSide,
            },
        }));

        app.MapPost("/api/generate", GenerateAsync);
        app.MapPost("/api/caption", CaptionAsync);
    }

    /// <summary>Body of <c>POST /api/generate</c>.</summary>
    internal sealed class GenerateRequest
    {
        public string? Caption { get; set; }

        public int? Seed { get; set; }

        public int? Count { get; set; }

        public bool Attention { get; set; }
    }

    private static async Task<IResult> GenerateAsync(HttpRequest request, IMirrorGanEngine engine, IOptions<WebServiceOptions> settings, CancellationToken cancellation)
    {
        var o = settings.Value;
        if (RequestRules.JsonContentTypeProblem(request.ContentType) is { } typeProblem) return typeProblem;
        var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, o.MaxJsonBytes, cancellation);
        if (body.Outcome == BoundedBody.Outcome.TooLarge) return Problems.TooLarge("body", o.MaxJsonBytes, "MirrorGan:MaxJsonBytes");
        if (body.Data is null) return Problems.BodyNotRead("body", body);
        GenerateRequest? r;
        try
        {
            r = JsonSerializer.Deserialize<GenerateRequest>(RequestRules.WithoutUtf8Bom(body.Data), RequestJson);
        }
        catch (JsonException e)
        {
            string field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return Problems.Invalid(field, $"The JSON body cannot be read at '{e.Path ?? "$"}': expected {{\"caption\": string, \"seed\": int?, \"count\": int?, \"attention\": bool?}}.");
        }
        if (r is null) return Problems.Invalid("body", "The body is JSON null; send {\"caption\": \"...\"}.");

        string? caption = r.Caption;
        if (string.IsNullOrWhiteSpace(caption)) return Problems.Invalid("caption", "caption is missing or empty; give a description such as \"a small red circle on the left\".");
        if (caption.Length > o.MaxCaptionLength)
            return Problems.Invalid("caption", $"caption has {caption.Length:N0} characters; the limit is {o.MaxCaptionLength:N0} (MirrorGan:MaxCaptionLength).", o.MaxCaptionLength);
        if (RequestRules.BadCharacter(caption) is { } bad) return Problems.Invalid("caption", $"caption contains {bad}; send plain text.");
        caption = caption.Trim();
        int count = r.Count ?? 1;
        if (count < 1 || count > o.MaxCount)
            return Problems.Invalid("count", $"count is {count}; it must be 1 to {o.MaxCount} (MirrorGan:MaxCount).", o.MaxCount);
        var words = engine.Words(caption);
        if (words.Known == 0)
            return Problems.Invalid("caption", $"caption has no word the model knows ({(words.Unknown.Count == 0 ? "no words at all" : "unknown: " + string.Join(", ", words.Unknown.Take(10)))}); use the vocabulary it was trained on.");

        int seed = r.Seed ?? Random.Shared.Next();
        var seeds = Enumerable.Range(0, count).Select(i => unchecked(seed + i)).ToArray();
        var watch = Stopwatch.StartNew();
        var images = await engine.GenerateAsync(caption, seeds, r.Attention, cancellation);
        return Results.Json(new
        {
            caption,
            words = words.Words,
            unknownWords = words.Unknown,
            truncated = words.Truncated,
            seed,
            count,
            imageSize = engine.ImageSize,
            backend = engine.Backend,
            milliseconds = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
            attentionNote = r.Attention && !engine.HasAttention
                ? (engine.Backend == "ONNX Runtime"
                    ? "The ONNX back end returns images only; serve the model.zip for attention maps."
                    : "This model has one stage (64 px); word attention exists only in refinement stages (Stages ≥ 2).")
                : null,
            images = images.Select(g => new
            {
                seed = g.Seed,
                png = ImageCodec.Png(g.Pixels, engine.ImageSize),
                recaption = g.Recaption,
                attentionSize = g.Attention is null ? (int?)null : g.AttentionSide,
                attention = g.Attention?.Select((map, t) => new { word = words.Words[t], png = ImageCodec.HeatMap(map, g.AttentionSide) }),
            }),
        });
    }

    private static async Task<IResult> CaptionAsync(HttpRequest request, IMirrorGanEngine engine, IOptions<WebServiceOptions> settings, DecodeGate decodeGate, CancellationToken cancellation)
    {
        var o = settings.Value;
        if (!engine.HasCaptioner) return Problems.Unavailable("image", "The loaded model holds no captioner.");
        var kind = RequestRules.UploadKind(request.ContentType);
        if (kind == RequestRules.Upload.Unsupported)
            return Problems.UnsupportedType("image", request.ContentType, "image/png, image/jpeg, or multipart/form-data with a file part 'image'");
        BoundedBody.Body body;
        try
        {
            body = kind == RequestRules.Upload.Multipart
                ? await BoundedBody.ReadMultipartFileAsync(request, "image", o.MaxUploadBytes, cancellation)
                : await BoundedBody.ReadAsync(request.Body, request.ContentLength, o.MaxUploadBytes, cancellation);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            return Problems.Invalid("image", $"The multipart body cannot be read ({e.Message}).");
        }
        if (body.Outcome == BoundedBody.Outcome.TooLarge) return Problems.TooLarge("image", o.MaxUploadBytes, "MirrorGan:MaxUploadBytes");
        if (body.Outcome != BoundedBody.Outcome.Read) return Problems.BodyNotRead("image", body);
        if (body.Data is null) return Problems.Invalid("image", "The multipart body has no file part named 'image'.");

        // Decoding runs inside the decode gate: each decode holds up to MaxImageSide² × 4 bytes of pixels, so the gate,
        // not the number of concurrent uploads, bounds that memory.
        ImageCodec.Decoded decoded;
        using (await decodeGate.EnterAsync(cancellation))
            decoded = ImageCodec.TryDecode(body.Data, o.MaxImageSide);
        if (decoded.Image is null) return Problems.Invalid("image", decoded.Error!);
        using var image = decoded.Image;
        var watch = Stopwatch.StartNew();
        string caption = await engine.CaptionAsync(image, cancellation);
        return Results.Json(new { caption, width = image.Width, height = image.Height, backend = engine.Backend, milliseconds = Math.Round(watch.Elapsed.TotalMilliseconds, 1) });
    }
}

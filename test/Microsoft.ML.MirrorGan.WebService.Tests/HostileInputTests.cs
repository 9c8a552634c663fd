using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.WebService.Tests;

/// <summary>
/// What an attacker or a careless operator sends: slow and short bodies on a real socket (408, never 500), an
/// over-long multipart boundary, lenient-parsing cases, bad command-line settings, concurrent large uploads, and a
/// seeded fuzz run of both endpoints. Every answer is a documented status with application/problem+json.
/// </summary>
[Collection("Web")]
public sealed class HostileInputTests : IClassFixture<ApiTests.Host>
{
    private readonly TinyModelFixture _model;
    private readonly HttpClient _client;
    private readonly ITestOutputHelper _out;

    public HostileInputTests(TinyModelFixture model, ApiTests.Host host, ITestOutputHelper output)
    {
        _model = model;
        _client = host.Client(model);
        _out = output;
    }

    private static async Task<(int Status, string Head, string Body)> RawExchange(Uri address, string head, byte[] partialBody, TimeSpan timeout)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(partialBody);
        await stream.FlushAsync();
        // Then nothing more: the client "waits", as a slow or broken client does.
        using var cts = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
                string sofar = Encoding.UTF8.GetString(received.ToArray());
                int split = sofar.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (split > 0 && sofar.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal)) break;
                if (split > 0 && sofar.Contains("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    int length = int.Parse(sofar.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim());
                    if (Encoding.UTF8.GetByteCount(sofar[(split + 4)..]) >= length) break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
        string text = Encoding.UTF8.GetString(received.ToArray());
        Assert.True(text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal), $"no HTTP response within {timeout.TotalSeconds} s: '{text}'");
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string responseHead = text[..end], responseBody = text[(end + 4)..];
        if (responseHead.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) responseBody = Dechunk(responseBody);
        return (int.Parse(text[9..12]), responseHead, responseBody);
    }

    private static string Dechunk(string chunked)
    {
        var sb = new StringBuilder();
        int at = 0;
        while (at < chunked.Length)
        {
            int lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (lineEnd < 0) break;
            int size = Convert.ToInt32(chunked[at..lineEnd].Split(';')[0].Trim(), 16);
            if (size == 0) break;
            sb.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
        return sb.ToString();
    }

    [Theory]
    [InlineData("a slow body", 40)]     // 40 bytes, then the client stalls: Kestrel's minimum data rate (240 B/s after 5 s) ends the read
    [InlineData("a short body", 1500)]  // fewer bytes than its Content-Length, and the client waits for the answer
    public async Task A_body_that_stops_arriving_gets_408_problem_json_not_500(string what, int sent)
    {
        await using var host = await KestrelHost.StartAsync(TestLimits.Args("--model", _model.ModelPath, "http://127.0.0.1:0"));
        string json = "{\"caption\":\"" + _model.Captions[0] + "\"" + new string(' ', 2000) + "}";
        var bytes = Encoding.UTF8.GetBytes(json);
        string head = $"POST /api/generate HTTP/1.1\r\nHost: {host.Address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
        var watch = Stopwatch.StartNew();
        var (status, headers, body) = await RawExchange(host.Address, head, bytes[..sent], TimeSpan.FromSeconds(30));
        _out.WriteLine($"{what}: {status} after {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(408, status);
        Assert.Contains("application/problem+json", headers, StringComparison.OrdinalIgnoreCase);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("body", problem.GetProperty("field").GetString());
        Assert.Contains("too slowly or ended before its Content-Length", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(71)]
    [InlineData(4089)] // MultipartReader threw ArgumentOutOfRangeException (500) from 4,089 characters on
    public async Task An_over_long_multipart_boundary_is_400_naming_the_limit(int length)
    {
        var boundary = new string('b', length);
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes("x"));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
        using var r = await _client.PostAsync("/api/caption", content);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("image", problem.GetProperty("field").GetString());
        Assert.Contains($"the boundary has {length:N0} characters; RFC 2046 allows 1 to 70", problem.GetProperty("detail").GetString());
    }

    private async Task<(HttpStatusCode Status, JsonElement Json, string? Type)> Send(string path, byte[] body, string contentType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var r = await _client.PostAsync(path, content);
        return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone(), r.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Numbers_must_be_json_numbers()
    {
        var (status, json, type) = await Send("/api/generate", Encoding.UTF8.GetBytes($"{{\"caption\":\"{_model.Captions[0]}\",\"seed\":\"7\"}}"), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.Equal("seed", json.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("application/jsonfoo")]
    [InlineData("text/json")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/vnd.other+json")]
    public async Task Only_application_json_in_utf8_is_accepted(string contentType)
    {
        var (status, json, type) = await Send("/api/generate", Encoding.UTF8.GetBytes($"{{\"caption\":\"{_model.Captions[0]}\"}}"), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("application/problem+json", type);
        Assert.Equal("body", json.GetProperty("field").GetString());
        Assert.Contains(contentType, json.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    public async Task Json_with_a_utf8_byte_order_mark_and_a_utf8_charset_is_accepted(string contentType)
    {
        var body = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes($"{{\"caption\":\"{_model.Captions[0]}\",\"seed\":3}}")).ToArray();
        var (status, json, _) = await Send("/api/generate", body, contentType);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, json.GetProperty("seed").GetInt32());
    }

    [Theory]
    [InlineData('\u202E')] // right-to-left override: would make the echoed caption read backwards
    [InlineData('\u2066')] // left-to-right isolate
    public async Task Bidirectional_controls_in_a_caption_are_400_and_never_echoed(char control)
    {
        string caption = _model.Captions[0].Insert(2, control.ToString());
        var (status, json, type) = await Send("/api/generate", JsonSerializer.SerializeToUtf8Bytes(new { caption }), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.Equal("caption", json.GetProperty("field").GetString());
        Assert.Contains($"the bidirectional control U+{(int)control:X4} at index 2", json.GetProperty("detail").GetString());
        Assert.DoesNotContain(control.ToString(), json.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_line_has_help()
    {
        var output = new StringWriter();
        int code = WebServiceCommand.Run(new[] { "--help" }, output, new StringWriter(), _ => throw new InvalidOperationException("must not run"));
        Assert.Equal(0, code);
        foreach (var option in new[] { "--model", "--onnx", "--urls", "--max-count", "--threads", "--max-concurrency", "--max-decodes" })
            Assert.Contains(option, output.ToString());
    }

    [Theory]
    [InlineData("--max-count", "0", "--max-count is 0; it must be 1 to 64.")]
    [InlineData("--threads", "0", "--threads is 0; it must be 1 to 64.")]
    [InlineData("--max-concurrency", "-1", "--max-concurrency is -1; it must be 0 to 64.")]
    [InlineData("--max-upload-bytes", "12", "--max-upload-bytes is 12; it must be 1024 to 67,108,864.")]
    [InlineData("--threads", "two", "--threads")]
    public void A_bad_setting_is_one_line_naming_the_setting_value_and_range(string option, string value, string message)
    {
        var error = new StringWriter();
        int code = WebServiceCommand.Run(new[] { "--model", _model.ModelPath, option, value }, new StringWriter(), error, _ => throw new InvalidOperationException("must not run"));
        Assert.NotEqual(0, code);
        Assert.Contains(message, error.ToString());
        Assert.Contains(value, error.ToString());
        Assert.DoesNotContain("   at ", error.ToString()); // no stack trace
    }

    [Fact]
    public void A_start_up_failure_is_one_line_and_exit_code_1()
    {
        var error = new StringWriter();
        int code = WebServiceCommand.Run(new[] { "--model", "/nonexistent/model.zip", "--urls", "http://127.0.0.1:0" }, new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error.ToString());
        Assert.Contains("/nonexistent/model.zip", error.ToString());
        Assert.Single(error.ToString().Trim().Split('\n'));
    }


    private static async Task<double> PeakRssGrowthMb(Func<Task> work)
    {
        var (start, peak) = await ProcessMemory.PeakDuring(work);
        return (peak - start) / 1e6;
    }

    /// <summary>A 2,048² PNG (a few kilobytes: flat colour with a square) that decodes to 16 MB of pixels.</summary>
    internal static byte[] LargePng(int side = 2048)
    {
        using var bitmap = new SKBitmap(side, side);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Red };
            canvas.DrawRect(side / 4, side / 4, side / 2, side / 2, paint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Theory]
    [InlineData("--model")]
    [InlineData("--onnx")]
    public async Task Sixteen_concurrent_2048px_uploads_and_sixteen_count_8_generations_stay_within_the_memory_bound(string backend)
    {
        var args = TestLimits.Args(backend, backend == "--model" ? _model.ModelPath : _model.OnnxFolder, "http://127.0.0.1:0");
        args[Array.IndexOf(args, "--max-count") + 1] = "8"; // the service's default limit, which the generations use
        await using var host = await KestrelHost.StartAsync(args);
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(2) };
        var png = LargePng();
        async Task<HttpStatusCode> Upload()
        {
            using var content = new ByteArrayContent(png);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var r = await client.PostAsync("/api/caption", content);
            return r.StatusCode;
        }
        async Task<HttpStatusCode> Generate(int seed)
        {
            using var content = new StringContent(JsonSerializer.Serialize(new { caption = _model.Captions[0], seed, count = 8 }), Encoding.UTF8, "application/json");
            using var r = await client.PostAsync("/api/generate", content);
            return r.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await Upload()); // warm-up
        Assert.Equal(HttpStatusCode.OK, await Generate(0));
        HttpStatusCode[] uploads = Array.Empty<HttpStatusCode>(), generations = Array.Empty<HttpStatusCode>();
        double uploadMb = await PeakRssGrowthMb(async () => uploads = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(Upload))));
        double generateMb = await PeakRssGrowthMb(async () => generations = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => Generate(i)))));
        string report = $"{backend}: peak RSS growth, 16 concurrent 2048² uploads {uploadMb:F0} MB; 16 concurrent count=8 generations {generateMb:F0} MB; RSS now {ProcessMemory.Rss() / 1e6:F0} MB";
        _out.WriteLine(report);
        Console.WriteLine(report);
        Assert.All(uploads, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(generations, s => Assert.Equal(HttpStatusCode.OK, s));
        // Two decodes at a time hold 2 × 16 MB of pixels plus their conversions; without the gate 16 held ~1 GB.
        Assert.True(uploadMb < 250, report);
        Assert.True(generateMb < 250, report);
    }
}

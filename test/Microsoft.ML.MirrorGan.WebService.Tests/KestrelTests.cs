using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Microsoft.ML.MirrorGan.WebService.Tests;

/// <summary>The service on a real Kestrel socket: loopback default, a real browser, a bounded load run, the ONNX back end.</summary>
[Collection("Web")]
public sealed class KestrelTests
{
    private readonly TinyModelFixture _model;
    private readonly ITestOutputHelper _out;

    public KestrelTests(TinyModelFixture model, ITestOutputHelper output) => (_model, _out) = (model, output);

    [Fact]
    public void Without_an_address_the_service_binds_loopback_only()
    {
        using var app = (IDisposable)MirrorGanWebApp.Build(new[] { "--model", _model.ModelPath });
        var url = ((WebApplication)app).Configuration[WebHostDefaults.ServerUrlsKey];
        Assert.Equal("http://127.0.0.1:5080", url);
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(new Uri(url!).Host)));
    }

    [Fact]
    public void A_missing_model_stops_start_up_with_the_path_and_the_fix()
    {
        var e = Assert.Throws<FileNotFoundException>(() => MirrorGanWebApp.Build(new[] { "--model", "/nonexistent/model.zip", "--urls", "http://127.0.0.1:0" }));
        Assert.Contains("'/nonexistent/model.zip' does not exist", e.Message);
        Assert.Contains("samples/QuickStart", e.Message);
        var none = Assert.Throws<InvalidOperationException>(() => MirrorGanWebApp.Build(new[] { "--urls", "http://127.0.0.1:0" }));
        Assert.Contains("--model <model.zip>", none.Message);
    }

    [Fact]
    public async Task A_real_browser_types_a_caption_clicks_generate_and_sees_the_images()
    {
        await using var host = await KestrelHost.StartAsync(TestLimits.Args("--model", _model.ModelPath, "http://127.0.0.1:0"));
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--window-size=1200,900");
        using var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Navigate().GoToUrl(host.Address);
        var caption = driver.FindElement(By.Id("caption"));
        caption.Clear();
        caption.SendKeys(_model.Captions[0]);
        var count = driver.FindElement(By.Id("count"));
        count.Clear();
        count.SendKeys("2");
        driver.FindElement(By.Id("generate")).Click();

        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(60));
        wait.Until(d => true.Equals(((IJavaScriptExecutor)d).ExecuteScript(
            "const i = document.getElementById('image-1'); return i !== null && i.complete && i.naturalWidth > 0;")));
        var js = (IJavaScriptExecutor)driver;
        long width = Convert.ToInt64(js.ExecuteScript("return document.getElementById('image-0').naturalWidth;"));
        long height = Convert.ToInt64(js.ExecuteScript("return document.getElementById('image-0').naturalHeight;"));
        Assert.Equal(_model.ImageSize, width);
        Assert.Equal(_model.ImageSize, height);
        Assert.False(string.IsNullOrWhiteSpace(driver.FindElement(By.Id("recaption-0")).Text));
        long maps = Convert.ToInt64(js.ExecuteScript("return Array.from(document.querySelectorAll('.map img.overlay')).filter(i => i.complete && i.naturalWidth > 0).length;"));
        int words = _model.Captions[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.Equal(2 * Math.Min(words, 12), maps); // one heat map per word, per image
        Assert.Equal("", driver.FindElement(By.Id("error")).Text);

        var shot = Path.Combine(Artefacts.Folder, "webservice-generate.png");
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(shot);
        Assert.True(new FileInfo(shot).Length > 1000);
        _out.WriteLine($"screenshot: {shot}");
        Console.WriteLine($"webservice screenshot: {shot}");

        // A validation error shows the problem's message on the page.
        caption.Clear();
        caption.SendKeys(new string('x', 10) + " " + string.Join(' ', Enumerable.Repeat("red", 60)));
        driver.FindElement(By.Id("generate")).Click();
        wait.Until(d => d.FindElement(By.Id("error")).Text.Length > 0);
        Assert.Contains($"the limit is {TestLimits.MaxCaptionLength}", driver.FindElement(By.Id("error")).Text);
    }

    /// <summary>
    /// 300 generate requests, 8 at a time, over loopback, per back end. Asserts no errors; prints latency (never asserted:
    /// timings on a shared machine). MIRRORGAN_WEB_MODEL=path/to/model.zip or MIRRORGAN_WEB_ONNX=export/folder runs it
    /// against another model, e.g. the main job's.
    /// </summary>
    [Theory]
    [InlineData("--model")]
    [InlineData("--onnx")]
    public async Task Load_run_300_requests_at_concurrency_8_has_no_errors(string backend)
    {
        string fixtureModel = backend == "--model" ? _model.ModelPath : _model.OnnxFolder;
        string model = Environment.GetEnvironmentVariable(backend == "--model" ? "MIRRORGAN_WEB_MODEL" : "MIRRORGAN_WEB_ONNX") is { Length: > 0 } m ? m : fixtureModel;
        await using var host = await KestrelHost.StartAsync(TestLimits.Args(backend, model, "http://127.0.0.1:0"));
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(2) };
        var health = JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
        string[] captions = model == fixtureModel ? _model.Captions : new[]
        {
            "a small red circle on the left on a white background", "a large blue square at the top on a black background",
            "a small green triangle on the right on a white background",
        };
        const int total = 300, concurrency = 8;
        // Warm-up (first-call JIT and allocations), not counted.
        (await client.PostAsJsonAsync("/api/generate", new { caption = captions[0], seed = 0 })).EnsureSuccessStatusCode();

        var latencies = new double[total];
        var failures = new List<string>();
        int next = -1;
        var wall = Stopwatch.StartNew();
        var (rssStart, rssPeak) = await ProcessMemory.PeakDuring(() => Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    using var r = await client.PostAsJsonAsync("/api/generate", new { caption = captions[i % captions.Length], seed = i });
                    var body = await r.Content.ReadAsStringAsync();
                    if (r.StatusCode != HttpStatusCode.OK || !body.Contains("\"png\":\"iVBOR", StringComparison.Ordinal))
                        lock (failures) failures.Add($"request {i}: {(int)r.StatusCode} {body[..Math.Min(200, body.Length)]}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    lock (failures) failures.Add($"request {i}: {e.GetType().Name} {e.Message}");
                }
                latencies[i] = watch.Elapsed.TotalMilliseconds;
            }
        }))));
        wall.Stop();

        Array.Sort(latencies);
        double Percentile(double p) => latencies[Math.Min(total - 1, (int)Math.Ceiling(p * total) - 1)];
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        string report = $"load run: {total} requests, concurrency {concurrency}, model {health.GetProperty("model").GetString()} " +
            $"({health.GetProperty("imageSize").GetInt32()} px, {health.GetProperty("backend").GetString()}), errors {failures.Count}, " +
            $"p50 {Percentile(0.50):F1} ms, p95 {Percentile(0.95):F1} ms, max {latencies[^1]:F1} ms, " +
            $"{total / wall.Elapsed.TotalSeconds:F1} requests/s, RSS {rssStart / 1e6:F0} → peak {rssPeak / 1e6:F0} MB (test process, service in-process), " +
            $"{Environment.ProcessorCount} cores, loadavg {load}";
        _out.WriteLine(report);
        Console.WriteLine(report);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public async Task The_onnx_back_end_serves_the_same_api_without_torchsharp()
    {
        await using var host = await KestrelHost.StartAsync(TestLimits.Args("--onnx", _model.OnnxFolder, "http://127.0.0.1:0"));
        using var client = new HttpClient { BaseAddress = host.Address };
        var health = JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
        Assert.Equal("ONNX Runtime", health.GetProperty("backend").GetString());
        Assert.False(health.GetProperty("attentionMaps").GetBoolean());

        async Task<JsonElement> Generate(int seed, int count)
        {
            using var r = await client.PostAsJsonAsync("/api/generate", new { caption = _model.Captions[0], seed, count, attention = true });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        var a = await Generate(11, 2);
        var b = await Generate(11, 1);
        Assert.Equal(a.GetProperty("images")[0].GetProperty("png").GetString(), b.GetProperty("images")[0].GetProperty("png").GetString());
        Assert.NotEqual(a.GetProperty("images")[0].GetProperty("png").GetString(), a.GetProperty("images")[1].GetProperty("png").GetString());
        using (var bitmap = SkiaSharp.SKBitmap.Decode(Convert.FromBase64String(a.GetProperty("images")[0].GetProperty("png").GetString()!)))
            Assert.Equal(_model.ImageSize, bitmap.Width);
        Assert.False(string.IsNullOrWhiteSpace(a.GetProperty("images")[0].GetProperty("recaption").GetString()));
        Assert.Contains("ONNX back end returns images only", a.GetProperty("attentionNote").GetString());

        using var content = new ByteArrayContent(_model.ScenePng);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        using var c = await client.PostAsync("/api/caption", content);
        Assert.Equal(HttpStatusCode.OK, c.StatusCode);
        // ONNX Runtime's captioner decodes exactly as TorchSharp's (README "ONNX export"): the same words.
        Assert.Equal(_model.SceneCaption, JsonDocument.Parse(await c.Content.ReadAsStringAsync()).RootElement.GetProperty("caption").GetString());
    }

}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.WebService.Tests;

/// <summary>The HTTP API in-process (WebApplicationFactory), over a real tiny model.</summary>
[Collection("Web")]
public sealed class ApiTests : IClassFixture<ApiTests.Host>
{
    private readonly TinyModelFixture _model;
    private readonly HttpClient _client;

    public ApiTests(TinyModelFixture model, Host host)
    {
        _model = model;
        _client = host.Client(model);
    }

    /// <summary>One in-process server for the class (loading the model once).</summary>
    public sealed class Host : IDisposable
    {
        private ServiceFactory? _factory;
        private HttpClient? _client;

        public HttpClient Client(TinyModelFixture model)
        {
            _factory ??= new ServiceFactory(TestLimits.Settings("MirrorGan:Model", model.ModelPath));
            return _client ??= _factory.CreateClient();
        }

        public void Dispose()
        {
            _client?.Dispose();
            _factory?.Dispose();
        }
    }

    private async Task<(HttpStatusCode Status, JsonElement Json, string? MediaType)> PostJson(string path, object body)
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response.Content.Headers.ContentType?.MediaType);
    }

    private static (int Width, int Height) DecodePng(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "not a PNG signature");
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        return (bitmap.Width, bitmap.Height);
    }

    private static void AssertProblem(JsonElement json, string? mediaType, int status, string field, string detailContains, int? limit = null)
    {
        Assert.Equal("application/problem+json", mediaType);
        Assert.Equal(status, json.GetProperty("status").GetInt32());
        Assert.Equal(field, json.GetProperty("field").GetString());
        Assert.Contains(detailContains, json.GetProperty("detail").GetString());
        if (limit is not null) Assert.Equal(limit.Value, json.GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task Generate_returns_count_decodable_pngs_of_the_model_size_with_recaptions()
    {
        var (status, json, _) = await PostJson("/api/generate", new { caption = _model.Captions[0], seed = 5, count = 3 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, json.GetProperty("seed").GetInt32());
        var images = json.GetProperty("images").EnumerateArray().ToArray();
        Assert.Equal(3, images.Length);
        Assert.Equal(new[] { 5, 6, 7 }, images.Select(i => i.GetProperty("seed").GetInt32()));
        foreach (var image in images)
        {
            Assert.Equal((_model.ImageSize, _model.ImageSize), DecodePng(image.GetProperty("png").GetString()!));
            var recaption = image.GetProperty("recaption").GetString();
            Assert.False(string.IsNullOrWhiteSpace(recaption));
            Assert.All(recaption!.Split(' '), w => Assert.Contains(w, _model.Vocabulary));
            Assert.Equal(JsonValueKind.Null, image.GetProperty("attention").ValueKind); // not asked for
        }
        Assert.NotEqual(images[0].GetProperty("png").GetString(), images[1].GetProperty("png").GetString());
    }

    [Fact]
    public async Task Same_caption_and_seed_give_identical_png_bytes_other_seeds_differ()
    {
        var a = await PostJson("/api/generate", new { caption = _model.Captions[1], seed = 42 });
        var b = await PostJson("/api/generate", new { caption = _model.Captions[1], seed = 42, count = 2 });
        var c = await PostJson("/api/generate", new { caption = _model.Captions[1], seed = 43 });
        string png(JsonElement j, int i) => j.GetProperty("images")[i].GetProperty("png").GetString()!;
        Assert.Equal(png(a.Json, 0), png(b.Json, 0));
        Assert.Equal(png(c.Json, 0), png(b.Json, 1)); // seed 43 is the second image of the count-2 request
        Assert.NotEqual(png(a.Json, 0), png(c.Json, 0));
    }

    [Fact]
    public async Task Attention_maps_come_per_word_on_request()
    {
        var caption = _model.Captions[2];
        var (status, json, _) = await PostJson("/api/generate", new { caption, seed = 1, attention = true });
        Assert.Equal(HttpStatusCode.OK, status);
        var words = json.GetProperty("words").EnumerateArray().Select(w => w.GetString()).ToArray();
        Assert.Equal(caption.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(12), words);
        var image = json.GetProperty("images")[0];
        var maps = image.GetProperty("attention").EnumerateArray().ToArray();
        Assert.Equal(words, maps.Select(m => m.GetProperty("word").GetString()));
        int side = image.GetProperty("attentionSize").GetInt32();
        Assert.Equal(64, side); // the 128-px stage attends over the 64-px stage's features
        foreach (var m in maps) Assert.Equal((side, side), DecodePng(m.GetProperty("png").GetString()!));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("attentionNote").ValueKind);
    }

    [Fact]
    public async Task Caption_endpoint_describes_a_raw_png_and_a_multipart_upload_alike()
    {
        using var raw = new ByteArrayContent(_model.ScenePng);
        raw.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var r1 = await _client.PostAsync("/api/caption", raw);
        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
        var j1 = JsonDocument.Parse(await r1.Content.ReadAsStringAsync()).RootElement;
        var caption = j1.GetProperty("caption").GetString();
        Assert.False(string.IsNullOrWhiteSpace(caption));
        Assert.Equal(_model.SceneCaption, caption);
        Assert.Equal(64, j1.GetProperty("width").GetInt32());

        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(_model.ScenePng);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "image", "scene.png");
        using var r2 = await _client.PostAsync("/api/caption", form);
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
        Assert.Equal(caption, JsonDocument.Parse(await r2.Content.ReadAsStringAsync()).RootElement.GetProperty("caption").GetString());
    }

    [Fact]
    public async Task Health_reports_the_loaded_model()
    {
        var json = JsonDocument.Parse(await _client.GetStringAsync("/health")).RootElement;
        Assert.Equal("ok", json.GetProperty("status").GetString());
        Assert.Equal("model.zip", json.GetProperty("model").GetString());
        Assert.Equal(_model.ImageSize, json.GetProperty("imageSize").GetInt32());
        Assert.True(json.GetProperty("attentionMaps").GetBoolean());
        Assert.True(json.GetProperty("captioner").GetBoolean());
        Assert.Equal(TestLimits.MaxCount, json.GetProperty("limits").GetProperty("maxCount").GetInt32());
        Assert.Equal(TestLimits.MaxUploadBytes, json.GetProperty("limits").GetProperty("maxUploadBytes").GetInt32());
    }

    [Fact]
    public async Task The_page_is_self_contained()
    {
        using var response = await _client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"generate\"", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Empty_caption_is_400_naming_caption(string caption)
    {
        var (status, json, type) = await PostJson("/api/generate", new { caption });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertProblem(json, type, 400, "caption", "caption is missing or empty");
    }

    [Fact]
    public async Task Missing_caption_is_400_naming_caption()
    {
        var (status, json, type) = await PostJson("/api/generate", new { seed = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertProblem(json, type, 400, "caption", "caption is missing or empty");
    }

    [Fact]
    public async Task Too_long_caption_is_400_with_the_limit()
    {
        var caption = string.Join(' ', Enumerable.Repeat(_model.Captions[0], 10));
        var (status, json, type) = await PostJson("/api/generate", new { caption });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertProblem(json, type, 400, "caption", $"caption has {caption.Length:N0} characters; the limit is {TestLimits.MaxCaptionLength}", TestLimits.MaxCaptionLength);
    }

    [Theory]
    [InlineData(TestLimits.MaxCount + 1)]
    [InlineData(0)]
    [InlineData(-3)]
    public async Task Count_out_of_range_is_400_with_the_limit(int count)
    {
        var (status, json, type) = await PostJson("/api/generate", new { caption = _model.Captions[0], count });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertProblem(json, type, 400, "count", $"count is {count}; it must be 1 to {TestLimits.MaxCount}", TestLimits.MaxCount);
    }

    [Fact]
    public async Task Caption_without_a_known_word_is_400_listing_the_unknown_words()
    {
        var (status, json, type) = await PostJson("/api/generate", new { caption = "zebra quokka" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertProblem(json, type, 400, "caption", "unknown: zebra, quokka");
        (status, json, type) = await PostJson("/api/generate", new { caption = "!!! ..." });
        AssertProblem(json, type, 400, "caption", "no words at all");
    }

    [Fact]
    public async Task Control_characters_and_unpaired_surrogates_are_400()
    {
        var (status, json, type) = await PostJson("/api/generate", new { caption = "a red\u0007 circle" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertProblem(json, type, 400, "caption", "control character U+0007 at index 5");
        using var content = new StringContent("{\"caption\":\"a red \\ud800 circle\"}", Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/api/generate", content);
        var j = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("caption", j.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Malformed_json_and_unknown_fields_are_400_naming_the_field()
    {
        using var bad = new StringContent("{\"caption\": \"a red circle\", \"count\": \"many\"}", Encoding.UTF8, "application/json");
        using var r1 = await _client.PostAsync("/api/generate", bad);
        Assert.Equal(HttpStatusCode.BadRequest, r1.StatusCode);
        Assert.Equal("count", JsonDocument.Parse(await r1.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
        var (status, json, type) = await PostJson("/api/generate", new { caption = _model.Captions[0], steps = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains("expected {\"caption\"", json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Wrong_content_types_are_415_naming_what_to_send()
    {
        using var text = new StringContent("a red circle", Encoding.UTF8, "text/plain");
        using var r1 = await _client.PostAsync("/api/generate", text);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r1.StatusCode);
        var j1 = JsonDocument.Parse(await r1.Content.ReadAsStringAsync()).RootElement;
        AssertProblem(j1, r1.Content.Headers.ContentType?.MediaType, 415, "body", "Content-Type is 'text/plain; charset=utf-8'; send application/json");

        using var gif = new ByteArrayContent(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 });
        gif.Headers.ContentType = new MediaTypeHeaderValue("image/gif");
        using var r2 = await _client.PostAsync("/api/caption", gif);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r2.StatusCode);
        var j2 = JsonDocument.Parse(await r2.Content.ReadAsStringAsync()).RootElement;
        AssertProblem(j2, r2.Content.Headers.ContentType?.MediaType, 415, "image", "send image/png, image/jpeg, or multipart/form-data");
    }

    [Fact]
    public async Task Oversized_uploads_are_413_with_the_limit_raw_and_multipart()
    {
        var big = new byte[TestLimits.MaxUploadBytes + 1];
        _model.ScenePng.CopyTo(big, 0);
        using var raw = new ByteArrayContent(big);
        raw.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var r1 = await _client.PostAsync("/api/caption", raw);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r1.StatusCode);
        AssertProblem(JsonDocument.Parse(await r1.Content.ReadAsStringAsync()).RootElement, r1.Content.Headers.ContentType?.MediaType, 413, "image",
            $"larger than {TestLimits.MaxUploadBytes:N0} bytes", TestLimits.MaxUploadBytes);

        // Without Content-Length (chunked), so the limit is found while reading.
        using var form = new MultipartFormDataContent();
        form.Add(new StreamContent(new NonSeekableStream(big)), "image", "big.png");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/caption") { Content = form };
        request.Headers.TransferEncodingChunked = true;
        using var r2 = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r2.StatusCode);
        Assert.Equal("image", JsonDocument.Parse(await r2.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Oversized_json_body_is_413()
    {
        var body = "{\"caption\": \"" + new string('a', TestLimits.MaxJsonBytes) + "\"}";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var r = await _client.PostAsync("/api/generate", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        AssertProblem(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement, r.Content.Headers.ContentType?.MediaType, 413, "body",
            $"larger than {TestLimits.MaxJsonBytes:N0} bytes", TestLimits.MaxJsonBytes);
    }

    [Fact]
    public async Task Bad_images_are_400_and_a_huge_header_is_refused_before_decoding()
    {
        async Task<JsonElement> Send(byte[] data, string type)
        {
            using var content = new ByteArrayContent(data);
            content.Headers.ContentType = new MediaTypeHeaderValue(type);
            using var r = await _client.PostAsync("/api/caption", content);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var json = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("image", json.GetProperty("field").GetString());
            return json;
        }

        Assert.Contains("empty (0 bytes)", (await Send(Array.Empty<byte>(), "image/png")).GetProperty("detail").GetString());
        Assert.Contains("not a PNG or JPEG", (await Send(Encoding.ASCII.GetBytes("hello, not an image"), "image/png")).GetProperty("detail").GetString());
        Assert.Contains("30000×30000 pixels; the limit is 2048", (await Send(PngHeader(30000, 30000), "image/png")).GetProperty("detail").GetString());
        Assert.Contains("20000×30000 pixels; the limit is 2048", (await Send(JpegHeader(20000, 30000), "image/jpeg")).GetProperty("detail").GetString());
        var truncated = _model.ScenePng.AsSpan(0, _model.ScenePng.Length / 2).ToArray();
        Assert.Contains("cannot", (await Send(truncated, "image/png")).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_multipart_upload_is_never_spilled_to_a_temporary_file()
    {
        // ASP.NET Core's form reader buffers files over 64 KB to ASPNETCORE_*.tmp files; this service must not.
        var temp = Environment.GetEnvironmentVariable("ASPNETCORE_TEMP") ?? Path.GetTempPath();
        var created = new List<string>();
        using var watcher = new FileSystemWatcher(temp, "ASPNETCORE_*") { EnableRaisingEvents = true };
        watcher.Created += (_, e) => { lock (created) created.Add(e.FullPath); };
        var padded = new byte[200 * 1024];
        _model.ScenePng.CopyTo(padded, 0); // a PNG with trailing bytes: decoders stop at IEND
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(padded);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "image", "scene.png");
        using var r = await _client.PostAsync("/api/caption", form);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await Task.Delay(200);
        lock (created) Assert.Empty(created);
    }

    /// <summary>A PNG signature and IHDR chunk claiming the given size, and nothing else.</summary>
    private static byte[] PngHeader(int width, int height)
    {
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        var chunk = new List<byte>();
        chunk.AddRange(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 });
        var typeAndData = Encoding.ASCII.GetBytes("IHDR").Concat(ihdr).ToArray();
        chunk.AddRange(typeAndData);
        uint crc = Crc32(typeAndData);
        chunk.AddRange(new[] { (byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc });
        return chunk.ToArray();
    }

    /// <summary>A JPEG start-of-image and baseline frame header claiming the given size, and nothing else.</summary>
    private static byte[] JpegHeader(int width, int height) => new byte[]
    {
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width,
        0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
    };

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>Hides the length so HttpClient sends the body chunked.</summary>
    private sealed class NonSeekableStream : MemoryStream
    {
        public NonSeekableStream(byte[] data) : base(data) { }

        public override bool CanSeek => false;
    }
}

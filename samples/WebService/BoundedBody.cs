using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>
/// Reads request bodies into memory, never past a limit and never to disk. (ASP.NET Core's form reader spills files
/// over 64 KB to temporary files; this service parses multipart bodies itself instead.)
/// </summary>
internal static class BoundedBody
{
    /// <summary>The body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, long? contentLength, int limit, CancellationToken cancellation)
    {
        if (contentLength > limit) return null;
        using var buffer = new MemoryStream(contentLength is > 0 ? (int)contentLength.Value : 4096);
        var chunk = new byte[16 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = await body.ReadAsync(chunk, cancellation).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return null; // Kestrel's own limit (a chunked body without Content-Length)
            }
            if (n == 0) break;
            if (buffer.Length + n > limit) return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>The first file part of a multipart/form-data body named <paramref name="field"/> (or the first file part).</summary>
    /// <returns>The bytes; <c>TooLarge</c> when the whole body passes the limit; null bytes when no file part was found.</returns>
    public static async Task<(byte[]? Data, bool TooLarge)> ReadMultipartFileAsync(HttpRequest request, string field, int limit, CancellationToken cancellation)
    {
        if (request.ContentLength > limit) return (null, true);
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw new InvalidDataException("multipart/form-data without a boundary.");
        var counted = new LimitedStream(request.Body, limit);
        var reader = new MultipartReader(boundary, counted) { HeadersLengthLimit = 8 * 1024 };
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(cancellation).ConfigureAwait(false)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition()) continue;
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                var data = await ReadAsync(section.Body, null, limit, cancellation).ConfigureAwait(false);
                if (data is null) return (null, true);
                if (name == field) return (data, false);
            }
        }
        catch (LimitedStream.LimitExceededException)
        {
            return (null, true);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, true);
        }
        return (null, false);
    }

    /// <summary>A read-only view of a stream that fails once more than a set number of bytes was read.</summary>
    private sealed class LimitedStream : Stream
    {
        private readonly Stream _inner;
        private readonly long _limit;
        private long _read;

        public LimitedStream(Stream inner, long limit) => (_inner, _limit) = (inner, limit);

        public sealed class LimitExceededException : IOException
        {
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => Count(_inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            _read += n;
            if (_read > _limit) throw new LimitExceededException();
            return n;
        }
    }
}

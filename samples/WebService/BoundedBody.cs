using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>
/// Reads request bodies into memory, never past a limit and never to disk. (ASP.NET Core's form reader spills files
/// over 64 KB to temporary files; this service parses multipart bodies itself instead.)
/// </summary>
internal static class BoundedBody
{
    /// <summary>What reading a body gave: the bytes, or why there are none.</summary>
    public enum Outcome
    {
        /// <summary>The whole body was read.</summary>
        Read,
        /// <summary>It is larger than the limit.</summary>
        TooLarge,
        /// <summary>Kestrel stopped the read: the body arrived too slowly, or ended before its Content-Length (408).</summary>
        TimedOut,
        /// <summary>Kestrel rejected the body for another reason (its status, e.g. 400 for a malformed chunk).</summary>
        Rejected,
    }

    /// <summary>The body bytes (null unless <see cref="Outcome.Read"/>), the outcome, and Kestrel's status when it rejected the read.</summary>
    public readonly record struct Body(byte[]? Data, Outcome Outcome, int Status = 0);

    /// <summary>
    /// The body, never more than <paramref name="limit"/> bytes. Kestrel's own failures come back as outcomes instead of
    /// exceptions, so the endpoint answers them with a problem response: a body that arrives slower than Kestrel's
    /// minimum data rate (240 bytes/s after a 5 s grace period), or a client that sends fewer bytes than its
    /// Content-Length and waits, ends in <see cref="Outcome.TimedOut"/> (408) instead of an unhandled 500.
    /// </summary>
    public static async Task<Body> ReadAsync(Stream body, long? contentLength, int limit, CancellationToken cancellation)
    {
        if (contentLength > limit) return new(null, Outcome.TooLarge);
        using var buffer = new MemoryStream(contentLength is > 0 ? (int)contentLength.Value : 4096);
        var chunk = new byte[16 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = await body.ReadAsync(chunk, cancellation).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e)
            {
                return Rejection(e);
            }
            if (n == 0) break;
            if (buffer.Length + n > limit) return new(null, Outcome.TooLarge);
            buffer.Write(chunk, 0, n);
        }
        return new(buffer.ToArray(), Outcome.Read);
    }

    private static Body Rejection(BadHttpRequestException e) => e.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => new(null, Outcome.TooLarge), // Kestrel's own limit (a chunked body without Content-Length)
        StatusCodes.Status408RequestTimeout => new(null, Outcome.TimedOut, e.StatusCode),
        _ => new(null, Outcome.Rejected, e.StatusCode),
    };

    /// <summary>RFC 2046: a multipart boundary has 1 to 70 characters.</summary>
    public const int MaxBoundaryLength = 70;

    /// <summary>
    /// The first file part of a multipart/form-data body named <paramref name="field"/>. The outcome is
    /// <see cref="Outcome.Read"/> with null data when no such part was found.
    /// </summary>
    /// <exception cref="InvalidDataException">The Content-Type has no usable boundary.</exception>
    public static async Task<Body> ReadMultipartFileAsync(HttpRequest request, string field, int limit, CancellationToken cancellation)
    {
        if (request.ContentLength > limit) return new(null, Outcome.TooLarge);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
            throw new InvalidDataException("the Content-Type header cannot be parsed.");
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw new InvalidDataException("multipart/form-data without a boundary.");
        // MultipartReader throws ArgumentOutOfRangeException for a boundary longer than its buffer (4,088 characters).
        if (boundary.Length > MaxBoundaryLength)
            throw new InvalidDataException($"the boundary has {boundary.Length:N0} characters; RFC 2046 allows 1 to {MaxBoundaryLength}.");
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
                if (data.Outcome != Outcome.Read) return data;
                if (name == field) return data;
            }
        }
        catch (LimitedStream.LimitExceededException)
        {
            return new(null, Outcome.TooLarge);
        }
        catch (BadHttpRequestException e)
        {
            return Rejection(e);
        }
        return new(null, Outcome.Read);
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

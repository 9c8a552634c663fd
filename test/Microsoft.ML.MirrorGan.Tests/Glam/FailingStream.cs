namespace Microsoft.ML.MirrorGan.Tests.Glam;

/// <summary>Passes writes through until <c>failAfter</c> bytes, then fails as a full disk does (checkpoint-failure tests).</summary>
internal sealed class FailingStream : Stream
{
    private readonly Stream _inner;
    private readonly long _failAfter;
    private long _written;

    public FailingStream(Stream inner, long failAfter) { _inner = inner; _failAfter = failAfter; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override void Flush() => _inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (_written + count > _failAfter) throw new IOException("No space left on device (simulated)");
        _inner.Write(buffer, offset, count);
        _written += count;
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;

namespace Nii.Socs.Capture.Readers;

/// <summary>A sliding window over a stream in one pooled buffer: contiguous spans without loading the file.</summary>
internal sealed class StreamWindow : IDisposable
{
    private const int InitialSize = 1 << 20;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;

    public StreamWindow(Stream stream, bool leaveOpen)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
    }

    /// <summary>The number of bytes available without reading.</summary>
    public int Available => _end - _start;

    /// <summary>Whether the stream has no more bytes beyond the window.</summary>
    public bool AtEnd => _eof && _start == _end;

    /// <summary>Makes <paramref name="count"/> bytes available; false when the stream ends first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Ensure(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (count > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(count);
            _buffer.AsSpan(_start, _end - _start).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
            _end -= _start;
            _start = 0;
        }
        else if (_start + count > _buffer.Length)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        while (_end - _start < count && !_eof)
        {
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0)
            {
                _eof = true;
                break;
            }

            _end += read;
        }

        return _end - _start >= count;
    }

    /// <summary>Whether the stream is exhausted (tries one read when the window is empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool IsExhausted()
    {
        if (_start < _end)
        {
            return false;
        }

        return !Ensure(1);
    }

    public ReadOnlySpan<byte> Peek(int count) => _buffer.AsSpan(_start, count);

    public void Advance(int count) => _start += count;

    /// <summary>Skips bytes that need not be buffered (a large unknown block); false when the stream ends first.</summary>
    public bool Skip(long count)
    {
        var inWindow = Math.Min(count, _end - _start);
        _start += (int)inWindow;
        count -= inWindow;
        while (count > 0)
        {
            if (!Ensure(1))
            {
                return false;
            }

            var step = Math.Min(count, _end - _start);
            _start += (int)step;
            count -= step;
        }

        return true;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}

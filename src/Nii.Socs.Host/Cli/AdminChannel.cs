using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Cli;

/// <summary>The local admin channel: a Unix domain socket <c>DIR/run/admin.sock</c> (0600, in a 0700 folder) on which
/// the owner of a data directory runs the state-changing verbs of other processes of the same user, in process, against
/// its open stores (docs/architecture.md, "One owner of the data directory").</summary>
/// <remarks>
/// Protocol: the client sends one frame, a UTF-8 JSON array of the arguments; the service answers with frames
/// <c>o</c> (stdout text), <c>e</c> (stderr text) and finally <c>x</c> (the exit code). A frame is a kind byte, a
/// big-endian 32-bit length and the payload. The caller's uid is checked with <c>SO_PEERCRED</c> (Linux); verbs run
/// one at a time.
/// </remarks>
internal sealed class AdminChannel : IAsyncDisposable
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int MaxRequest = 1 << 20;
    private readonly Socket _listener;
    private readonly string _path;
    private readonly ServedData _served;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private AdminChannel(Socket listener, string path, ServedData served, TimeProvider time)
    {
        _listener = listener;
        _path = path;
        _served = served;
        _time = time;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The socket's path.</summary>
    public string SocketPath => _path;

    /// <summary>Whether this platform has the channel (Unix domain sockets with peer credentials: Linux).</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>Listens on <c>DIR/run/admin.sock</c> for the owner of <paramref name="served"/>'s directory; null where
    /// unsupported (verbs then wait for the service to stop).</summary>
    public static AdminChannel? Start(ServedData served, TimeProvider time)
    {
        if (!OperatingSystem.IsLinux() || !DataDirectoryLock.HeldHere(served.Data.Directory))
        {
            return null;
        }

        var path = DataDirectoryLock.SocketPath(served.Data.Directory);
        File.Delete(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(8);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new AdminChannel(listener, path, served, time);
    }

    /// <summary>Runs <paramref name="args"/> in the service that owns <paramref name="dataDirectory"/>, copying its
    /// output; false when no service answers on the socket.</summary>
    public static bool TryForward(string dataDirectory, string[] args, TextWriter stdout, TextWriter stderr, out int exitCode)
    {
        exitCode = CliApp.Problem;
        var path = DataDirectoryLock.SocketPath(dataDirectory);
        if (!Supported || !File.Exists(path))
        {
            return false;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            return false;
        }

        using var stream = new NetworkStream(socket, ownsSocket: false);
        WriteFrame(stream, (byte)'r', JsonSerializer.SerializeToUtf8Bytes(args, AdminJson.Default.StringArray));
        while (ReadFrame(stream, int.MaxValue) is var (kind, payload))
        {
            switch (kind)
            {
                case (byte)'o':
                    stdout.Write(Encoding.UTF8.GetString(payload));
                    break;
                case (byte)'e':
                    stderr.Write(Encoding.UTF8.GetString(payload));
                    break;
                case (byte)'x':
                    exitCode = BinaryPrimitives.ReadInt32BigEndian(payload);
                    return true;
                default:
                    break;
            }
        }

        stderr.WriteLine("socs: the service closed the admin channel before the verb finished; see its log.");
        return true;
    }

    /// <summary>Stops listening and removes the socket; waits for a verb in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        await _oneAtATime.WaitAsync();
        File.Delete(_path);
        _oneAtATime.Dispose();
        _stop.Dispose();
    }

    /// <summary>This process's effective uid, from <c>/proc/self/status</c> (Linux; no native interop needed).</summary>
    private static uint GetEffectiveUserId()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return uint.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new IOException("/proc/self/status has no Uid line");
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "One broken connection must not stop the channel.")]
    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await ServeAsync(client);
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or JsonException or OperationCanceledException)
                    {
                        // The caller went away or sent garbage; nothing was run for it.
                    }
                }
            });
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: false);
        var credentials = new byte[12];
        client.GetRawSocketOption(SolSocket, SoPeerCred, credentials);
        var uid = BinaryPrimitives.ReadUInt32LittleEndian(credentials.AsSpan(4));
        // The request is read (never run) before a refusal, so the caller reads the refusal instead of a broken pipe.
        var frame = ReadFrame(stream, MaxRequest);
        if (uid != GetEffectiveUserId())
        {
            WriteFrame(stream, (byte)'e', Encoding.UTF8.GetBytes("socs: the admin channel serves only the user that runs the service.\n"));
            WriteExit(stream, CliApp.BadInput);
            return;
        }

        if (frame is not ((byte)'r', var request) || JsonSerializer.Deserialize(request, AdminJson.Default.StringArray) is not { } args)
        {
            return;
        }

        await _oneAtATime.WaitAsync(_stop.Token);
        try
        {
            var gate = new Lock();
            using var stdout = new FrameWriter(stream, (byte)'o', gate);
            using var stderr = new FrameWriter(stream, (byte)'e', gate);
            var code = await Task.Run(() => CliApp.Run(args, stdout, stderr, new CliContext(stdout, stderr, _time) { Served = _served }));
            stdout.Flush();
            stderr.Flush();
            WriteExit(stream, code);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private static void WriteExit(Stream stream, int code)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, code);
        WriteFrame(stream, (byte)'x', payload);
    }

    private static void WriteFrame(Stream stream, byte kind, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[5];
        header[0] = kind;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], payload.Length);
        stream.Write(header);
        stream.Write(payload);
        stream.Flush();
    }

    private static (byte Kind, byte[] Payload)? ReadFrame(Stream stream, int max)
    {
        var header = new byte[5];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (length < 0 || length > max)
        {
            throw new IOException("admin channel frame too large");
        }

        var payload = new byte[length];
        stream.ReadExactly(payload);
        return (header[0], payload);
    }

    /// <summary>A writer that sends each line as a frame of one kind, as the verb writes it.</summary>
    private sealed class FrameWriter : TextWriter
    {
        private readonly StringBuilder _buffer = new();
        private readonly Stream _stream;
        private readonly byte _kind;
        private readonly Lock _gate;

        public FrameWriter(Stream stream, byte kind, Lock gate)
            : base(System.Globalization.CultureInfo.InvariantCulture)
        {
            _stream = stream;
            _kind = kind;
            _gate = gate;
            NewLine = "\n";
        }

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            _buffer.Append(value);
            if (value == '\n')
            {
                Flush();
            }
        }

        public override void Write(string? value)
        {
            _buffer.Append(value);
            if (value is not null && value.Contains('\n', StringComparison.Ordinal))
            {
                Flush();
            }
        }

        public override void Flush()
        {
            if (_buffer.Length == 0)
            {
                return;
            }

            var bytes = Encoding.UTF8.GetBytes(_buffer.ToString());
            _buffer.Clear();
            lock (_gate)
            {
                WriteFrame(_stream, _kind, bytes);
            }
        }
    }
}

/// <summary>Source-generated JSON for the admin channel's request.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class AdminJson : System.Text.Json.Serialization.JsonSerializerContext;

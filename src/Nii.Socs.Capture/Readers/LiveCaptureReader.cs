using SharpPcap;
using SharpPcap.LibPcap;

namespace Nii.Socs.Capture.Readers;

/// <summary>Reads frames live from a network interface through libpcap (SharpPcap): a sensor's input (R4.4).</summary>
/// <remarks>
/// <para>Needs the native libpcap (<c>libpcap0.8</c> on Debian/Ubuntu, installed by
/// <c>scripts/install-deps.sh</c>) and the right to capture (root or CAP_NET_RAW).</para>
/// <para><see cref="CaptureReader.TryReadFrame"/> waits at most the read timeout for a frame and
/// returns false when none came; <see cref="CaptureReader.Failure"/> stays
/// <see cref="CaptureFailure.None"/>, so a caller may simply call it again. The frame's span is
/// libpcap's buffer and is valid until the next call.</para>
/// </remarks>
public sealed class LiveCaptureReader : CaptureReader
{
    private long _windowStart = System.Diagnostics.Stopwatch.GetTimestamp();

    private readonly LibPcapLiveDevice _device;

    private LiveCaptureReader(LibPcapLiveDevice device, LinkType linkType)
    {
        _device = device;
        LinkType = linkType;
    }

    /// <summary>The interface's link type.</summary>
    public LinkType LinkType { get; }

    /// <summary>The interface's name.</summary>
    public string InterfaceName => _device.Name;

    /// <summary>The names of the interfaces libpcap can open.</summary>
    /// <returns>The names, such as <c>lo</c> and <c>eth0</c>.</returns>
    public static IReadOnlyList<string> InterfaceNames() => LibPcapLiveDeviceList.New().Select(d => d.Name).ToArray();

    /// <summary>Opens an interface.</summary>
    /// <param name="interfaceName">The interface, such as <c>lo</c>.</param>
    /// <param name="filter">A BPF filter such as <c>udp port 40000</c>; null for every frame.</param>
    /// <param name="readTimeout">How long one read waits for a frame; the default is 100 ms.</param>
    /// <param name="snapLength">How many bytes of each frame to keep; the default is 262,144.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="ArgumentException">No interface has that name.</exception>
    /// <exception cref="PcapException">libpcap could not open the interface or compile the filter.</exception>
    public static LiveCaptureReader Open(string interfaceName, string? filter = null, TimeSpan? readTimeout = null, int snapLength = 262_144)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(interfaceName);
        var device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == interfaceName)
            ?? throw new ArgumentException($"No capture interface is named '{interfaceName}'.", nameof(interfaceName));
        device.Open(new DeviceConfiguration
        {
            Mode = DeviceModes.None,
            ReadTimeout = (int)(readTimeout ?? TimeSpan.FromMilliseconds(100)).TotalMilliseconds,
            Snaplen = snapLength,
            Immediate = true,
        });
        if (filter is not null)
        {
            device.Filter = filter;
        }

        return new LiveCaptureReader(device, (LinkType)(int)device.LinkType);
    }

    /// <summary>How long a read window lasts: once this much time has passed since <see cref="BeginWindow"/>,
    /// <see cref="TryReadFrame"/> returns false even under continuous traffic, so the caller can process
    /// what it has (seal, store, mail) and begin the next window; null for windows that end only when idle.</summary>
    /// <value>The default is null.</value>
    public TimeSpan? WindowLength { get; set; }

    /// <inheritdoc />
    /// <value>Always true: live frames cannot wait, so the load governor may shed them (R5.2).</value>
    public override bool IsLive => true;

    /// <summary>Begins a read window (see <see cref="WindowLength"/>).</summary>
    public void BeginWindow() => _windowStart = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Waits up to the read timeout for the next frame.</summary>
    /// <param name="frame">The frame; its span is valid until the next call.</param>
    /// <returns>True when a frame arrived; false at the read timeout or at the end of the window.</returns>
    public override bool TryReadFrame(out CaptureFrame frame)
    {
        frame = default;
        if (WindowLength is { } window && System.Diagnostics.Stopwatch.GetElapsedTime(_windowStart) >= window)
        {
            return false;
        }

        if (_device.GetNextPacket(out var capture) != GetPacketStatus.PacketRead)
        {
            return false;
        }

        var header = capture.Header;
        var timestamp = FromUnix((header.Timeval.Seconds * 1_000_000UL) + header.Timeval.MicroSeconds, 1_000_000);
        var data = capture.Data;
        var wire = header is PcapHeader pcap ? (int)Math.Min(pcap.PacketLength, int.MaxValue) : data.Length;
        frame = new CaptureFrame(LinkType, timestamp, wire, 0, data);
        FramesRead++;
        return true;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        _device.Close();
        _device.Dispose();
        base.Dispose(disposing);
    }
}

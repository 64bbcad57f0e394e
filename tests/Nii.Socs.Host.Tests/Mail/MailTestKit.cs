using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Tests.Mail;

/// <summary>A temporary data directory, deleted on dispose.</summary>
internal sealed class TempDataDir : IDisposable
{
    public TempDataDir() => Path = Directory.CreateTempSubdirectory("socs-mail-").FullName;

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>A notifier on real parts: FASTER outbox and operation history in a temp directory, a chosen transport, a fake clock.</summary>
internal sealed class NotifierRig : IDisposable
{
    public static readonly ParticipantId UTokyo = new("u-tokyo");
    public static readonly ImmutableArray<string> UTokyoContacts = ["soc@u-tokyo.example", "cert@u-tokyo.example"];

    // Content as the traffic carried it; it must never reach a mail in any form.
    public static readonly byte[] Content = "POST /login HTTP/1.1\r\n\r\nuser=root&pass=SECRET-CONTENT-7Q2X"u8.ToArray();

    public NotifierRig(string dataDirectory, MailOptions options, IMailTransport transport, FakeTimeProvider time)
    {
        DataDirectory = dataDirectory;
        Time = time;
        Outbox = MailOutbox.Open(dataDirectory);
        History = OperationHistoryStore.Open(dataDirectory, time);
        Notifier = MailServiceCollectionExtensions.Create(options, Outbox, transport, History, p => p == UTokyo ? UTokyoContacts : [], time, NullLoggerFactory.Instance);
    }

    public string DataDirectory { get; }

    public FakeTimeProvider Time { get; }

    public MailOutbox Outbox { get; }

    public OperationHistoryStore History { get; }

    public Notifier Notifier { get; }

    public static MailOptions Smtp(int port) => new() { SmtpHost = "127.0.0.1", SmtpPort = port, From = "NII-SOCS <soc@socs.example>", PortalUrl = "https://portal.socs.example/" };

    public static DetectionRecord Detection(DateTimeOffset at, long sid = 2_019_401, string message = "ET EXPLOIT Apache Struts RCE 試行") => new()
    {
        Id = DetectionId.New(at),
        Participant = UTokyo,
        Epoch = new EpochId(UTokyo, 1),
        Header = new DetectionHeader
        {
            ObservedAt = at,
            Source = IPAddress.Parse("198.51.100.7"),
            Destination = IPAddress.Parse("192.0.2.10"),
            Protocol = 6,
            SourcePort = 44321,
            DestinationPort = 8080,
            ContentLength = Content.Length,
            HeaderBytes = new byte[] { 0x45, 0x00, 0x00, 0x78 },
        },
        Rule = new RuleRef(sid, 3, message, "attempted-admin", 1),
        SealedContent = Content,
    };

    public void Dispose()
    {
        Notifier.Dispose();
        Outbox.Dispose();
        History.Dispose();
    }
}

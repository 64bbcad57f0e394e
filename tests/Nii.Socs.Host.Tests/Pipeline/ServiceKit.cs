using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Readers;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.Portal;

namespace Nii.Socs.Host.Tests.Pipeline;

/// <summary>A data directory set up for <c>socs serve</c> on the real clock, captures made from the demo's frames, and ways to read the results.</summary>
internal static class ServiceKit
{
    public static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "samples");

    /// <summary>Registers the demo's two participants (prefixes of samples/prefixes.txt, contacts, one operator certificate each) and makes their first epoch keys.</summary>
    public static async Task CreateDataAsync(string directory, TimeProvider time)
    {
        await using var data = SocsData.Open(directory, time);
        using var ca = DevelopmentCa.OpenOrCreate(directory, time);
        var scope = ScopeFile.Parse(File.ReadAllText(Path.Combine(Samples, "prefixes.txt")), out _);
        foreach (var (id, mail) in new[] { ("u-tokyo", "soc@u-tokyo.example.ac.jp"), ("kyoto-u", "csirt@kyoto-u.example.ac.jp") })
        {
            var participant = new ParticipantId(id);
            var now = time.GetUtcNow();
            await data.Registry.AppendAsync(
            [
                new ApplicationSubmitted(now, $"app-{id}", participant, id, [.. scope.Where(a => a.Participant == participant).Select(a => a.Prefix)], [mail], [new OperatorContact("op", mail, null, true)]),
                new ApplicationApproved(now, $"app-{id}"),
            ]);

            // The operator's key is made on its side (outside the data directory); the organization signs its CSR.
            var (_, csr) = Nii.Socs.Host.ParticipantSide.OperatorKeys.Generate(Path.Combine(directory + "-people", id), "op", ClientKeyType.EcP256);
            await CertificateEnrolment.EnrolAsync(data, ca, participant, mail, await File.ReadAllBytesAsync(csr), "test");
        }

        await KeyEpochs.RotateAllAsync(data, CancellationToken.None);
    }

    /// <summary>One HTTP request detection for <paramref name="participants"/> observed at <paramref name="at"/>, its
    /// content <c>GET /secret HTTP/1.1</c>.</summary>
    public static CaptureDetection Detection(DateTimeOffset at, IReadOnlyList<ParticipantId> participants) => new(
        new DetectionHeader
        {
            ObservedAt = at,
            Source = IPAddress.Parse("203.0.113.9"),
            Destination = IPAddress.Parse("192.0.0.10"),
            Protocol = 6,
            SourcePort = 40000,
            DestinationPort = 80,
            TcpFlags = 0x18,
            CapturedLength = 100,
            WireLength = 100,
            ContentLength = 20,
            HeaderBytes = Encoding.ASCII.GetBytes("HEADER"),
        },
        new RuleRef(1000001, 1, "probe", null, 2),
        Encoding.ASCII.GetBytes("GET /secret HTTP/1.1"),
        participants,
        DetectionSource.Packet,
        1);

    /// <summary>Writes a pcap of <paramref name="cycles"/> copies of the demo capture's frames, each padded to
    /// <paramref name="frameBytes"/> with Ethernet padding (content, not header), 1 ms apart from <paramref name="start"/>.</summary>
    /// <returns>The number of frames written.</returns>
    public static long WriteCapture(string path, int cycles, int frameBytes, DateTimeOffset start)
    {
        var frames = new List<byte[]>();
        using (var reader = CaptureReader.OpenFile(Path.Combine(Samples, "captures", "demo.pcap")))
        {
            while (reader.TryReadFrame(out var frame))
            {
                var bytes = new byte[Math.Max(frameBytes, frame.CapturedLength)];
                frame.Data.CopyTo(bytes);
                frames.Add(bytes);
            }
        }

        long written = 0;
        using var stream = File.Create(path);
        using var writer = new PcapWriter(stream, LinkType.Ethernet);
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            foreach (var frame in frames)
            {
                writer.WriteFrame(start.AddMilliseconds(written), frame);
                written++;
            }
        }

        return written;
    }

    /// <summary>Every stored record as (id, participant, sid, observed-at), and how many records the store holds in all (duplicates included).</summary>
    public static async Task<(HashSet<(Guid Id, string Participant, long Sid, DateTimeOffset At)> Records, long Total)> ReadStoreAsync(string directory)
    {
        var set = new HashSet<(Guid, string, long, DateTimeOffset)>();
        long total = 0;
        using var store = DetectionStore.Open(directory);
        foreach (var (participant, month) in store.Partitions())
        {
            total += store.Stats(participant, month)!.Records;
        }

        foreach (var participant in store.Partitions().Select(p => p.Participant).Distinct())
        {
            DetectionCursor? cursor = null;
            do
            {
                var page = await store.QueryAsync(new DetectionQuery { Participant = participant, From = DateTimeOffset.UnixEpoch, To = DateTimeOffset.UnixEpoch.AddYears(200), Limit = DetectionQuery.MaxLimit, Cursor = cursor });
                foreach (var record in page.Records)
                {
                    set.Add((record.Id.Value, record.Participant.Value, record.Rule.Sid, record.Header.ObservedAt));
                }

                cursor = page.Next;
            }
            while (cursor is not null);
        }

        return (set, total);
    }

    /// <summary>The detections the outbox has planned (immediate mails and rows waiting for a digest), one entry per planning.</summary>
    public static List<DetectionId> PlannedMailRows(string directory)
    {
        using var outbox = Core.Storage.Outbox.MailOutbox.Open(directory);
        var rows = new List<DetectionId>();
        foreach (var e in outbox.Events())
        {
            switch (e)
            {
                case Core.Notifications.MailQueued { Mail.Kind: Core.Notifications.MailKind.Notification } q:
                    rows.AddRange(q.Mail.Rows.Select(r => r.Id));
                    break;
                case Core.Notifications.RowsDeferred d:
                    rows.AddRange(d.Rows.Select(r => r.Id));
                    break;
            }
        }

        return rows;
    }

    /// <summary>Starts <c>socs serve</c> as the product runs it (<c>dotnet socs.dll serve</c>), on a data directory with its own incoming directory and rules.</summary>
    /// <param name="data">The data directory.</param>
    /// <param name="rules">The rule file.</param>
    /// <param name="onLine">Called with each line the service logs on stdout.</param>
    public static Process StartServe(string data, string rules, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "socs.dll"));
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add("--set");
        foreach (var setting in ServeSettings(data, rules))
        {
            start.ArgumentList.Add(setting);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                onLine?.Invoke(line);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The settings of a test service: its data, incoming directory and rules, a fast poll, the portal on a free loopback port, mail as .eml files.</summary>
    public static string[] ServeSettings(string data, string rules) =>
    [
        "Socs:Data:Directory=" + data,
        "Socs:Capture:IncomingDirectory=" + Path.Combine(data, "incoming"),
        "Socs:Capture:RulesFile=" + rules,
        "Socs:Capture:PollInterval=00:00:00.100",
        "Socs:Portal:Address=127.0.0.1",
        "Socs:Portal:Port=0",
        "Socs:Mail:PollInterval=00:00:00.200",
    ];

    /// <summary>Files still waiting in the incoming directory (not in processed/ or failed/).</summary>
    public static int Waiting(string data) =>
        Directory.Exists(Path.Combine(data, "incoming")) ? Directory.GetFiles(Path.Combine(data, "incoming")).Length : 0;

    public static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
}

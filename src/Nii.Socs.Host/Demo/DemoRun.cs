using System.Globalization;
using System.Text;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Capture.Governor;
using Nii.Socs.Core.Consent;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Procedures;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Nii.Socs.Host.Cli;
using Nii.Socs.Host.Mail;
using Nii.Socs.Host.Pipeline;
using Nii.Socs.Host.ParticipantSide;
using Nii.Socs.Host.Portal;
using Microsoft.Extensions.Logging.Abstractions;
using Nii.Socs.Core.Notifications;
using Nii.Socs.Core.Storage.Outbox;

using Nii.Socs.Host.Configuration;

namespace Nii.Socs.Host.Demo;

/// <summary><c>socs demo</c>: the whole service on the embedded default, on a simulated clock (DESIGN §8).</summary>
/// <remarks>The simulated operators and the staff member make their own key pairs under <c>&lt;people&gt;/participants/&lt;id&gt;/</c>
/// and <c>&lt;people&gt;/staff/&lt;name&gt;/</c>, outside the data directory, and are enrolled by CSR: the organization's data
/// holds no private key of theirs (R6.3, R8.1).</remarks>
internal sealed class DemoRun(CliContext context, string dataDirectory, string samplesDirectory, LoadGovernorOptions governor, string? peopleDirectory = null, string? kekPath = null, StorageOptions? storage = null)
{
    /// <summary>The demo starts just after the bundled capture: Tuesday 2026-12-01 09:00 JST.</summary>
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private const string Marker = ".socs-demo";

    /// <summary>Where the simulated people keep their keys: <c>--people</c>, default the data directory's parent.</summary>
    private string People => Path.GetFullPath(peopleDirectory ?? Path.GetDirectoryName(Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar)) ?? ".");

    private string ParticipantsRoot => Path.Combine(People, "participants");

    private string StaffRoot => Path.Combine(People, "staff");

    private static readonly (string Id, string Name, string Operator, string Mail)[] s_participants =
    [
        ("u-tokyo", "Example University of Tokyo", "sato", "soc@u-tokyo.example.ac.jp"),
        ("kyoto-u", "Example Kyoto University", "ito", "csirt@kyoto-u.example.ac.jp"),
    ];

    public async Task<DemoSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        PrepareDirectory();
        var clock = new SimulatedClock(Start);
        var o = context.Out;
        var summary = new DemoSummary { DataDirectory = Path.GetFullPath(dataDirectory) };
        var audit = new AuditOptions { WitnessDirectory = WitnessOf(dataDirectory) };
        summary.WitnessDirectory = audit.WitnessDirectory;
        // Without --storage the demo is FASTER in the data directory, whatever Socs:Storage says.
        var stores = storage ?? new StorageOptions();
        summary.Storage = stores.Provider == StorageProvider.PostgreSql ? $"PostgreSql cluster, schema {stores.Schema}" : "Faster (the data directory)";
        await using (var data = SocsData.Open(dataDirectory, clock, kekPath: kekPath, audit: audit, storage: stores))
        {
            // 1. Participants apply (R3), are validated and approved; operators get client certificates (R3.3).
            // Certificates are issued on the real clock, so the portal accepts them today.
            using var ca = DevelopmentCa.OpenOrCreate(dataDirectory, context.Time);
            var scope = ScopeFile.Parse(File.ReadAllText(Path.Combine(samplesDirectory, "prefixes.txt")), out var scopeErrors);
            if (scopeErrors.Count > 0)
            {
                throw new InvalidOperationException($"samples/prefixes.txt: {string.Join("; ", scopeErrors)}");
            }

            using var outbox = data.Cluster is null ? MailOutbox.Open(dataDirectory) : null;
            var mailDirectory = Path.Combine(data.Directory, EmlMailTransport.DirectoryName);
            using var notifier = MailServiceCollectionExtensions.Create(
                new MailOptions(),
                (IMailOutbox?)outbox ?? data.Cluster!.Outbox,
                new EmlMailTransport(mailDirectory),
                data.History,
                p => data.Registry.State.Participants.TryGetValue(p, out var entry) ? entry.Contacts : [],
                clock,
                NullLoggerFactory.Instance);

            // A participant left without an active certificate is told, with staff, once per epoch (R8.1).
            var staffMailbox = new MailOptions().StaffMailbox;
            data.OnNoCertificate = async (p, epoch, ct) => await NoCertificateMail.QueueAsync(data, notifier, staffMailbox, p, epoch, ct).ConfigureAwait(false);

            // The registrar files each application and approves it through the procedures (R3, R11.1): validated,
            // recorded in the registry and the operation history, and mailed to the participant's contacts (R3.2).
            var procedures = new ParticipantProcedures(ServiceCalendar.Default);
            foreach (var (id, name, op, mail) in s_participants)
            {
                var participant = new ParticipantId(id);
                var application = new Application
                {
                    Participant = id,
                    InstitutionName = name,
                    Prefixes = [.. scope.Where(a => a.Participant == participant).Select(a => a.Prefix.ToString())],
                    ContactMails = [mail],
                    Operators = [new OperatorContact(op, $"{op}@{mail.Split('@')[1]}", null, true)],
                };
                var now = clock.GetUtcNow();
                var receipt = new ProcedureReceipt("registrar", now);
                var applied = procedures.Apply(data.Registry.State, application, receipt);
                await RecordAsync(data, notifier, applied, id, cancellationToken).ConfigureAwait(false);
                var approved = procedures.Approve(data.Registry.State, applied.RecordId, Jst.DateOf(now), receipt);
                await RecordAsync(data, notifier, approved, id, cancellationToken).ConfigureAwait(false);

                // The operator makes a key pair on the participant's machine and sends only a CSR (R6.3); the
                // organization signs it for the registered operator and wraps the epoch key to it (R3.3, R8.1).
                var operatorDirectory = Path.Combine(ParticipantsRoot, id);
                var (_, csrPath) = OperatorKeys.Generate(operatorDirectory, op, ClientKeyType.EcP256);
                var enrolled = await CertificateEnrolment.EnrolAsync(data, ca, participant, application.Operators[0].Mail, File.ReadAllBytes(csrPath), "org:registrar", cancellationToken: cancellationToken).ConfigureAwait(false);
                summary.Operators.Add((id, op, OperatorKeys.Bundle(operatorDirectory, op, enrolled.Certificate)));
            }

            // 2. Every participant gets its first epoch key, wrapped to its operators' certificates (R8.1, R8.2).
            var first = await KeyEpochs.RotateAllAsync(data, cancellationToken).ConfigureAwait(false);

            // 3. Capture → scope → detect → seal → store (R2.1, R4.2, R4.3, R5.1, R7.1).
            var rules = RuleSet.Load(Path.Combine(samplesDirectory, "rules", "demo.rules"), RuleVariables.ForScope(Ingestor.ScopeOf(data.Registry.State, data.Time.GetUtcNow())));
            var ingestor = new Ingestor(data, rules, governor);
            // The demo keeps what was stored to show it; a record's sealed bytes are the ingestor's only until the
            // callback returns, so the kept ones are copies.
            var stored = new List<Core.Detections.DetectionRecord>();
            var ingest = await ingestor.IngestAsync(
                Path.Combine(samplesDirectory, "captures", "demo.pcap"),
                async (batch, ct) =>
                {
                    stored.AddRange(batch.Select(r => r with { SealedContent = r.SealedContent.ToArray() }));
                    await notifier.OnDetectionsAsync(batch, ct).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);

            // 3b. The important detections are mailed at once (R4.5), the rest wait for the digest.
            await notifier.SendDueAsync(cancellationToken).ConfigureAwait(false);
            if (data.Cluster is { } onCluster)
            {
                // The sensor's spool goes to the cluster, which the consent steps and the portal read.
                var shipped = await DetectionShipperService.ShipOnceAsync(data, onCluster, clock, cancellationToken).ConfigureAwait(false);
                summary.Shipped = shipped.Stored;
            }

            summary.Capture = ingest.Summary;
            summary.Stored = ingest.Stored;
            summary.StoredBySid = stored.GroupBy(r => r.Rule.Sid).OrderBy(g => g.Key).Select(g => (g.Key, g.First().Rule.Message, g.Count())).ToList();

            // 3c. Staff follow up on the directory traversal, in the same thread (R4.6); digests close.
            clock.Advance(TimeSpan.FromHours(2));
            await notifier.FollowUpAsync(
                new ParticipantId("u-tokyo"),
                stored.FirstOrDefault(r => r.Participant.Value == "u-tokyo")?.Rule.Sid ?? 0,
                new FollowUpText(
                    "この攻撃元は他の参加機関にも同じ探索を行っています。 The source probes other participants the same way.",
                    "ウェブサーバのパス正規化を確認してください。 Check path normalisation on the web server.",
                    "yamada"),
                cancellationToken).ConfigureAwait(false);
            await notifier.CloseDueDigestsAsync(cancellationToken).ConfigureAwait(false);
            await notifier.SendDueAsync(cancellationToken).ConfigureAwait(false);
            summary.Mails = Directory.Exists(mailDirectory) ? Directory.GetFiles(mailDirectory, "*.eml").Length : 0;
            summary.MailDirectory = mailDirectory;

            // 4. The week ends: at the next epoch boundary (Monday 00:00 JST) new keys, the old ones destroyed (R8.3, R8.4).
            var boundary = EpochSchedule.WeeklyFromMondayJst.EndOf(first[0].Current);
            clock.Advance(boundary - clock.GetUtcNow());
            var second = await KeyEpochs.RotateAllAsync(data, cancellationToken).ConfigureAwait(false);
            summary.Rotations = [.. first.Zip(second, (a, b) => (a.Current, b.Current, b.Destroyed))];

            // 5. Consent round trip (R8.5, R8.6): staff ask; the participant unwraps the destroyed epoch's key
            //    with its own private key, presents it, and staff view one record under the grant.
            var target = stored.FirstOrDefault(r => r.Participant.Value == "u-tokyo" && !r.SealedContent.IsEmpty);
            if (target is not null)
            {
                var staff = Actor.Staff("yamada");
                var request = await data.ConsentService.RequestAsync(staff, target.Participant, new ConsentScope.RecordList([target.Id]), Purpose.Investigation, $"follow-up of sid {target.Rule.Sid}", clock.GetUtcNow().AddDays(3), cancellationToken).ConfigureAwait(false);
                var op = summary.Operators.First(x => x.Participant == "u-tokyo");
                Check(request.Succeeded, request.Refusal?.Message);
                Check(data.Keys.TryLoadWrappedSet(target.Epoch, out var wrapped), $"no wrapped key set for {target.Epoch}");

                // The participant's side: unwrap with its own private key, sign the approval with its certificate's key.
                using var privateKey = ParticipantPrivateKey.Load(File.ReadAllBytes(op.Issued.KeyPath), null);
                Check(privateKey.TryUnwrap(wrapped!, out var unwrapped, out var failure), $"unwrap failed: {failure}");
                var presented = new byte[EpochKey.Size];
                unwrapped!.CopyTo(presented);
                unwrapped.Dispose();
                var signed = ParticipantSide.SignedApproval.Sign(request.Value!.Id, target.Participant, new Dictionary<long, byte[]> { [target.Epoch.Index] = presented }, clock.GetUtcNow().AddHours(1), clock.GetUtcNow(), op.Issued.Certificate);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(presented);

                // The organization's side: the signature and its registered, active certificate decide (R8.6).
                var statement = ParticipantSide.SignedApproval.TryRead(signed, out var unreadable);
                Check(statement is not null, unreadable);
                var signer = statement!.CheckSigner(data.Registry.State, request.Value, clock.GetUtcNow());
                var grant = await data.ConsentService.ApproveAsync(request.Value.Id, Actor.Operator(target.Participant, signer.OperatorEmail), statement.Keys.ToDictionary(kv => new EpochId(target.Participant, kv.Key), kv => kv.Value), statement.GrantExpires, cancellationToken).ConfigureAwait(false);
                Check(grant.Succeeded, grant.Refusal?.Message);
                await data.History.AppendAsync($"operator:{target.Participant}/{signer.OperatorEmail}", "consent.approval.signed", $"consent/{request.Value.Id}", $"grant={grant.Value!.Id} signed by certificate sha256={signer.Thumbprint} of {signer.OperatorEmail} (CMS, verified against the registry)", cancellationToken).ConfigureAwait(false);
                var view = await data.ConsentService.ViewAsync(grant.Value!.Id, staff, target.Id, cancellationToken).ConfigureAwait(false);
                Check(view.Succeeded, view.Refusal?.Message);
                summary.Consent = (request.Value.Id, grant.Value.Id, target, view.Value!);
            }

            // 6. A staff certificate for the portal's staff pages, by CSR as well: the key stays with the staff member.
            var staffDirectory = Path.Combine(StaffRoot, "yamada");
            var (_, staffCsr) = OperatorKeys.Generate(staffDirectory, "staff-yamada", ClientKeyType.EcP256);
            summary.Staff = OperatorKeys.Bundle(staffDirectory, "staff-yamada", CertificateEnrolment.SignStaff(ca, "yamada", File.ReadAllBytes(staffCsr)));
            await data.History.AppendAsync("org:registrar", "portal.staff.certificate.issued", "staff/yamada", $"sha256={summary.Staff.Thumbprint}", cancellationToken).ConfigureAwait(false);
            if (data.LocalHistory is { } local)
            {
                await local.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            }

            if (data.Cluster is { } chain)
            {
                summary.ClusterHistory = (chain.History.Count, await chain.History.FindFirstBrokenLinkAsync(cancellationToken).ConfigureAwait(false));
            }
        }

        if (summary.ClusterHistory is null)
        {
            summary.History = OperationHistoryStore.Verify(dataDirectory, audit.WitnessDirectory, null);
        }

        return summary;
    }

    public static void Print(TextWriter o, DemoSummary s)
    {
        o.WriteLine(s.ClusterHistory is null
            ? "Nii.Socs demo — the NII-SOCS service on one machine, on a simulated clock"
            : "Nii.Socs demo — the NII-SOCS service on a replicated PostgreSQL cluster, on a simulated clock");
        o.WriteLine($"  data directory        {s.DataDirectory}");
        if (s.ClusterHistory is not null)
        {
            o.WriteLine($"  storage               {s.Storage}");
        }

        o.WriteLine($"  started at            {CliParse.Iso(Jst.ToJst(Start))}");
        foreach (var (participant, name, issued) in s.Operators)
        {
            o.WriteLine($"  participant           {participant}: operator {name} made its own key; certificate enrolled by CSR: {issued.Pkcs12Path}");
        }

        var c = s.Capture!;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  capture               {c.FramesRead} frames read, {c.InScope} in scope, {c.OutOfScope} out of scope (not stored), {c.Malformed} malformed"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  detections stored     {s.Stored} (content sealed, headers in clear)"));
        foreach (var (sid, message, count) in s.StoredBySid)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    sid {sid,-8} {count,3}  {message}"));
        }

        if (s.Shipped is { } shipped)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  shipped to cluster    {shipped} record(s) from the local spool, committed on the synchronous standby too"));
        }

        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  mail (R4.5, R4.6)     {s.Mails} message(s) written as .eml to {s.MailDirectory} (headers only, never content)"));
        foreach (var (from, to, destroyed) in s.Rotations)
        {
            o.WriteLine($"  key rotation          {from.Participant}: epoch {from.Index} → {to.Index}; destroyed {(destroyed.Count == 0 ? "none" : string.Join(", ", destroyed.Select(d => d.Index)))}");
        }

        if (s.Consent is { } consent)
        {
            var text = Encoding.UTF8.GetString(consent.Content);
            var firstLine = text.Split('\n')[0].TrimEnd('\r');
            o.WriteLine($"  consent               request {consent.Request} → grant {consent.Grant}");
            o.WriteLine($"  viewed under grant    record {consent.Record.Id} (epoch {consent.Record.Epoch.Index}, key destroyed, presented by the participant): \"{(firstLine.Length > 60 ? firstLine[..60] + "…" : firstLine)}\"");
        }

        if (s.ClusterHistory is { } chain)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  operation history     {chain.Entries} entries on the cluster, hash chain {(chain.BrokenAt is { } at ? $"broken at {at}" : "intact")} (append-only table, R6.4)"));
            return;
        }

        o.WriteLine($"  operation history     {s.History}");
        o.WriteLine($"  history witness       {s.WitnessDirectory} (a copy of every signed checkpoint, outside the data directory; R6.4)");
    }

    /// <summary>Takes the lock of a demo's data directory for a whole demo (run and portal), refusing a directory
    /// that holds other data before touching it.</summary>
    /// <exception cref="Pipeline.DataDirectoryBusyException">Another process owns the directory.</exception>
    public static Pipeline.DataDirectoryLock TakeOwnership(string dataDirectory)
    {
        var full = Path.GetFullPath(dataDirectory);
        RefuseForeign(full);
        PrivateFiles.CreateDirectory(full);
        return Pipeline.DataDirectoryLock.Acquire(full);
    }

    private static void RefuseForeign(string full)
    {
        if (Directory.Exists(full) && Contents(full).Any() && !File.Exists(Path.Combine(full, Marker)))
        {
            throw new CliUsageException($"{full} holds data that is not a demo's; the demo only replaces its own data. Use --data (and --people) to choose others.");
        }
    }

    // The run folder (lock, admin socket) stays: its lock is held while the demo replaces the rest.
    private static IEnumerable<string> Contents(string full) =>
        Directory.EnumerateFileSystemEntries(full).Where(e => Path.GetFileName(e) != Pipeline.DataDirectoryLock.RunDirectoryName);

    private void PrepareDirectory()
    {
        var full = Path.GetFullPath(dataDirectory);
        using var owner = TakeOwnership(full);
        foreach (var directory in new[] { ParticipantsRoot, StaffRoot })
        {
            RefuseForeign(directory);
        }

        foreach (var entry in Contents(full).ToList())
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        // The demo's own secrets (KEK, CA key) go with its data.
        var secrets = HostSecrets.DirectoryFor(full);
        if (Directory.Exists(secrets))
        {
            Directory.Delete(secrets, recursive: true);
        }

        // The demo's witness sits beside its data directory (never inside) and is replaced with it.
        var witness = WitnessOf(full);
        if (Directory.Exists(witness))
        {
            Directory.Delete(witness, recursive: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(full, PrivateFiles.DirectoryMode);
        }

        PrivateFiles.WriteAllText(Path.Combine(full, Marker), "This directory was made by `socs demo`; the next demo replaces it.\n");
        foreach (var directory in new[] { ParticipantsRoot, StaffRoot })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            PrivateFiles.CreateDirectory(directory);
            PrivateFiles.WriteAllText(Path.Combine(directory, Marker), "This directory was made by `socs demo`; the next demo replaces it.\n");
        }
    }

    private static string WitnessOf(string dataDirectory) => AuditOptions.Resolve(null, dataDirectory)!;

    private static async Task RecordAsync(SocsData data, Notifier notifier, ProcedureOutcome outcome, string id, CancellationToken cancellationToken)
    {
        if (!outcome.IsAccepted)
        {
            throw new InvalidOperationException($"demo procedure for {id}: {outcome.ErrorLine()}");
        }

        await data.Registry.AppendAsync(outcome.Events, cancellationToken).ConfigureAwait(false);
        await data.History.AppendAsync("org:registrar", outcome.Action, outcome.Subject, outcome.Details, cancellationToken).ConfigureAwait(false);
        await notifier.ProcedureAsync(outcome.Participant!.Value, outcome.NotifyTo, outcome.Notice!, cancellationToken).ConfigureAwait(false);
    }

    private static void Check(bool condition, string? message)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"demo: {message}");
        }
    }
}

internal sealed class DemoSummary
{
    public string DataDirectory { get; set; } = string.Empty;

    public string WitnessDirectory { get; set; } = string.Empty;

    public List<(string Participant, string Name, IssuedCertificate Issued)> Operators { get; } = [];

    public IssuedCertificate? Staff { get; set; }

    public CaptureSummary? Capture { get; set; }

    public int Stored { get; set; }

    public int Mails { get; set; }

    public string MailDirectory { get; set; } = string.Empty;

    public IReadOnlyList<(long Sid, string Message, int Count)> StoredBySid { get; set; } = [];

    public IReadOnlyList<(EpochId From, EpochId To, IReadOnlyList<EpochId> Destroyed)> Rotations { get; set; } = [];

    public (RequestId Request, GrantId Grant, Core.Detections.DetectionRecord Record, byte[] Content)? Consent { get; set; }

    public Core.Audit.HistoryVerification? History { get; set; }

    public string Storage { get; set; } = string.Empty;

    public long? Shipped { get; set; }

    public (long Entries, long? BrokenAt)? ClusterHistory { get; set; }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Time;
using Nii.Socs.Core.Storage.Outbox;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Cli;

/// <summary><c>socs audit verify</c>, <c>socs store stats</c> and <c>socs retention sweep</c>: the storage verbs.</summary>
internal static class StoreCommands
{
    public static IEnumerable<Command> Create(CliContext context)
    {
        var audit = new Command("audit", "The operation history (R6.4)");
        audit.Subcommands.Add(Verify(context).Uses(DataUse.ReadOnly));
        yield return audit;
        var store = new Command("store", "The detection store");
        store.Subcommands.Add(Stats(context).Uses(DataUse.Served));
        store.Subcommands.Add(Ship(context).Uses(DataUse.Served));
        yield return store;
    }

    /// <summary><c>socs store ship --data DIR [--json]</c>: the data directory's detections, as a sensor's spool, copied
    /// to the PostgreSQL cluster named by <c>Socs:Storage</c> (R7.1, docs/scale-out.md).</summary>
    /// <remarks>Idempotent by record id; a closed month's partition leaves the spool only after the cluster committed
    /// every record of it. Refused (exit 2, nothing changed) unless <c>Socs:Storage:Provider</c> is PostgreSql with a
    /// connection string. The pass is recorded in the host's history (on this provider, the cluster's).</remarks>
    private static Command Ship(CliContext context)
    {
        var data = CliParse.DataOption();
        var json = CliOutput.JsonOption();
        var command = new Command("ship", "Copy the detections to the PostgreSQL cluster of Socs:Storage (idempotent by id); a closed month leaves this store only after the cluster committed it") { data, json };
        command.SetAction(parse =>
        {
            var dir = CliParse.ExistingDataDirectory(parse.GetValue(data));
            var options = StorageOptions.FromConfiguration();
            options.ThrowIfInvalid();
            if (options.Provider != StorageProvider.PostgreSql)
            {
                throw new CliUsageException($"store ship needs {StorageOptions.SectionName}:Provider=PostgreSql and {StorageOptions.SectionName}:ConnectionString; the provider is {options.Provider}.");
            }

            DataLease lease;
            try
            {
                lease = DataAccess.Open(context, dir);
            }
            catch (Npgsql.NpgsqlException e)
            {
                context.Error.WriteLine($"socs: the cluster could not be reached: {e.Message.Split('\n')[0]}");
                return CliApp.Problem;
            }

            using (lease)
            {
                if (lease.Data.Cluster is not { } cluster)
                {
                    throw new CliUsageException($"the service that owns {lease.Data.Directory} runs on the Faster provider; it has no cluster to ship to.");
                }

                context.Error.WriteLine($"socs: shipping {lease.Data.Spool.Partitions().Count} partition(s) to the cluster (schema {cluster.Storage.Schema})");
                Storage.PostgreSql.ShipReport report;
                try
                {
                    report = Pipeline.DetectionShipperService.ShipOnceAsync(lease.Data, cluster, context.Time, CancellationToken.None, recordEveryPass: true).GetAwaiter().GetResult();
                }
                catch (Npgsql.NpgsqlException e)
                {
                    // Nothing uncommitted was trimmed; the next pass sends the same ids again.
                    context.Error.WriteLine($"socs: the cluster failed during the pass (run it again): {e.Message.Split('\n')[0]}");
                    return CliApp.Problem;
                }

                if (parse.GetValue(json))
                {
                    CliOutput.WriteJson(context.Out, new JsonObject
                    {
                        ["read"] = report.Read,
                        ["stored"] = report.Stored,
                        ["trimmed"] = new JsonArray([.. report.Trimmed.Select(t => (JsonNode)new JsonObject { ["participant"] = t.Participant.Value, ["month"] = t.Month.ToString() })]),
                    });
                    return CliApp.Ok;
                }

                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"shipped: {report.Read} read, {report.Stored} newly stored on the cluster"));
                foreach (var (participant, month) in report.Trimmed)
                {
                    context.Out.WriteLine($"trimmed partition {participant}/{month} (committed on the cluster)");
                }

                return CliApp.Ok;
            }
        });
        return command;
    }

    /// <summary><c>socs retention sweep --data DIR [--now INSTANT] [--dry-run]</c> (R7.3).</summary>
    public static Command Sweep(CliContext context)
    {
        var data = CliParse.DataOption();
        var now = new Option<string?>("--now") { Description = "Decide as of this instant (ISO 8601 with offset); a real sweep never goes past the clock" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be deleted; delete and record nothing" };
        var json = CliOutput.JsonOption();
        var command = new Command("sweep", "Delete expired detection partitions and unreferenced wrapped keys (R7.3)") { data, now, dryRun, json };
        command.SetAction(parse =>
        {
            var dir = CliParse.ExistingDataDirectory(parse.GetValue(data));
            var at = parse.GetValue(now) is { } text ? CliParse.Instant("--now", text) : (DateTimeOffset?)null;
            var dry = parse.GetValue(dryRun);
            using var lease = DataAccess.Open(context, dir);

            // R7.3: the mail's copies of header data (outbox rows, .eml files) go with their partitions. Inside the
            // service its open outbox is used; otherwise this verb holds the directory and opens it itself.
            // On PostgreSql this sweeps the local spool; the cluster's partitions and outbox are swept by the cluster's sweeper below.
            using var own = lease.Services is null && !dry && lease.Data.Cluster is null && Directory.Exists(Path.Combine(dir, MailOutbox.DirectoryName)) ? MailOutbox.Open(dir) : null;
            var sweeper = new RetentionSweeper(lease.Data.Spool, Pipeline.RetentionService.WrappedKeysToSweep(lease.Data), lease.Data.History, context.Time)
            {
                DerivedCopies = own is null
                    ? Pipeline.RetentionService.DerivedCopiesOf(lease.Data, lease.Services)
                    : [new MailCopies(own, Path.Combine(lease.Data.Directory, EmlMailTransport.DirectoryName))],
            };
            var report = sweeper.SweepAsync(at, dry).GetAwaiter().GetResult();
            if (Pipeline.RetentionService.ClusterSweeperOf(lease.Data, context.Time) is { } cluster)
            {
                var swept = cluster.SweepAsync(at, dry).GetAwaiter().GetResult();
                report = report with { Partitions = [.. report.Partitions, .. swept.Partitions], EpochKeys = [.. report.EpochKeys, .. swept.EpochKeys], Resumed = [.. report.Resumed, .. swept.Resumed], Copies = [.. report.Copies, .. swept.Copies] };
            }

            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject
                {
                    ["at"] = CliOutput.Json(report.At),
                    ["dry_run"] = dry,
                    ["resumed"] = CliOutput.Strings(report.Resumed),
                    ["partitions"] = new JsonArray([.. report.Partitions.Select(p => (JsonNode)new JsonObject
                    {
                        ["participant"] = p.Participant.Value,
                        ["month"] = p.Month.ToString(),
                        ["expiry"] = CliOutput.Json(p.Expiry),
                    })]),
                    ["wrapped_keys"] = new JsonArray([.. report.EpochKeys.Select(k => (JsonNode)new JsonObject
                    {
                        ["participant"] = k.Participant.Value,
                        ["epoch"] = k.Epoch,
                    })]),
                    ["copies"] = CliOutput.Strings(report.Copies),
                });
                return CliApp.Ok;
            }

            var verb = dry ? "would delete" : "deleted";
            foreach (var resumed in report.Resumed)
            {
                context.Out.WriteLine($"finished interrupted deletion of partition {resumed}");
            }

            foreach (var p in report.Partitions)
            {
                context.Out.WriteLine($"{verb} partition {p.Participant}/{p.Month} (expired {CliParse.Iso(Jst.ToJst(p.Expiry))})");
            }

            foreach (var k in report.EpochKeys)
            {
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} wrapped keys {k.Participant}/epoch {k.Epoch}"));
            }

            foreach (var line in report.Copies)
            {
                context.Out.WriteLine("purged " + line);
            }

            context.Out.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{(dry ? "dry run" : "swept")} at {CliParse.Iso(Jst.ToJst(report.At))}: {report.Partitions.Count} partition(s), {report.EpochKeys.Count} wrapped key set(s)"));
            return CliApp.Ok;
        });
        return command.Uses(DataUse.Served);
    }

    /// <summary><c>socs audit verify --data DIR [--witness DIR] [--public-key FILE]</c> (R6.4).</summary>
    private static Command Verify(CliContext context)
    {
        var data = CliParse.DataOption();
        var witness = new Option<string?>("--witness") { Description = "The witness directory (default: Socs:Audit:WitnessDirectory, else <data>.witness when it exists)" };
        var publicKey = new Option<string?>("--public-key") { Description = "The trusted signing public key (32 raw bytes or 64 hex digits; default: the witness's pinned key)" };
        var json = CliOutput.JsonOption();
        var command = new Command("verify", "Check the hash chain, the signed checkpoint chain and the witness's copies of the operation history (R6.4)") { data, witness, publicKey, json };
        command.SetAction(parse =>
        {
            var dir = CliParse.ExistingDataDirectory(parse.GetValue(data));
            var storage = StorageOptions.FromConfiguration();
            storage.ThrowIfInvalid();
            string? witnessDir;
            if (parse.GetValue(witness) is { } given)
            {
                witnessDir = Directory.Exists(given) ? given : throw new CliUsageException($"--witness must be an existing directory; got '{given}'.");
            }
            else
            {
                witnessDir = AuditOptions.FromConfiguration().WitnessFor(dir);
                if (witnessDir is not null && !Directory.Exists(witnessDir))
                {
                    context.Error.WriteLine($"socs: no witness at {witnessDir}: checked against the history's own checkpoints only");
                    witnessDir = null;
                }
            }

            var keyFile = parse.GetValue(publicKey);
            if (keyFile is not null && !File.Exists(keyFile))
            {
                throw new CliUsageException($"--public-key must be an existing file; got '{keyFile}'.");
            }

            if (storage.Provider == StorageProvider.PostgreSql)
            {
                // The cluster's history: its chain, its signed checkpoints against the trusted key, the witness's copies,
                // and every consent event paired with its entry (R6.4).
                NSec.Cryptography.PublicKey? trusted;
                try
                {
                    trusted = OperationHistoryStore.TrustedKey(dir, witnessDir, keyFile);
                }
                catch (InvalidDataException ex)
                {
                    throw new CliUsageException(ex.Message);
                }

                using var cluster = Pipeline.ClusterStores.Open(storage, context.Time);
                var entries = cluster.History.Entries();
                HistoryVerification onCluster;
                if (trusted is null)
                {
                    context.Error.WriteLine("socs: no signing key in the data directory, no witness and no --public-key: checked the cluster's hash chain only");
                    onCluster = cluster.History.FindFirstBrokenLinkAsync().GetAwaiter().GetResult() is { } at
                        ? new HistoryVerification.Broken(at, "the entry does not extend the hash chain of the cluster's history")
                        : new HistoryVerification.Intact(entries.Count, null);
                }
                else
                {
                    onCluster = cluster.History.VerifyAsync(trusted, witnessDir).GetAwaiter().GetResult();
                }

                var check = new ConsentHistoryCrossCheck();
                foreach (var e in cluster.Consent.Events())
                {
                    check.Add(e);
                }

                foreach (var entry in entries)
                {
                    check.Add(entry);
                }

                return Report(context, parse.GetValue(json), onCluster, onCluster is HistoryVerification.Intact ? check.Unpaired() : []);
            }

            HistoryVerification result;
            try
            {
                result = OperationHistoryStore.Verify(dir, witnessDir, keyFile);
            }
            catch (InvalidDataException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            // R6.4: every consent event has its history entry and the other way round.
            var unpaired = result is HistoryVerification.Intact ? OperationHistoryStore.CrossCheckConsent(dir) : [];
            return Report(context, parse.GetValue(json), result, unpaired);
        });
        return command;
    }

    /// <summary>Prints a history verification and the consent cross-check; exit 0 only when both are clean.</summary>
    private static int Report(CliContext context, bool asJson, HistoryVerification result, IReadOnlyList<UnpairedRecord> unpaired)
    {
        if (asJson)
        {
            var o = result switch
            {
                HistoryVerification.Intact i => new JsonObject { ["intact"] = true, ["entries"] = i.Entries, ["last_checkpoint"] = i.LastCheckpoint },
                HistoryVerification.Broken b => new JsonObject { ["intact"] = false, ["broken_at"] = b.Sequence, ["reason"] = b.Reason },
                _ => throw new InvalidOperationException($"Unknown verification {result}."),
            };
            o["unpaired"] = new JsonArray([.. unpaired.Select(u => (JsonNode?)JsonValue.Create(u.Description))]);
            CliOutput.WriteJson(context.Out, o);
            return result is HistoryVerification.Intact && unpaired.Count == 0 ? CliApp.Ok : CliApp.Problem;
        }

        context.Out.WriteLine(result.ToString());
        if (result is not HistoryVerification.Intact)
        {
            return CliApp.Problem;
        }

        foreach (var record in unpaired)
        {
            context.Out.WriteLine("unpaired: " + record.Description);
        }

        context.Out.WriteLine(unpaired.Count == 0
            ? "consent log and history agree"
            : string.Create(CultureInfo.InvariantCulture, $"{unpaired.Count} consent record(s) without a partner"));
        return unpaired.Count == 0 ? CliApp.Ok : CliApp.Problem;
    }

    private static Command Stats(CliContext context)
    {
        var data = CliParse.DataOption();
        var json = CliOutput.JsonOption();
        var command = new Command("stats", "Partitions with their record counts, sizes and expiry (R7.3)") { data, json };
        command.SetAction(parse =>
        {
            var dir = CliParse.ExistingDataDirectory(parse.GetValue(data));

            // Beside a running service this runs inside it (admin channel) on its open store: opening a partition
            // rewrites its index sidecar, which only the owner may do.
            using var lease = context.Served is null ? null : DataAccess.Open(context, dir);
            using var view = lease is null ? StoreView.Open(dir, context.Time) : null;
            var schedule = lease is null ? ScheduleOf(view!) : lease.Data.RetentionSchedule();
            var store = lease?.Data.Detections ?? view!.Detections(schedule);
            var partitions = store.Partitions();
            var rows = partitions.Select(p => (Stats: store.Stats(p.Participant, p.Month)!, Expiry: schedule.ExpiryOf(p.Participant, p.Month))).ToList();
            long records = rows.Sum(r => r.Stats.Records), bytes = rows.Sum(r => r.Stats.Bytes);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(context.Out, new JsonObject
                {
                    ["partitions"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
                    {
                        ["participant"] = r.Stats.Participant.Value,
                        ["month"] = r.Stats.Month.ToString(),
                        ["records"] = r.Stats.Records,
                        ["bytes"] = r.Stats.Bytes,
                        ["expires"] = CliOutput.Json(r.Expiry),
                    })]),
                    ["records"] = records,
                    ["bytes"] = bytes,
                });
                return CliApp.Ok;
            }

            CliOutput.WriteTable(
                context.Out,
                ["participant", "month", "records", "bytes", "expires"],
                rows.Select(r => (IReadOnlyList<string>)[r.Stats.Participant.Value, r.Stats.Month.ToString(), N(r.Stats.Records), N(r.Stats.Bytes), CliParse.Iso(r.Expiry)]),
                new HashSet<int> { 2, 3 });
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{partitions.Count} partition(s), {records} record(s), {bytes} byte(s)"));
            return CliApp.Ok;
        });
        return command;
    }


    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The configured policy plus the agreements recorded in the registry, when there is one (R7.3): the one
    /// schedule <c>serve</c>, <c>retention sweep</c> and <c>inspect</c> use too.</summary>
    private static RetentionSchedule ScheduleOf(StoreView view)
    {
        var policy = ProcedureCommands.ConfiguredRetention();
        return view.HasRegistry ? view.Registry.State.RetentionSchedule(policy) : new RetentionSchedule(policy, []);
    }
}

using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Storage;
using Nii.Socs.Core.Tests.Storage;

namespace Nii.Socs.Core.Tests.Participants.Registry;

/// <summary>The registry fold against a plain mutable model written separately, on random event sequences.</summary>
public sealed class RegistryModel
{
    private static readonly ParticipantId[] People = [new("u-tokyo"), new("kyoto-u"), new("osaka-u")];
    private static readonly string[] Apps = ["app-1", "app-2", "app-3", "app-4"];
    private static readonly string[] Thumbs = ["aa11", "bb22", "cc33"];
    private static readonly string[] Exclusions = ["ex-1", "ex-2"];
    private static readonly IPPrefix[] PrefixPool = [IPPrefix.Parse("192.0.2.0/24"), IPPrefix.Parse("198.51.100.0/24"), IPPrefix.Parse("2001:db8::/32"), IPPrefix.Parse("203.0.113.128/25")];
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    private static Gen<ImmutableArray<T>> Subset<T>(T[] pool) => Gen.SubListOf(pool).Select(l => l.ToImmutableArray());

    private static Gen<RegistryEvent> Events(DateTimeOffset at)
    {
        var who = Gen.Elements(People);
        var app = Gen.Elements(Apps);
        var text = Gen.Elements("a", "b", "c");
        var operators = Subset([new OperatorContact("Sato", "sato@example.ac.jp", null, true), new OperatorContact("Ito", "ito@example.ac.jp", null, false)]);
        var contacts = Subset(["soc@example.ac.jp", "cert@example.ac.jp"]);
        return Gen.OneOf(
            from a in app from p in who from n in text from pr in Subset(PrefixPool) from c in contacts from o in operators select (RegistryEvent)new ApplicationSubmitted(at, a, p, n, pr, c, o),
            app.Select(a => (RegistryEvent)new ApplicationApproved(at, a)),
            from a in app from r in text select (RegistryEvent)new ApplicationRefused(at, a, r),
            from p in who from pr in Subset(PrefixPool) select (RegistryEvent)new PrefixesChanged(at, p, pr),
            from p in who from c in contacts select (RegistryEvent)new ContactsChanged(at, p, c),
            from p in who from o in operators select (RegistryEvent)new OperatorsChanged(at, p, o),
            from p in who from t in Gen.Elements(Thumbs) from e in text select (RegistryEvent)new CertificateIssued(at, p, t, e),
            from p in who from t in Gen.Elements(Thumbs) from r in text select (RegistryEvent)new CertificateRevoked(at, p, t, r),
            from p in who from m in Gen.Choose(-1, 121) from d in Gen.Choose(0, 400) select (RegistryEvent)new AgreementMade(at, p, m, new DateOnly(2026, 1, 1).AddDays(d)),
            from x in Gen.Elements(Exclusions) from pr in Subset(PrefixPool) from u in Gen.Elements<DateTimeOffset?>(null, at.AddHours(2)) from r in text select (RegistryEvent)new ExclusionStarted(at, x, pr, u, r),
            Gen.Elements(Exclusions).Select(x => (RegistryEvent)new ExclusionEnded(at, x)),
            from p in who from d in Gen.Choose(0, 400) select (RegistryEvent)new ParticipantTerminated(at, p, new DateOnly(2026, 1, 1).AddDays(d)));
    }

    private static Gen<List<RegistryEvent>> Sequences =>
        Gen.ListOf(Gen.Choose(0, 100_000).SelectMany(m => Events(T0.AddMinutes(m)))).Select(e => e.ToList());

    [Property(MaxTest = 200)]
    public Property Registry_fold_equals_a_simple_in_memory_model()
    {
        return Prop.ForAll(Sequences.ToArbitrary(), events =>
        {
            var folded = Describe(RegistryState.Fold(events));
            var modelled = Model.Run(events).Describe();
            return (folded == modelled).Label(folded + "\n  vs model\n" + modelled)
                .Classify(events.OfType<ApplicationApproved>().Any(), "has approvals")
                .Collect(RegistryState.Fold(events).Participants.Count + " participant(s)");
        });
    }

    [Property(MaxTest = 200)]
    public Property Every_event_survives_its_stored_encoding()
    {
        return Prop.ForAll(Sequences.ToArbitrary(), events =>
            events.All(e => RegistryEventCodec.Encode(RegistryEventCodec.Decode(RegistryEventCodec.Encode(e))).AsSpan().SequenceEqual(RegistryEventCodec.Encode(e))
                && Describe(RegistryState.Fold([RegistryEventCodec.Decode(RegistryEventCodec.Encode(e))])) == Describe(RegistryState.Fold([e]))));
    }

    [Fact]
    public async Task Registry_reopens_to_the_same_state_from_its_log()
    {
        using var dir = new TempDir();
        var events = new List<RegistryEvent>();
        for (var i = 0; i < 24; i++)
        {
            var p = People[i % People.Length];
            var at = T0.AddHours(i);
            events.Add((i % 6) switch
            {
                0 => new ApplicationSubmitted(at, "app-" + i, p, "Institution " + i, [PrefixPool[i % PrefixPool.Length]], ["soc@example.ac.jp"], [new OperatorContact("Sato", "sato@example.ac.jp", null, true)]),
                1 => new ApplicationApproved(at, "app-" + (i - 1)),
                2 => new CertificateIssued(at, p, "thumb-" + i, "sato@example.ac.jp"),
                3 => new AgreementMade(at, p, 6, new DateOnly(2026, 5, 1)),
                4 => new ExclusionStarted(at, "ex-" + i, [PrefixPool[0]], at.AddHours(1), "load"),
                _ => new ExclusionEnded(at, "ex-" + (i - 1)),
            });
        }

        using (var store = RegistryStore.Open(dir.Path))
        {
            await store.AppendAsync(events.Take(10));
            await store.AppendAsync(events.Skip(10));
            Assert.Equal(Describe(RegistryState.Fold(events)), Describe(store.State));
        }

        using (var store = RegistryStore.Open(dir.Path))
        {
            Assert.Equal(events.Count, store.Events().Count);
            Assert.Equal(Describe(RegistryState.Fold(events)), Describe(store.State));
        }
    }

    [Fact]
    public void Approval_makes_a_participant_and_revocation_keeps_the_certificate()
    {
        var p = People[0];
        var state = RegistryState.Fold([
            new ApplicationSubmitted(T0, "app-1", p, "The University of Tokyo", [PrefixPool[0]], ["soc@example.ac.jp"], []),
            new ApplicationApproved(T0, "app-1"),
            new ApplicationApproved(T0, "app-1"),
            new CertificateIssued(T0, p, "aa11", "sato@example.ac.jp"),
            new CertificateRevoked(T0, p, "aa11", "reported compromise"),
            new AgreementMade(T0, p, 6, new DateOnly(2026, 5, 1)),
        ]);
        var entry = state.Participants[p];
        Assert.Equal(new[] { PrefixPool[0] }, entry.Prefixes.ToArray());
        Assert.Equal(CertificateStatus.Revoked, entry.Certificates["aa11"].Status);
        Assert.Equal(6, state.RetentionSchedule(Nii.Socs.Core.Retention.RetentionPolicy.Default).PolicyAt(p, new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero)).Months);
    }

    private static string Describe(RegistryState s)
    {
        var lines = new List<string>();
        foreach (var a in s.Applications.Values.OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            lines.Add($"app {a.Id} {a.Participant} {a.Status} {a.Reason}");
        }

        foreach (var p in s.Participants.Values.OrderBy(p => p.Id.Value, StringComparer.Ordinal))
        {
            lines.Add($"participant {p.Id} {p.Name} [{string.Join(",", p.Prefixes)}] [{string.Join(",", p.Contacts)}] [{string.Join(",", p.Operators.Select(o => $"{o.Name}/{o.Mail}/{o.IssueCertificate}"))}] term={p.TerminatedFrom}");
            foreach (var c in p.Certificates.Values.OrderBy(c => c.Thumbprint, StringComparer.Ordinal))
            {
                lines.Add($"  cert {c.Thumbprint} {c.OperatorEmail} {c.Status}");
            }

            foreach (var a in p.Agreements)
            {
                lines.Add($"  agreement {a.Policy.Months} {a.EffectiveFrom}");
            }
        }

        foreach (var x in s.Exclusions.Values.OrderBy(x => x.Id, StringComparer.Ordinal))
        {
            lines.Add($"exclusion {x.Id} [{string.Join(",", x.Prefixes)}] {x.From:O} {x.Until:O} {x.Reason} ended={x.EndedAt:O}");
        }

        return string.Join("\n", lines);
    }

    /// <summary>The model: mutable dictionaries, each rule written out plainly.</summary>
    private sealed class Model
    {
        private readonly Dictionary<string, (string Participant, string Name, string Prefixes, string Contacts, string Operators, string Status, string? Reason)> _apps = [];
        private readonly Dictionary<string, (string Name, string Prefixes, string Contacts, string Operators, DateOnly? Term)> _people = [];
        private readonly Dictionary<string, Dictionary<string, (string Email, string Status)>> _certs = [];
        private readonly Dictionary<string, List<(int Months, DateOnly From)>> _agreements = [];
        private readonly Dictionary<string, (string Prefixes, DateTimeOffset From, DateTimeOffset? Until, string Reason, DateTimeOffset? Ended)> _exclusions = [];

        public static Model Run(IEnumerable<RegistryEvent> events)
        {
            var m = new Model();
            foreach (var e in events)
            {
                m.Apply(e);
            }

            return m;
        }

        public string Describe()
        {
            var lines = new List<string>();
            foreach (var (id, a) in _apps.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                lines.Add($"app {id} {a.Participant} {a.Status} {a.Reason}");
            }

            foreach (var (id, p) in _people.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                lines.Add($"participant {id} {p.Name} [{p.Prefixes}] [{p.Contacts}] [{p.Operators}] term={p.Term}");
                foreach (var (t, c) in _certs[id].OrderBy(k => k.Key, StringComparer.Ordinal))
                {
                    lines.Add($"  cert {t} {c.Email} {c.Status}");
                }

                foreach (var (months, from) in _agreements[id])
                {
                    lines.Add($"  agreement {months} {from}");
                }
            }

            foreach (var (id, x) in _exclusions.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                lines.Add($"exclusion {id} [{x.Prefixes}] {x.From:O} {x.Until:O} {x.Reason} ended={x.Ended:O}");
            }

            return string.Join("\n", lines);
        }

        private static string Join<T>(ImmutableArray<T> items) => string.Join(",", items);

        private static string Ops(ImmutableArray<OperatorContact> items) => string.Join(",", items.Select(o => $"{o.Name}/{o.Mail}/{o.IssueCertificate}"));

        private void Apply(RegistryEvent e)
        {
            switch (e)
            {
                case ApplicationSubmitted s when !_apps.ContainsKey(s.ApplicationId):
                    _apps[s.ApplicationId] = (s.Participant.Value, s.Name, Join(s.Prefixes), Join(s.Contacts), Ops(s.Operators), "Pending", null);
                    break;
                case ApplicationApproved a when _apps.TryGetValue(a.ApplicationId, out var app) && app.Status == "Pending":
                    _apps[a.ApplicationId] = app with { Status = "Approved" };
                    if (!_people.ContainsKey(app.Participant))
                    {
                        _certs[app.Participant] = [];
                        _agreements[app.Participant] = [];
                    }

                    _people[app.Participant] = (app.Name, app.Prefixes, app.Contacts, app.Operators, null);
                    break;
                case ApplicationRefused r when _apps.TryGetValue(r.ApplicationId, out var app) && app.Status == "Pending":
                    _apps[r.ApplicationId] = app with { Status = "Refused", Reason = r.Reason };
                    break;
                case PrefixesChanged p when _people.TryGetValue(p.Participant.Value, out var who):
                    _people[p.Participant.Value] = who with { Prefixes = Join(p.Prefixes) };
                    break;
                case ContactsChanged c when _people.TryGetValue(c.Participant.Value, out var who):
                    _people[c.Participant.Value] = who with { Contacts = Join(c.Contacts) };
                    break;
                case OperatorsChanged o when _people.TryGetValue(o.Participant.Value, out var who):
                    _people[o.Participant.Value] = who with { Operators = Ops(o.Operators) };
                    break;
                case CertificateIssued i when _people.ContainsKey(i.Participant.Value) && !_certs[i.Participant.Value].ContainsKey(i.Thumbprint):
                    _certs[i.Participant.Value][i.Thumbprint] = (i.OperatorEmail, "Active");
                    break;
                case CertificateRevoked r when _people.ContainsKey(r.Participant.Value) && _certs[r.Participant.Value].TryGetValue(r.Thumbprint, out var cert):
                    _certs[r.Participant.Value][r.Thumbprint] = cert with { Status = "Revoked" };
                    break;
                case AgreementMade m when _people.ContainsKey(m.Participant.Value) && m.Months >= 0 && m.Months <= 120:
                    _agreements[m.Participant.Value].Add((m.Months, m.EffectiveFrom));
                    break;
                case ExclusionStarted x when !_exclusions.ContainsKey(x.ExclusionId):
                    _exclusions[x.ExclusionId] = (Join(x.Prefixes), x.At, x.Until, x.Reason, null);
                    break;
                case ExclusionEnded x when _exclusions.TryGetValue(x.ExclusionId, out var ex) && ex.Ended is null:
                    _exclusions[x.ExclusionId] = ex with { Ended = x.At };
                    break;
                case ParticipantTerminated t when _people.TryGetValue(t.Participant.Value, out var who):
                    _people[t.Participant.Value] = who with { Term = t.EffectiveFrom };
                    break;
                default:
                    break;
            }
        }
    }
}

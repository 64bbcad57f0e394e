using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Participants.Procedures;
using Nii.Socs.Core.Participants.Registry;
using Nii.Socs.Core.Scope;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Participants.Procedures;

/// <summary>Random sequences of the participant procedures against a plain model of R3, R10.2, R11 and R12 written separately:
/// after every step the registry's acceptance, status, period, prefixes and contacts equal the model's.</summary>
/// <remarks>Time moves forward by minutes to months between steps, so sequences cross weekends, national holidays, the
/// year-end closure, evenings (out-of-hours receipts) and fiscal-year ends; notices are dated before and after today.</remarks>
public sealed class ProcedureModel
{
    private static readonly string[] People = ["u-tokyo", "kyoto-u", "osaka-u"];
    private static readonly string[] PrefixPool = ["10.1.0.0/16", "10.1.2.0/24", "10.2.0.0/16", "2001:db8::/32", "2001:db8:1::/48", "0.0.0.0/0"];
    private static readonly DateTimeOffset T0 = new(2026, 3, 20, 1, 0, 0, TimeSpan.Zero);
    private static readonly ServiceCalendar Calendar = new(new TimeOnly(9, 0), new TimeOnly(17, 0), [new DateOnly(2026, 6, 15)]);

    /// <summary>One step: how far time moves, then one procedure.</summary>
    public sealed record Move(int Minutes, int Kind, int Who, int[] Prefixes, int Number, int Offset, bool Blank)
    {
        public override string ToString() => $"+{Minutes}min {Kind switch { 0 => "apply", 1 => "approve", 2 => "refuse", 3 => "revoke", 4 => "terminate", 5 => "decline", 6 => "contacts", _ => "prefixes" }} who={Who} prefixes=[{string.Join(",", Prefixes)}] n={Number} offset={Offset} blank={Blank}";
    }

    private static Gen<Move> Steps =>
        from minutes in Gen.OneOf(Gen.Choose(0, 600), Gen.Choose(0, 60 * 24 * 10), Gen.Choose(0, 60 * 24 * 70))
        from kind in Gen.Frequency((4, Gen.Constant(0)), (4, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)), (2, Gen.Constant(4)), (1, Gen.Constant(5)), (1, Gen.Constant(6)), (1, Gen.Constant(7)))
        from who in Gen.Choose(0, People.Length - 1)
        from prefixes in Gen.Frequency(
            (5, Gen.Choose(0, PrefixPool.Length - 2).Select(i => new[] { i })),
            (1, Gen.SubListOf(Enumerable.Range(0, PrefixPool.Length).ToArray()).Select(l => l.ToArray())))
        from number in Gen.Choose(0, 5)
        from offset in Gen.Choose(-40, 40)
        from blank in Gen.Frequency((1, Gen.Constant(true)), (6, Gen.Constant(false)))
        select new Move(minutes, kind, who, prefixes, number, offset, blank);

    [Property(MaxTest = 150)]
    [Trait("Requirement", "R3.1")]
    [Trait("Requirement", "R10.2")]
    [Trait("Requirement", "R11.1")]
    [Trait("Requirement", "R11.2")]
    [Trait("Requirement", "R12.1")]
    [Trait("Requirement", "R12.2")]
    public Property R12_R11_procedures_keep_the_registry_equal_to_an_independent_model() =>
        Prop.ForAll(Gen.Choose(10, 40).SelectMany(n => Steps.ArrayOf(n)).ToArbitrary(), steps =>
        {
            var procedures = new ParticipantProcedures(Calendar);
            var state = RegistryState.Empty;
            var model = new Model();
            var now = T0;
            var accepted = 0;
            foreach (var step in steps)
            {
                now = now.AddMinutes(step.Minutes);
                var receipt = new ProcedureReceipt("registrar", now);
                var (outcome, expected) = Run(procedures, state, model, step, now, receipt);
                if (outcome.IsAccepted != expected)
                {
                    return false.Label($"{step} at {Jst.ToJst(now):O}: accepted={outcome.IsAccepted} model={expected} errors={outcome.ErrorLine()}");
                }

                if (!outcome.IsAccepted && outcome.Events.Count != 0)
                {
                    return false.Label($"{step}: a refused procedure has events");
                }

                if (outcome.IsAccepted)
                {
                    accepted++;
                    var (inHours, processed) = Model.Receipt(now);
                    if (outcome.OutsideServiceHours == inHours || outcome.ProcessedFrom != processed || outcome.ReceivedAt != now)
                    {
                        return false.Label($"{step} at {Jst.ToJst(now):O}: outside={outcome.OutsideServiceHours} processed={outcome.ProcessedFrom:O}, model in-hours={inHours} processed={processed:O}");
                    }

                    foreach (var e in outcome.Events)
                    {
                        state = state.Apply(e);
                    }

                    model.Commit(step, outcome, now);
                }

                if (Compare(state, model, now) is { } difference)
                {
                    return false.Label($"{step} at {Jst.ToJst(now):O}: {difference}");
                }
            }

            return true.Label("ok").Classify(accepted > 5, "more than 5 accepted").Classify(model.Apps.Values.Any(a => a.Status == "refused"), "with a refusal").Classify(model.Any(p => p.Notice is not null), "with a termination")
                .Classify(model.Any(p => p.LastFiscalYear is not null), "with a declined extension").Classify(model.Any(p => p.RevokedOn is not null), "with a revocation");
        });

    private static (ProcedureOutcome Outcome, bool Expected) Run(ParticipantProcedures procedures, RegistryState state, Model model, Move step, DateTimeOffset now, ProcedureReceipt receipt)
    {
        var who = People[step.Who];
        var (_, processed) = Model.Receipt(now);
        var today = Jst.DateOf(processed);
        var note = step.Blank ? " " : "decided by the board";
        switch (step.Kind)
        {
            case 0:
            {
                var prefixes = step.Prefixes.Select(i => PrefixPool[i]).ToArray();
                var contacts = step.Blank ? Array.Empty<string>() : ["soc@" + who + ".example.ac.jp"];
                var application = new Application { Participant = who, InstitutionName = who, Prefixes = prefixes, ContactMails = contacts, Operators = [new OperatorContact("Sato", "sato@example.ac.jp", null, true)] };
                return (procedures.Apply(state, application, receipt), model.CanApply(who, prefixes, contacts.Length > 0, today));
            }

            case 1:
            {
                var id = AppId(step.Number);
                DateOnly? on = step.Offset is > -5 and < 5 ? today.AddDays(step.Offset) : null;
                return (procedures.Approve(state, id, on, receipt), model.CanApprove(id, on ?? today, today));
            }

            case 2:
            {
                var id = AppId(step.Number);
                var reason = step.Offset / 5;
                return (procedures.Refuse(state, id, reason, note, receipt), model.Apps.TryGetValue(id, out var app) && app.Status == "pending" && reason is >= 1 and <= 6 && !step.Blank);
            }

            case 3:
            {
                var reason = step.Number;
                return (procedures.Revoke(state, who, reason, note, null, receipt), model.CanRevoke(who, today) && reason is >= 1 and <= 6 && !step.Blank);
            }

            case 4:
            {
                var notice = Jst.DateOf(now).AddDays(step.Offset);
                return (procedures.Terminate(state, who, notice, receipt), model.CanTerminate(who, notice));
            }

            case 5:
                return (procedures.DeclineExtension(state, who, step.Blank ? "" : "no longer appropriate", receipt), model.CanDecline(who, today) && !step.Blank);

            case 6:
            {
                var contacts = step.Blank ? "not-a-mail" : $"cert{step.Number}@{who}.example.ac.jp";
                return (procedures.Change(state, who, new ParticipantChange { ContactMails = [contacts] }, receipt), model.Status(who, today) == "active" && !step.Blank);
            }

            default:
            {
                var prefixes = step.Prefixes.Select(i => PrefixPool[i]).ToArray();
                return (procedures.Change(state, who, new ParticipantChange { Prefixes = prefixes }, receipt), model.Status(who, today) == "active" && model.PrefixesFree(who, prefixes, today));
            }
        }
    }

    private static string AppId(int n) => $"app-{n:D4}";

    private static string? Compare(RegistryState state, Model model, DateTimeOffset now)
    {
        var today = Jst.DateOf(now);
        foreach (var who in People)
        {
            var entry = state.Participants.TryGetValue(new ParticipantId(who), out var e) ? e : null;
            var person = model.People.GetValueOrDefault(who);
            if ((entry is null) != (person is null))
            {
                return $"{who}: registry has it={entry is not null}, model={person is not null}";
            }

            if (entry is null || person is null)
            {
                continue;
            }

            foreach (var date in new[] { today, today.AddDays(1), today.AddDays(45), today.AddDays(400) })
            {
                var status = entry.StatusOn(date).ToString().ToLowerInvariant();
                if (status != model.Status(who, date))
                {
                    return $"{who} on {date:yyyy-MM-dd}: registry {status}, model {model.Status(who, date)}";
                }

                var period = entry.Lifecycle.PeriodOn(date)?.ToString();
                if (period != model.Period(who, date))
                {
                    return $"{who} period on {date:yyyy-MM-dd}: registry {period}, model {model.Period(who, date)}";
                }
            }

            if (string.Join(",", entry.Prefixes) != string.Join(",", person.Prefixes.Select(p => IPPrefix.Parse(p))) || string.Join(",", entry.Contacts) != string.Join(",", person.Contacts))
            {
                return $"{who}: registry {string.Join(",", entry.Prefixes)} {string.Join(",", entry.Contacts)}, model {string.Join(",", person.Prefixes)} {string.Join(",", person.Contacts)}";
            }
        }

        foreach (var (id, app) in model.Apps)
        {
            if (!state.Applications.TryGetValue(id, out var entry) || !string.Equals(entry.Status.ToString(), app.Status, StringComparison.OrdinalIgnoreCase))
            {
                return $"application {id}: registry {entry?.Status}, model {app.Status}";
            }
        }

        return state.Applications.Count == model.Apps.Count ? null : "application count differs";
    }

    /// <summary>The model: plain mutable records and the rules as read from the regulation, written without the production types.</summary>
    private sealed class Model : List<Person>
    {
        public Dictionary<string, App> Apps { get; } = [];

        public Dictionary<string, Person> People { get; } = [];

        /// <summary>R10.2: in hours 09:00–17:00 JST on a working day; otherwise processed from 09:00 of the next working day.</summary>
        public static (bool InHours, DateTimeOffset Processed) Receipt(DateTimeOffset at)
        {
            var local = at.ToOffset(TimeSpan.FromHours(9));
            var date = DateOnly.FromDateTime(local.DateTime);
            var time = TimeOnly.FromDateTime(local.DateTime);
            if (Working(date) && time >= new TimeOnly(9, 0) && time < new TimeOnly(17, 0))
            {
                return (true, at);
            }

            if (!Working(date) || time >= new TimeOnly(17, 0))
            {
                date = date.AddDays(1);
                while (!Working(date))
                {
                    date = date.AddDays(1);
                }
            }

            return (false, new DateTimeOffset(date.ToDateTime(new TimeOnly(9, 0)), TimeSpan.FromHours(9)).ToUniversalTime());
        }

        private static bool Working(DateOnly date) =>
            date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)
            && !JapaneseHolidays.IsHoliday(date)
            && !(date.Month == 12 && date.Day >= 29) && !(date.Month == 1 && date.Day <= 3)
            && date != new DateOnly(2026, 6, 15);

        private static int FiscalYearOf(DateOnly date) => date.Month >= 4 ? date.Year : date.Year - 1;

        public string Status(string who, DateOnly date)
        {
            if (!People.TryGetValue(who, out var p) || date < p.ApprovedOn)
            {
                return "applied";
            }

            if (p.RevokedOn is { } revoked && date >= revoked)
            {
                return "revoked";
            }

            if (p.Notice is { } notice && date > notice)
            {
                return "terminated";
            }

            return p.LastFiscalYear is { } last && date > new DateOnly(last + 1, 3, 31) ? "expired" : "active";
        }

        public string? Period(string who, DateOnly date)
        {
            var p = People[who];
            if (date < p.ApprovedOn)
            {
                return null;
            }

            var fy = Math.Max(FiscalYearOf(date), FiscalYearOf(p.ApprovedOn));
            if (p.LastFiscalYear is { } last)
            {
                fy = Math.Min(fy, last);
            }

            return $"{p.ApprovedOn:yyyy-MM-dd}..{new DateOnly(fy + 1, 3, 31):yyyy-MM-dd}";
        }

        private bool Live(string who, DateOnly date) => People.ContainsKey(who) && Status(who, date) is "applied" or "active";

        public bool PrefixesFree(string who, string[] prefixes, DateOnly date)
        {
            var parsed = prefixes.Select(IPPrefix.Parse).ToArray();
            if (parsed.Length == 0 || parsed.Any(p => p.Length == 0))
            {
                return false;
            }

            for (var i = 0; i < parsed.Length; i++)
            {
                for (var j = i + 1; j < parsed.Length; j++)
                {
                    if (parsed[i].Overlaps(parsed[j]))
                    {
                        return false;
                    }
                }
            }

            var taken = People.Where(p => p.Key != who && Live(p.Key, date)).SelectMany(p => p.Value.Prefixes)
                .Concat(Apps.Values.Where(a => a.Status == "pending" && a.Participant != who).SelectMany(a => a.Prefixes))
                .Select(IPPrefix.Parse);
            return !taken.Any(t => parsed.Any(p => p.Overlaps(t)));
        }

        public bool CanApply(string who, string[] prefixes, bool hasContact, DateOnly date) =>
            hasContact && !Live(who, date) && !Apps.Values.Any(a => a.Participant == who && a.Status == "pending") && PrefixesFree(who, prefixes, date);

        public bool CanApprove(string id, DateOnly on, DateOnly today)
        {
            if (!Apps.TryGetValue(id, out var app) || app.Status != "pending" || on < app.Received)
            {
                return false;
            }

            var taken = People.Where(p => p.Key != app.Participant && Live(p.Key, today)).SelectMany(p => p.Value.Prefixes)
                .Concat(Apps.Where(a => a.Value.Status == "pending" && a.Key != id && a.Value.Participant != app.Participant).SelectMany(a => a.Value.Prefixes));
            return !taken.Select(IPPrefix.Parse).Any(t => app.Prefixes.Select(IPPrefix.Parse).Any(p => p.Overlaps(t)));
        }

        public bool CanRevoke(string who, DateOnly date) =>
            People.TryGetValue(who, out var p) && p.RevokedOn is null && Status(who, date) is "applied" or "active" && date >= p.ApprovedOn;

        public bool CanTerminate(string who, DateOnly notice) =>
            People.TryGetValue(who, out var p) && notice >= p.ApprovedOn && p.Notice is null
            && !(p.RevokedOn is { } r && r <= notice) && Status(who, notice) == "active";

        public bool CanDecline(string who, DateOnly date) =>
            People.TryGetValue(who, out var p) && Status(who, date) == "active" && !(p.LastFiscalYear is { } last && last <= FiscalYearOf(date));

        public void Commit(Move step, ProcedureOutcome outcome, DateTimeOffset now)
        {
            var who = ProcedureModel.People[step.Who];
            var today = Jst.DateOf(outcome.ProcessedFrom);
            switch (step.Kind)
            {
                case 0:
                    Apps[outcome.RecordId!] = new App(ProcedureModel.People[step.Who], [.. step.Prefixes.Select(i => IPPrefix.Parse(PrefixPool[i]).ToString())], step.Blank ? [] : ["soc@" + who + ".example.ac.jp"], Jst.DateOf(now)) { Status = "pending" };
                    break;
                case 1:
                {
                    var app = Apps[AppId(step.Number)];
                    app.Status = "approved";
                    var on = step.Offset is > -5 and < 5 ? today.AddDays(step.Offset) : today;
                    var person = new Person { ApprovedOn = on, Prefixes = app.Prefixes, Contacts = app.Contacts };
                    People[app.Participant] = person;
                    Add(person);
                    break;
                }

                case 2:
                    Apps[AppId(step.Number)].Status = "refused";
                    break;
                case 3:
                    People[who].RevokedOn = today;
                    break;
                case 4:
                    People[who].Notice = Jst.DateOf(now).AddDays(step.Offset);
                    break;
                case 5:
                    People[who].LastFiscalYear = FiscalYearOf(today);
                    break;
                case 6:
                    People[who].Contacts = [$"cert{step.Number}@{who}.example.ac.jp"];
                    break;
                default:
                    People[who].Prefixes = [.. step.Prefixes.Select(i => IPPrefix.Parse(PrefixPool[i]).ToString())];
                    break;
            }
        }
    }

    private sealed record App(string Participant, List<string> Prefixes, List<string> Contacts, DateOnly Received)
    {
        public string Status { get; set; } = "pending";
    }

    private sealed class Person
    {
        public DateOnly ApprovedOn { get; init; }

        public List<string> Prefixes { get; set; } = [];

        public List<string> Contacts { get; set; } = [];

        public DateOnly? RevokedOn { get; set; }

        public DateOnly? Notice { get; set; }

        public int? LastFiscalYear { get; set; }
    }
}

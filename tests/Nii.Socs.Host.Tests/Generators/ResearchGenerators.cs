using FsCheck;
using FsCheck.Fluent;
using Nii.Socs.Core.Detections;
using Nii.Socs.Core.Participants;
using Nii.Socs.Core.Research;
using Nii.Socs.Host.Tests.Research;

namespace Nii.Socs.Host.Tests.Generators;

/// <summary>Random participant registries and detections of their traffic, for the R9.1 identity property.</summary>
internal static class ResearchGenerators
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A registry and detections: identity strings are at least 8 characters, so that none can
    /// appear in the output by coincidence, and rule messages sometimes quote them.</summary>
    public static Arbitrary<(List<ParticipantIdentity> Registry, List<DetectionRecord> Records)> RegistryWithDetections() =>
        (from count in Gen.Choose(1, 4)
         from registry in Identity().ListOf(count)
         from records in Detection(registry.ToList()).ListOf()
         select (registry.DistinctBy(p => p.Id).ToList(), records.ToList())).ToArbitrary();

    private static Gen<string> Token(int min, int max) =>
        from first in Gen.Elements("abcdefghijklmnopqrstuvwxyz".ToCharArray())
        from n in Gen.Choose(min - 1, max - 1)
        from rest in Gen.Elements(Alphabet.ToCharArray()).ArrayOf(n)
        select first + new string(rest);

    private static Gen<ParticipantIdentity> Identity() =>
        from id in Token(8, 20)
        from name in Token(8, 12)
        from mailUser in Token(8, 10)
        from person in Token(8, 12)
        from subject in Token(8, 16)
        from serial in Gen.Elements("0123456789ABCDEF".ToCharArray()).ArrayOf(24)
        select new ParticipantIdentity(
            new ParticipantId(id),
            "University of " + name,
            [$"{mailUser}@{id}.ac.jp", "Operator " + person],
            [$"CN={subject},O=University of {name}", new string(serial)]);

    private static Gen<DetectionRecord> Detection(List<ParticipantIdentity> registry) =>
        from participant in Gen.Elements(registry.ToArray())
        from quoted in Gen.Elements(participant.Terms().Append("nothing identifying").ToArray())
        from minutes in Gen.Choose(0, 60 * 24 * 29)
        from protocol in Gen.Elements((byte)6, (byte)17, (byte)1)
        from v6 in Gen.Elements(false, true)
        from host in Gen.Choose(1, 254)
        select InMemoryDetectionStore.Record(
            participant.Id.Value,
            $"LOCAL alert for {quoted} seen",
            new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(minutes),
            v6 ? $"2001:db8::{host:x}" : $"192.0.2.{host}",
            v6 ? "2001:db8:1::1" : "198.51.100.1",
            protocol);
}

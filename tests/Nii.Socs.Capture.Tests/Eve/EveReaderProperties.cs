using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Capture.Eve;

namespace Nii.Socs.Capture.Tests.Eve;

public class EveReaderProperties
{
    private const string Valid = "{\"timestamp\":\"2026-12-01T05:00:00.123456+0900\",\"event_type\":\"alert\",\"src_ip\":\"203.0.113.7\",\"src_port\":51000,\"dest_ip\":\"192.0.2.10\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"signature_id\":1,\"rev\":2,\"signature\":\"x\",\"category\":\"y\",\"severity\":2},\"packet_info\":{\"linktype\":1},\"packet\":\"AAECAwQFBgcICQoLDA0ODxAREhM=\",\"payload\":\"AAEC\"}";

    private static readonly string[] Tokens = ["\"x\"", "1", "-1", "99999999999", "1.5", "null", "true", "{}", "[]", "\"", "{", "}", ",", ":"];

    [Property(MaxTest = 1000)]
    [Trait("Requirement", "R2.1")]
    public Property R2_1_mutated_eve_lines_never_throw_and_say_why_they_are_refused()
    {
        var gen =
            from editCount in Gen.Choose(0, 4)
            from edits in Gen.ArrayOf(
                from at in Gen.Choose(0, Valid.Length - 1)
                from cut in Gen.Choose(0, 6)
                from token in Gen.Elements(Tokens)
                select (at, cut, token), editCount)
            select edits.Aggregate(Valid, Edit);
        return Prop.ForAll(gen.ToArbitrary(), line =>
        {
            var ok = EveReader.TryParse(line, out var alert, out var reason);
            return (ok == (alert is not null) && (ok || reason is not null || line.Contains("event_type", StringComparison.Ordinal)))
                .Classify(ok, "still an alert");
        });
    }

    private static string Edit(string line, (int At, int Cut, string Token) edit)
    {
        var at = Math.Min(edit.At, line.Length);
        var cut = Math.Min(edit.Cut, line.Length - at);
        return line.Remove(at, cut).Insert(at, edit.Token);
    }
}

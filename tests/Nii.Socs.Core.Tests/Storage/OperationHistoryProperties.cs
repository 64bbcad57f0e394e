using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Storage;

namespace Nii.Socs.Core.Tests.Storage;

/// <summary>One history of 20 entries (checkpoints every 5), written once per test class and deleted after it.</summary>
public sealed class HistoryTemplate : IDisposable
{
    public const int Entries = 20;

    public HistoryTemplate()
    {
        Dir = new TempDir();
        OperationHistoryStoreTests.WriteHistoryAsync(Dir.Path, Entries, 5).GetAwaiter().GetResult();
        Locations = OperationHistoryStore.EntryLocations(Dir.Path);
    }

    public TempDir Dir { get; }

    public IReadOnlyList<(long Address, int HeaderSize, int Length)> Locations { get; }

    public void Dispose() => Dir.Dispose();
}

public sealed class OperationHistoryProperties(HistoryTemplate template) : IClassFixture<HistoryTemplate>, IDisposable
{
    private const int Entries = HistoryTemplate.Entries;
    private readonly (TempDir Dir, IReadOnlyList<(long Address, int HeaderSize, int Length)> Locations) _template = (template.Dir, template.Locations);
    private readonly List<TempDir> _dirs = [];

    [Property(MaxTest = 100)]
    [Trait("Requirement", "R6.4")]
    public Property R6_4_flipping_any_byte_of_the_history_fails_verify_naming_that_entry()
    {
        var (templateDir, locations) = _template;
        var gen =
            from entry in Gen.Choose(0, Entries - 1)
            from offset in Gen.Choose(0, locations[entry].HeaderSize + locations[entry].Length - 1)
            from bit in Gen.Elements<byte>(1, 2, 4, 8, 16, 32, 64, 128)
            select (entry, offset, bit);
        return Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var copy = new TempDir();
            _dirs.Add(copy);
            CopyDirectory(templateDir.Path, copy.Path);
            var segment = Path.Combine(copy.Path, "audit", "log", "log.0");
            var bytes = File.ReadAllBytes(segment);
            var at = locations[t.entry].Address + t.offset;
            bytes[at] ^= t.bit;
            File.WriteAllBytes(segment, bytes);

            var result = OperationHistoryStore.Verify(copy.Path);
            var inHeader = t.offset < locations[t.entry].HeaderSize;
            return (result is HistoryVerification.Broken broken && broken.Sequence == t.entry + 1)
                .Label($"entry {t.entry + 1}, offset {t.offset}, bit {t.bit}: {result}")
                .Classify(inHeader, "length header")
                .Classify(!inHeader, "payload");
        });
    }

    [Fact]
    public void Untouched_template_copy_verifies()
    {
        using var copy = new TempDir();
        CopyDirectory(_template.Dir.Path, copy.Path);
        Assert.Equal("ok 20 entries, last checkpoint #4 signed (entry 20)", OperationHistoryStore.Verify(copy.Path).ToString());

        // The flipped offsets really are the stored entries: each location decodes to the entry with that number.
        var segment = File.ReadAllBytes(Path.Combine(copy.Path, "audit", "log", "log.0"));
        for (var i = 0; i < Entries; i++)
        {
            var (address, header, length) = _template.Locations[i];
            var entry = StoredOperationEntry.Decode(segment.AsMemory(checked((int)address + header), length));
            Assert.Equal(i + 1, entry.Sequence);
        }
    }

    public void Dispose()
    {
        foreach (var dir in _dirs)
        {
            dir.Dispose();
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}

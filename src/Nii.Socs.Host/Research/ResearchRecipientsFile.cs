using System.Text.Json;
using System.Text.Json.Nodes;
using Nii.Socs.Core.Research;

namespace Nii.Socs.Host.Research;

/// <summary>The registered research recipients, kept as <c>DATA/research/recipients.json</c> (Art. 9).</summary>
internal sealed class ResearchRecipientsFile(string dataDirectory)
{
    public string Path { get; } = System.IO.Path.Combine(dataDirectory, "research", "recipients.json");

    public ResearchRecipientRegistry Load()
    {
        var registry = ResearchRecipientRegistry.Empty;
        if (!File.Exists(Path))
        {
            return registry;
        }

        var array = JsonNode.Parse(File.ReadAllText(Path))?.AsArray() ?? [];
        foreach (var item in array)
        {
            if (item is null)
            {
                continue;
            }

            registry = registry.Register(new ResearchRecipient(
                item["name"]?.GetValue<string>() ?? string.Empty,
                item["organization"]?.GetValue<string>() ?? string.Empty,
                item["contact"]?.GetValue<string>() ?? string.Empty));
        }

        return registry;
    }

    public void Save(ResearchRecipientRegistry registry)
    {
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var array = new JsonArray();
        foreach (var recipient in registry.All)
        {
            array.Add(new JsonObject
            {
                ["name"] = recipient.Name,
                ["organization"] = recipient.Organization,
                ["contact"] = recipient.Contact,
            });
        }

        var temp = Path + ".tmp";
        File.WriteAllText(temp, array.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, Path, overwrite: true);
    }
}

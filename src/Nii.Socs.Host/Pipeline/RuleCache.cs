using System.Globalization;
using Microsoft.Extensions.Logging;
using Nii.Socs.Capture.Detection;
using Nii.Socs.Core.Scope;

namespace Nii.Socs.Host.Pipeline;

/// <summary>The service's rule set: parsed once per change of the rule file or the scope, and kept when a new file is refused (R4.2, R4.3).</summary>
/// <remarks>
/// The key is the file's path, length and modification time plus the scope (<c>$HOME_NET</c> is bound to it): while
/// none changes, every capture uses the same parsed set. A file that cannot be loaded (missing, unreadable, or beyond
/// the parser's bounds) is refused once: the refusal is logged and recorded in the history as
/// <c>capture.rules.refused</c>, and the last good set stays in force. Each set taken into use is recorded as
/// <c>capture.rules.loaded</c> with its rule and error counts.
/// <para>Not thread-safe: one service loop uses it.</para>
/// </remarks>
internal sealed partial class RuleCache(SocsData data, ILogger logger)
{
    private (string Path, long Length, DateTime Written, string Scope)? _key;
    private RuleSet? _good;

    /// <summary>The rules to use now; null when no rule file has ever loaded (nothing can be ingested yet).</summary>
    public async Task<RuleSet?> CurrentAsync(string path, CancellationToken cancellationToken)
    {
        var now = data.Time.GetUtcNow();
        var scope = Ingestor.ScopeOf(data.Registry.State, now);
        var info = new FileInfo(path);
        var key = (Path.GetFullPath(path), info.Exists ? info.Length : -1, info.Exists ? info.LastWriteTimeUtc : DateTime.MinValue, Fingerprint(scope));
        if (_key == key)
        {
            return _good;
        }

        _key = key;
        try
        {
            var rules = RuleSet.Load(path, RuleVariables.ForScope(scope));
            _good = rules;
            await data.History.AppendAsync("system:capture", "capture.rules.loaded", $"rules/{Path.GetFileName(path)}", string.Create(CultureInfo.InvariantCulture, $"rules={rules.Rules.Count} errors={rules.Errors.Count}"), cancellationToken).ConfigureAwait(false);
            LogLoaded(logger, path, rules.Rules.Count, rules.Errors.Count);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            var reason = ex.Message.Length > 300 ? ex.Message[..300] + "…" : ex.Message;
            await data.History.AppendAsync("system:capture", "capture.rules.refused", $"rules/{Path.GetFileName(path)}", $"kept={(_good is null ? "none" : _good.Rules.Count.ToString(CultureInfo.InvariantCulture) + " rules")} reason={reason}", cancellationToken).ConfigureAwait(false);
            LogRefused(logger, path, reason, _good?.Rules.Count ?? 0);
        }

        return _good;
    }

    private static string Fingerprint(ScopeIndex scope)
    {
        var parts = new List<string>(scope.Count);
        for (var i = 0; i < scope.Count; i++)
        {
            var match = scope[i];
            parts.Add(match.Prefix + "=" + string.Join(',', match.Participants.Select(p => p.Value)));
        }

        return string.Join(';', parts);
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Rules {File} loaded: {Rules} rules, {Errors} skipped")]
    private static partial void LogLoaded(ILogger logger, string file, int rules, int errors);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "Rules {File} refused ({Reason}); keeping the last good set of {Kept} rules")]
    private static partial void LogRefused(ILogger logger, string file, string reason, int kept);
}

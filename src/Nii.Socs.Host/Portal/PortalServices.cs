using System.Security.Cryptography.X509Certificates;
using Nii.Socs.Core.Audit;
using Nii.Socs.Core.Keys;
using Nii.Socs.Core.Storage;
using Nii.Socs.Host.Configuration;
using Nii.Socs.Host.Pipeline;

namespace Nii.Socs.Host.Portal;

/// <summary>What the portal's handlers reach: the stores, the consent steps, the clock and the trusted CA (R4.7, R6).</summary>
/// <param name="DataDirectory">The data directory (keys live under <c>keys/</c>).</param>
/// <param name="Registry">Participants, operators and certificates.</param>
/// <param name="Detections">The detection store.</param>
/// <param name="History">The operation history (R6.4).</param>
/// <param name="Keys">Wrapped keys and commitments.</param>
/// <param name="Consent">Requests, grants, views and fault access.</param>
/// <param name="Time">The clock.</param>
/// <param name="ClientCa">The CA client certificates must chain to.</param>
/// <param name="Options">The portal's settings.</param>
internal sealed record PortalServices(
    string DataDirectory,
    IRegistryStore Registry,
    IDetectionStore Detections,
    IOperationHistoryStore History,
    IKeyStore Keys,
    IPortalConsent Consent,
    TimeProvider Time,
    X509Certificate2 ClientCa,
    PortalOptions Options)
{
    private PortalRefusals? _refusals;

    /// <summary>The one service calendar (R10) the procedure forms use.</summary>
    /// <value>The default is <see cref="Core.Time.ServiceCalendar.Default"/>; <c>socs serve</c> builds it from <c>Socs:ServiceHours:*</c>.</value>
    public Core.Time.ServiceCalendar Calendar { get; init; } = Core.Time.ServiceCalendar.Default;

    /// <summary>The notifier that mails procedures to the participant's contacts (R3.2); null when the host has none.</summary>
    public Mail.Notifier? Mailer { get; init; }

    /// <summary>The FASTER history's signed checkpoints (R6.4); null when the history is the cluster's table.</summary>
    public OperationHistoryStore? SignedHistory => History as OperationHistoryStore;

    /// <summary>The history as the append-only interface every action writes to.</summary>
    public IOperationHistory Audit => History;

    /// <summary>Told after a participant's certificates changed (a compromise report): the host wraps the current epoch's
    /// key again to exactly the certificates still active (R6.2, R8.1). Null when the portal runs without a key ring.</summary>
    public Func<Core.Participants.ParticipantId, CancellationToken, Task>? CertificatesChanged { get; init; }

    /// <summary>Refused requests, recorded under the portal's own subject and aggregated per source (R6.4).</summary>
    public PortalRefusals Refusals => _refusals ??= new PortalRefusals(History, Time);

    /// <summary>The portal's view of a host's open stores (<c>socs demo</c>, <c>socs serve</c>, <see cref="PortalHost"/>).</summary>
    /// <param name="data">The host's stores, key ring and consent service.</param>
    /// <param name="clientCa">The CA client certificates must chain to.</param>
    /// <param name="options">The portal settings.</param>
    /// <returns>The services.</returns>
    public static PortalServices For(SocsData data, X509Certificate2 clientCa, PortalOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new PortalServices(data.Directory, data.Registry, data.Detections, data.History, data.Keys, new ConsentServicePortalConsent(data.ConsentService, data.Detections), data.Time, clientCa, options)
        {
            CertificatesChanged = (participant, cancellationToken) => KeyEpochs.WrapCurrentAsync(data, participant, cancellationToken),
        };
    }
}

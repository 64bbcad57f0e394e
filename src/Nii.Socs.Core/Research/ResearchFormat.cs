namespace Nii.Socs.Core.Research;

/// <summary>The file format of a research data set.</summary>
internal enum ResearchFormat
{
    /// <summary>Apache Parquet, one row per detection.</summary>
    Parquet = 0,

    /// <summary>RFC 4180 CSV with a header line, one row per detection.</summary>
    Csv = 1,

    /// <summary>A libpcap file with one rebuilt, anonymised header-only frame per detection.</summary>
    Pcap = 2,

    /// <summary>A zip encrypted with the conventional password <c>infected</c>: malware packages only (R9.2).</summary>
    EncryptedZip = 3,
}

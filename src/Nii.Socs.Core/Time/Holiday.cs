namespace Nii.Socs.Core.Time;

/// <summary>One Japanese national holiday or statutory day off, with its name in the law.</summary>
/// <param name="Date">The date.</param>
/// <param name="Name">The Japanese name, as the law or the Cabinet Office list writes it (e.g. <c>振替休日</c>).</param>
/// <param name="EnglishName">An English name for operators who do not read Japanese.</param>
/// <param name="Kind">Whether it is a national holiday, a substitute, a citizens' holiday or a one-off day.</param>
public sealed record Holiday(DateOnly Date, string Name, string EnglishName, HolidayKind Kind);

namespace Nii.Socs.Core.Time;

/// <summary>Why a day is a holiday under the National Holidays Act (国民の祝日に関する法律).</summary>
public enum HolidayKind
{
    /// <summary>A national holiday (国民の祝日) of Article 2, fixed-date, Happy Monday or equinox.</summary>
    National = 0,

    /// <summary>A substitute holiday (振替休日), Article 3(2): from 1973-04-12.</summary>
    Substitute = 1,

    /// <summary>A citizens' holiday (国民の休日), Article 3(3): a day between two national holidays, from 1985-12-27.</summary>
    Citizens = 2,

    /// <summary>A day off set by a one-off law (1959, 1989, 1990, 1993, 2019).</summary>
    OneOff = 3,
}

namespace Nii.Socs.Core.Time;

/// <summary>Japanese national holidays computed from the law, 1955–2099 (R10.1, R10.2).</summary>
/// <remarks>
/// Computed, not tabulated: the fixed-date days with the years each applies, the Happy Monday
/// days (2000, 2003 amendments), the spring and autumn equinox days from the astronomical
/// approximation, substitute holidays (from 1973-04-12; the 2007 rule moves to the nearest
/// following non-holiday), citizens' holidays (from 1985-12-27), the one-off days of 1959, 1989,
/// 1990, 1993 and 2019, and the 2020/2021 moves for the Tokyo Olympics (special measures act).
/// <para>Edge case: 2019's Golden Week has ten days off, 04-27 to 05-06: 04-30 and 05-02 are
/// citizens' holidays between the accession day (05-01) and its neighbours, and 05-06 is the
/// substitute for Children's Day on a Sunday.</para>
/// <para>Sources: 国民の祝日に関する法律 (Act No. 178 of 1948) as amended; the one-off acts; the
/// equinox formula used by the National Astronomical Observatory's almanac approximations.
/// The equinox days are announced each February for the next year; the formula agrees with
/// every announced day of 1955–2027.</para>
/// </remarks>
public static class JapaneseHolidays
{
    /// <summary>The first year this calendar covers.</summary>
    public const int FirstYear = 1955;

    /// <summary>The last year this calendar covers.</summary>
    public const int LastYear = 2099;

    private static readonly DateOnly s_substituteLawStart = new(1973, 4, 12);
    private static readonly DateOnly s_citizensLawStart = new(1985, 12, 27);
    private static readonly Holiday[]?[] s_cache = new Holiday[]?[LastYear - FirstYear + 1];

    /// <summary>The holidays of one year, in date order.</summary>
    /// <param name="year">A year from 1955 to 2099.</param>
    /// <returns>The holidays, ascending.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="year"/> is outside 1955–2099.</exception>
    public static IReadOnlyList<Holiday> InYear(int year)
    {
        CheckYear(year);
        var index = year - FirstYear;
        var cached = Volatile.Read(ref s_cache[index]);
        if (cached is null)
        {
            cached = Compute(year);
            Volatile.Write(ref s_cache[index], cached);
        }

        return cached;
    }

    /// <summary>The holidays between two dates, both inclusive, in date order.</summary>
    /// <param name="from">The first date.</param>
    /// <param name="to">The last date.</param>
    /// <returns>The holidays, ascending.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A date is outside 1955–2099, or <paramref name="to"/> is before <paramref name="from"/>.</exception>
    public static IReadOnlyList<Holiday> Between(DateOnly from, DateOnly to)
    {
        CheckYear(from.Year);
        CheckYear(to.Year);
        if (to < from)
        {
            throw new ArgumentOutOfRangeException(nameof(to), to, $"The range ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd}).");
        }

        var result = new List<Holiday>();
        for (var year = from.Year; year <= to.Year; year++)
        {
            foreach (var holiday in InYear(year))
            {
                if (holiday.Date >= from && holiday.Date <= to)
                {
                    result.Add(holiday);
                }
            }
        }

        return result;
    }

    /// <summary>The holiday on a date, if any.</summary>
    /// <param name="date">A date from 1955 to 2099.</param>
    /// <param name="holiday">The holiday when there is one.</param>
    /// <returns>Whether the date is a holiday.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The date is outside 1955–2099.</exception>
    public static bool TryGet(DateOnly date, out Holiday holiday)
    {
        foreach (var h in InYear(date.Year))
        {
            if (h.Date == date)
            {
                holiday = h;
                return true;
            }
        }

        holiday = null!;
        return false;
    }

    /// <summary>Whether a date is a holiday.</summary>
    /// <param name="date">A date from 1955 to 2099.</param>
    /// <returns>True for national, substitute, citizens' and one-off holidays.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The date is outside 1955–2099.</exception>
    public static bool IsHoliday(DateOnly date) => TryGet(date, out _);

    /// <summary>The day of March of the vernal equinox day (春分の日) in a year.</summary>
    /// <param name="year">1955–2099.</param>
    /// <returns>The day of the month.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="year"/> is outside 1955–2099.</exception>
    public static int VernalEquinoxDay(int year)
    {
        CheckYear(year);
        return year < 1980
            ? (int)Math.Floor(20.8357 + (0.242194 * (year - 1980)) - ((year - 1983) / 4))
            : (int)Math.Floor(20.8431 + (0.242194 * (year - 1980)) - ((year - 1980) / 4));
    }

    /// <summary>The day of September of the autumnal equinox day (秋分の日) in a year.</summary>
    /// <param name="year">1955–2099.</param>
    /// <returns>The day of the month.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="year"/> is outside 1955–2099.</exception>
    public static int AutumnalEquinoxDay(int year)
    {
        CheckYear(year);
        return year < 1980
            ? (int)Math.Floor(23.2588 + (0.242194 * (year - 1980)) - ((year - 1983) / 4))
            : (int)Math.Floor(23.2488 + (0.242194 * (year - 1980)) - ((year - 1980) / 4));
    }

    private static void CheckYear(int year)
    {
        if (year is < FirstYear or > LastYear)
        {
            throw new ArgumentOutOfRangeException(nameof(year), year, $"The holiday calendar covers {FirstYear}–{LastYear}; got {year}.");
        }
    }

    private static Holiday[] Compute(int year)
    {
        var national = new SortedDictionary<DateOnly, Holiday>();
        void Add(DateOnly date, string name, string english, HolidayKind kind = HolidayKind.National) =>
            national[date] = new Holiday(date, name, english, kind);

        Add(new(year, 1, 1), "元日", "New Year's Day");
        Add(year < 2000 ? new(year, 1, 15) : NthMonday(year, 1, 2), "成人の日", "Coming of Age Day");
        if (year >= 1967)
        {
            Add(new(year, 2, 11), "建国記念の日", "National Foundation Day");
        }

        if (year >= 2020)
        {
            Add(new(year, 2, 23), "天皇誕生日", "The Emperor's Birthday");
        }

        Add(new(year, 3, VernalEquinoxDay(year)), "春分の日", "Vernal Equinox Day");
        if (year <= 1988)
        {
            Add(new(year, 4, 29), "天皇誕生日", "The Emperor's Birthday");
        }
        else if (year <= 2006)
        {
            Add(new(year, 4, 29), "みどりの日", "Greenery Day");
        }
        else
        {
            Add(new(year, 4, 29), "昭和の日", "Showa Day");
        }

        Add(new(year, 5, 3), "憲法記念日", "Constitution Memorial Day");
        if (year >= 2007)
        {
            Add(new(year, 5, 4), "みどりの日", "Greenery Day");
        }

        Add(new(year, 5, 5), "こどもの日", "Children's Day");
        var marine = year switch
        {
            < 1996 => (DateOnly?)null,
            <= 2002 => new DateOnly(year, 7, 20),
            2020 => new DateOnly(2020, 7, 23),
            2021 => new DateOnly(2021, 7, 22),
            _ => NthMonday(year, 7, 3),
        };
        if (marine is { } m)
        {
            Add(m, "海の日", "Marine Day");
        }

        var mountain = year switch
        {
            < 2016 => (DateOnly?)null,
            2020 => new DateOnly(2020, 8, 10),
            2021 => new DateOnly(2021, 8, 8),
            _ => new DateOnly(year, 8, 11),
        };
        if (mountain is { } mt)
        {
            Add(mt, "山の日", "Mountain Day");
        }

        if (year >= 1966)
        {
            Add(year <= 2002 ? new(year, 9, 15) : NthMonday(year, 9, 3), "敬老の日", "Respect for the Aged Day");
        }

        Add(new(year, 9, AutumnalEquinoxDay(year)), "秋分の日", "Autumnal Equinox Day");
        if (year >= 1966)
        {
            var sports = year switch
            {
                <= 1999 => new DateOnly(year, 10, 10),
                2020 => new DateOnly(2020, 7, 24),
                2021 => new DateOnly(2021, 7, 23),
                _ => NthMonday(year, 10, 2),
            };
            Add(sports, year >= 2020 ? "スポーツの日" : "体育の日", year >= 2020 ? "Sports Day" : "Health and Sports Day");
        }

        Add(new(year, 11, 3), "文化の日", "Culture Day");
        Add(new(year, 11, 23), "勤労感謝の日", "Labour Thanksgiving Day");
        if (year is >= 1989 and <= 2018)
        {
            Add(new(year, 12, 23), "天皇誕生日", "The Emperor's Birthday");
        }

        // One-off days set by their own acts; they count as national holidays for the
        // substitute and citizens' rules (the 2019 act says so explicitly).
        switch (year)
        {
            case 1959:
                Add(new(1959, 4, 10), "皇太子明仁親王の結婚の儀", "Wedding of Crown Prince Akihito", HolidayKind.OneOff);
                break;
            case 1989:
                Add(new(1989, 2, 24), "昭和天皇の大喪の礼", "State Funeral of Emperor Showa", HolidayKind.OneOff);
                break;
            case 1990:
                Add(new(1990, 11, 12), "即位礼正殿の儀", "Enthronement Ceremony", HolidayKind.OneOff);
                break;
            case 1993:
                Add(new(1993, 6, 9), "皇太子徳仁親王の結婚の儀", "Wedding of Crown Prince Naruhito", HolidayKind.OneOff);
                break;
            case 2019:
                Add(new(2019, 5, 1), "天皇の即位の日", "Accession Day of the Emperor", HolidayKind.OneOff);
                Add(new(2019, 10, 22), "即位礼正殿の儀の行われる日", "Enthronement Ceremony", HolidayKind.OneOff);
                break;
            default:
                break;
        }

        var result = new SortedDictionary<DateOnly, Holiday>(national);

        // Article 3(3): citizens' holidays, from 1985-12-27. Before the 2007 amendment a Sunday or
        // a substitute holiday could not be one; since 2007 any day that is not a national holiday.
        for (var date = new DateOnly(year, 1, 1); date.Year == year; date = date.AddDays(1))
        {
            if (date < s_citizensLawStart || national.ContainsKey(date))
            {
                continue;
            }

            if (national.ContainsKey(date.AddDays(-1)) && national.ContainsKey(date.AddDays(1))
                && (year >= 2007 || date.DayOfWeek != DayOfWeek.Sunday))
            {
                result[date] = new Holiday(date, "国民の休日", "Citizens' Holiday", HolidayKind.Citizens);
            }
        }

        // Article 3(2): substitute holidays, from 1973-04-12. 1973–2006: the Monday after a
        // national holiday on Sunday. Since 2007: the nearest following day that is not a
        // national holiday. Either way, a citizens' holiday never blocks it.
        foreach (var holiday in national.Values)
        {
            if (holiday.Date.DayOfWeek != DayOfWeek.Sunday || holiday.Date < s_substituteLawStart)
            {
                continue;
            }

            var next = holiday.Date.AddDays(1);
            if (year >= 2007)
            {
                while (national.ContainsKey(next))
                {
                    next = next.AddDays(1);
                }
            }
            else if (national.ContainsKey(next))
            {
                continue;
            }

            if (next.Year == year)
            {
                result[next] = new Holiday(next, "振替休日", "Substitute Holiday", HolidayKind.Substitute);
            }
        }

        return [.. result.Values];
    }

    private static DateOnly NthMonday(int year, int month, int n)
    {
        var first = new DateOnly(year, month, 1);
        var offset = ((int)DayOfWeek.Monday - (int)first.DayOfWeek + 7) % 7;
        return first.AddDays(offset + (7 * (n - 1)));
    }
}

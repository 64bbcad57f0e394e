using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Nii.Socs.Core.Retention;
using Nii.Socs.Core.Tests.Generators;
using Nii.Socs.Core.Time;

namespace Nii.Socs.Core.Tests.Retention;

[Properties(Arbitrary = [typeof(TimeGenerators)])]
public class RetentionPolicyProperties
{
    private static Arbitrary<int> Months => Arb.From(Gen.Choose(0, RetentionPolicy.MaxMonths));

    [Property]
    [Trait("Requirement", "R7.3")]
    public Property R7_3_expiry_is_always_a_first_of_month_at_midnight_JST(DateTimeOffset acquired) =>
        Prop.ForAll(Months, n =>
        {
            var expiry = Jst.ToJst(new RetentionPolicy(n).ExpiryOf(acquired));
            return (expiry.Day == 1 && expiry.TimeOfDay == TimeSpan.Zero && expiry.Offset == Jst.Offset)
                .Label($"expiry {expiry:O}")
                .Classify(Jst.ToJst(acquired).Day == 1, "acquired on the first day of a JST month")
                .Classify(acquired.UtcDateTime.Month != Jst.ToJst(acquired).Month, "UTC month differs from JST month");
        });

    [Property]
    [Trait("Requirement", "R7.3")]
    public Property R7_3_every_instant_of_a_JST_month_gets_the_same_expiry(DateTimeOffset acquired) =>
        Prop.ForAll(Months, n =>
        {
            var policy = new RetentionPolicy(n);
            var month = JstMonth.Of(acquired);
            var first = month.Start;
            var last = month.Plus(1).Start.AddTicks(-1);
            return policy.ExpiryOf(acquired) == policy.ExpiryOf(first) && policy.ExpiryOf(first) == policy.ExpiryOf(last);
        });

    [Property]
    [Trait("Requirement", "R7.3")]
    public Property R7_3_records_one_tick_apart_across_a_JST_month_boundary_expire_one_month_apart(DateTimeOffset acquired) =>
        Prop.ForAll(Months, n =>
        {
            var policy = new RetentionPolicy(n);
            var boundary = JstMonth.Of(acquired).Plus(1).Start;
            var before = policy.ExpiryOf(boundary.AddTicks(-1));
            var after = policy.ExpiryOf(boundary);
            return JstMonth.Of(after).MonthsSince(JstMonth.Of(before)) == 1;
        });

    [Property]
    [Trait("Requirement", "R7.3")]
    public Property R7_3_a_record_is_kept_past_n_whole_months_and_gone_by_n_plus_one(DateTimeOffset acquired) =>
        Prop.ForAll(Months, n =>
        {
            var policy = new RetentionPolicy(n);
            var expiry = policy.ExpiryOf(acquired);
            var nextMonthStart = JstMonth.Of(acquired).Plus(1).Start;
            return (expiry > acquired
                    && expiry == Jst.ToJst(nextMonthStart).AddMonths(n)
                    && !policy.IsExpired(JstMonth.Of(acquired), expiry.AddTicks(-1))
                    && policy.IsExpired(JstMonth.Of(acquired), expiry))
                .Classify(acquired.UtcDateTime.Month != Jst.ToJst(acquired).Month, "UTC month differs from JST month");
        });
}

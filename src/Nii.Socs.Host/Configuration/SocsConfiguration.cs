using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nii.Socs.Host.Mail;

namespace Nii.Socs.Host.Configuration;

/// <summary>Binds and validates every <c>Socs:*</c> option on start (STYLE §5).</summary>
internal static class SocsConfiguration
{
    public static IServiceCollection AddSocsOptions(this IServiceCollection services)
    {
        Add<DataOptions, DataOptionsValidator>(services, DataOptions.SectionName);
        Add<AuditOptions, AuditOptionsValidator>(services, AuditOptions.SectionName);
        Add<RetentionOptions, RetentionOptionsValidator>(services, RetentionOptions.SectionName);
        Add<ServiceHoursOptions, ServiceHoursOptionsValidator>(services, ServiceHoursOptions.SectionName);
        Add<PortalOptions, PortalOptionsValidator>(services, PortalOptions.SectionName);
        Add<CaptureOptions, CaptureOptionsValidator>(services, CaptureOptions.SectionName);
        Add<MailOptions, MailOptionsValidator>(services, MailOptions.SectionName);
        return services;
    }

    private static void Add<TOptions, TValidator>(IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }
}

using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AnyNet.Hosting.Internal;

/// <summary>
/// Binds <see cref="AnyNetOptions"/> from the <c>AnyNet</c> section of the application's configuration, when the
/// container has one (a generic host always does; a bare service collection may not).
/// </summary>
internal sealed class AnyNetOptionsSetup(IConfiguration? configuration = null) : IConfigureOptions<AnyNetOptions>
{
    public void Configure(AnyNetOptions options)
    {
        if (configuration is null)
        {
            return;
        }

        IConfigurationSection section = configuration.GetSection(AnyNetOptions.SectionName);

        // The binder's own error for a bad value is three nested exceptions deep; an operator needs the key and value.
        // TimeSpanConverter (what the binder uses) parses with the invariant culture, as this does.
        string? drain = section[nameof(AnyNetOptions.DrainTimeout)];
        if (!string.IsNullOrEmpty(drain) && !TimeSpan.TryParse(drain, CultureInfo.InvariantCulture, out _))
        {
            throw new OptionsValidationException(
                Options.DefaultName,
                typeof(AnyNetOptions),
                [$"{AnyNetOptions.SectionName}:{nameof(AnyNetOptions.DrainTimeout)} is '{drain}', which is not a time span (hh:mm:ss, for example 00:00:10)."]);
        }

        section.Bind(options);
    }
}

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
        configuration?.GetSection(AnyNetOptions.SectionName).Bind(options);
    }
}

using AnyNet.Hosting;
using Microsoft.Extensions.Options;

namespace AnyNet.AspNetCore.Internal;

/// <summary>Copies <see cref="AnyNetTransportOptions.Backend"/>, when set, into <see cref="AnyNetOptions.Backend"/>.</summary>
internal sealed class TransportBackendSetup(IOptions<AnyNetTransportOptions> transport) : IConfigureOptions<AnyNetOptions>
{
    public void Configure(AnyNetOptions options)
    {
        if (transport.Value.Backend is { Length: > 0 } backend)
        {
            options.Backend = backend;
        }
    }
}

using Microsoft.Extensions.Options;

namespace AnyNet.Hosting.Internal;

/// <summary>Checks <see cref="AnyNetOptions"/> at start-up: a known backend and a usable drain timeout.</summary>
internal sealed class AnyNetOptionsValidator(IEnumerable<BackendRegistration> registrations, IEnumerable<ApplicationBackendMarker> applicationBackend) : IValidateOptions<AnyNetOptions>
{
    public ValidateOptionsResult Validate(string? name, AnyNetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        // An application that registered its own IAsyncBackend needs no named one.
        if (!applicationBackend.Any() && !BackendSelection.TrySelect(options.Backend, registrations, out _, out string? error))
        {
            failures.Add(error);
        }

        if (options.DrainTimeout < TimeSpan.Zero && options.DrainTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{AnyNetOptions.SectionName}:DrainTimeout is {options.DrainTimeout}; it must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

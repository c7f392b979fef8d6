using System.Diagnostics.CodeAnalysis;

namespace AnyNet.Hosting.Internal;

/// <summary>Chooses the registered backend that <see cref="AnyNetOptions.Backend"/> names; shared by validation and creation so both agree.</summary>
internal static class BackendSelection
{
    public const string DefaultBackend = "tasks";

    public static bool TrySelect(
        string? requested,
        IEnumerable<BackendRegistration> registrations,
        [NotNullWhen(true)] out BackendRegistration? selected,
        [NotNullWhen(false)] out string? error)
    {
        // A later registration of a name replaces an earlier one, as later service registrations do.
        var byName = new Dictionary<string, BackendRegistration>(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        foreach (BackendRegistration registration in registrations)
        {
            if (!byName.ContainsKey(registration.Name))
            {
                names.Add(registration.Name);
            }

            byName[registration.Name] = registration;
        }

        selected = null;
        error = null;
        if (names.Count == 0)
        {
            error = "No AnyNet backend is registered. Register one with AddAnyNet().AddBackend(name, factory), "
                + "for example AddBackend(\"tasks\", _ => new TasksBackend()).";
            return false;
        }

        string list = string.Join(", ", names);
        if (string.IsNullOrWhiteSpace(requested))
        {
            if (byName.TryGetValue(DefaultBackend, out selected))
            {
                return true;
            }

            if (names.Count == 1)
            {
                selected = byName[names[0]];
                return true;
            }

            error = $"{AnyNetOptions.SectionName}:Backend is not set and several AnyNet backends are registered; set it to one of: {list}.";
            return false;
        }

        if (byName.TryGetValue(requested, out selected))
        {
            return true;
        }

        error = $"The AnyNet backend '{requested}' ({AnyNetOptions.SectionName}:Backend) is not registered. Registered backends: {list}.";
        return false;
    }
}

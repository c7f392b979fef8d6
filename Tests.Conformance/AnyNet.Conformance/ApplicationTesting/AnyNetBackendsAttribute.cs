using System.Reflection;
using Xunit.Sdk;

namespace AnyNet.Conformance;

/// <summary>
/// Runs an xunit <c>[Theory]</c> once per AnyNet backend, each backend its own test case, passing the backend's name as
/// the first argument (AnyIO's <c>anyio_backend</c> fixture, for xunit). Create the backend from the name with
/// <see cref="AnyNetBackends.Create"/>, or run the body with <see cref="AnyNetBackends.RunAsync"/>.
/// </summary>
/// <example>
/// <code>
/// [Theory, AnyNetBackends]
/// public Task Echo_round_trip(string backend) => AnyNetBackends.RunAsync(backend, async (b, token) => { ... });
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AnyNetBackendsAttribute : DataAttribute
{
    /// <summary>Every found backend (<see cref="AnyNetBackends.Names"/>), or only these names when given.</summary>
    public AnyNetBackendsAttribute(params string[] only) => Only = only;

    /// <summary>The backend names the test is limited to; empty means every backend found.</summary>
    public IReadOnlyList<string> Only { get; }

    /// <inheritdoc/>
    public override IEnumerable<object[]> GetData(MethodInfo testMethod)
    {
        IEnumerable<string> names = Only.Count == 0 ? AnyNetBackends.Names : Only;
        return names.Select(name => new object[] { name });
    }
}

using System.Globalization;

namespace AnyNet.Backends.Simulated;

/// <summary>One entry of a simulation trace: what happened, where, at which virtual time and scheduler step.</summary>
/// <param name="Step">How many scheduler steps had run: two runs that interleave tasks differently differ here.</param>
/// <param name="Time">Virtual time since the network was created.</param>
/// <param name="Host">The host it happened on (or <c>network</c>).</param>
/// <param name="What">A description, for example <c>connect 192.0.2.1:49152 -> 192.0.2.2:80</c>.</param>
public readonly record struct SimulationEvent(long Step, TimeSpan Time, string Host, string What)
{
    /// <summary>One line: step, time, host and description.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"#{Step} {Time.TotalMilliseconds:0.000}ms {Host}: {What}");
}

namespace AnyNet.Samples.SimulatedCluster;

/// <summary>The cluster broke its promise: a write it acknowledged was lost.</summary>
public sealed class InvariantViolationException : Exception
{
    public InvariantViolationException() { }

    public InvariantViolationException(string message) : base(message) { }

    public InvariantViolationException(string message, Exception inner) : base(message, inner) { }
}

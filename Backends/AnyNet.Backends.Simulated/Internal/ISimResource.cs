namespace AnyNet.Backends.Simulated.Internal;

/// <summary>A socket or listener a host owns; a crash or the host's disposal ends it.</summary>
internal interface ISimResource
{
    /// <summary>The host crashed (or is being disposed): the resource vanishes and its waiters fail.</summary>
    void OnHostCrash();
}

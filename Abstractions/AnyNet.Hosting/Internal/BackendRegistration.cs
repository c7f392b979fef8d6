namespace AnyNet.Hosting.Internal;

/// <summary>One backend made available by name; several may be registered, the options choose one.</summary>
internal sealed record BackendRegistration(string Name, Func<IServiceProvider, IAsyncBackend> Factory);

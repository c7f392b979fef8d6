namespace AnyNet.Hosting.Internal;

/// <summary>Registered when the application had its own <see cref="IAsyncBackend"/> before <c>AddAnyNet</c>: no named backend is then required.</summary>
internal sealed class ApplicationBackendMarker;

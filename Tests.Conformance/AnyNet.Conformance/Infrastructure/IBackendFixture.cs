namespace AnyNet.Conformance;

/// <summary>
/// Makes the backend under test. A backend author implements it once (with a public parameterless constructor) and
/// derives one class per conformance area, for example <c>public sealed class MyTcpTests : TcpConformance&lt;MyFixture&gt; { }</c>.
/// </summary>
public interface IBackendFixture
{
    /// <summary>Creates a fresh backend; each test gets its own and disposes it.</summary>
    IAsyncBackend CreateBackend();
}

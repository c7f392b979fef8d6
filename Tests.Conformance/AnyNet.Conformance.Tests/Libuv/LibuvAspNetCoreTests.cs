using AnyNet.Conformance.AspNetCore;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvAspNetCoreTests : AspNetCoreConformance<LibuvFixture>;

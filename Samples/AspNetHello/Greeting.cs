using System.Text.Json.Serialization;

namespace AnyNet.Samples.AspNetHello;

/// <summary>The /json reply.</summary>
internal sealed record Greeting(string Message);

/// <summary>Source-generated JSON (the slim builder has no reflection-based serializer by default).</summary>
[JsonSerializable(typeof(Greeting))]
internal sealed partial class HelloJsonContext : JsonSerializerContext;

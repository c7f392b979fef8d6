using AnyNet.Conformance;
using Xunit;

namespace AnyNet.Conformance.Tests;

/// <summary>Runs the descriptor and child-process counting tests alone, after the parallel ones.</summary>
[CollectionDefinition(SerialCollection.Name, DisableParallelization = true)]
public sealed class SerialCollectionDefinition;

using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace AnyNet.Benchmarks.Micro;

/// <summary>
/// One producer and one consumer passing 100,000 ints through a bounded buffer of 64: the raw Channel&lt;T&gt; that
/// AnyNet's memory object streams are built on, as the reference for their throughput.
/// </summary>
public class ObjectStreamBenchmarks
{
    private const int Items = 100_000;
    private const int Capacity = 64;

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "BenchmarkDotNet runs instance methods.")]
    public async Task<long> RawChannel()
    {
        Channel<int> channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Task<long> consumer = ConsumeAsync(channel.Reader);
        for (int i = 0; i < Items; i++)
        {
            await channel.Writer.WriteAsync(i);
        }

        channel.Writer.Complete();
        return await consumer;
    }

    private static async Task<long> ConsumeAsync(ChannelReader<int> reader)
    {
        long sum = 0;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out int item))
            {
                sum += item;
            }
        }

        return sum;
    }
}

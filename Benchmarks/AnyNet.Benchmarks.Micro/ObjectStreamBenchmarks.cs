using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace AnyNet.Benchmarks.Micro;

/// <summary>
/// One producer and one consumer passing 100,000 ints through a buffer of 64, each side awaiting every item: AnyNet's
/// memory object stream next to the raw Channel&lt;T&gt; it is built on (the baseline).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "BenchmarkDotNet runs instance methods.")]
public class ObjectStreamBenchmarks
{
    private const int Items = 100_000;
    private const int Capacity = 64;

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public async Task<long> RawChannel()
    {
        Channel<int> channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait });
        Task<long> consumer = ConsumeAsync(channel.Reader);
        for (int i = 0; i < Items; i++)
        {
            await channel.Writer.WriteAsync(i);
        }

        channel.Writer.Complete();
        return await consumer;

        static async Task<long> ConsumeAsync(ChannelReader<int> reader)
        {
            long sum = 0;
            for (int i = 0; i < Items; i++)
            {
                sum += await reader.ReadAsync();
            }

            return sum;
        }
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<long> MemoryObjectStream()
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = AnyNet.MemoryObjectStream.Create<int>(Capacity);
        using (send)
        using (receive)
        {
            Task<long> consumer = ConsumeAsync(receive);
            for (int i = 0; i < Items; i++)
            {
                await send.SendAsync(i);
            }

            return await consumer;
        }

        static async Task<long> ConsumeAsync(MemoryObjectReceiveStream<int> stream)
        {
            long sum = 0;
            for (int i = 0; i < Items; i++)
            {
                sum += await stream.ReceiveAsync();
            }

            return sum;
        }
    }
}

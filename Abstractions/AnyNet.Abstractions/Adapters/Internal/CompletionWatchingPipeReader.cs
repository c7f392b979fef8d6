using System.IO.Pipelines;

namespace AnyNet.Adapters.Internal;

/// <summary>
/// The application's end of the input pipe. It forwards everything to the pipe's reader and tells the owner when the
/// application completes it, because a <see cref="Pipe"/> only lets its writer notice that at the next flush, and the
/// receive pump may be waiting for the peer (which may never send again) rather than flushing.
/// </summary>
internal sealed class CompletionWatchingPipeReader : PipeReader
{
    private readonly PipeReader _inner;
    private readonly Action _completed;

    public CompletionWatchingPipeReader(PipeReader inner, Action completed)
    {
        _inner = inner;
        _completed = completed;
    }

    public override void AdvanceTo(SequencePosition consumed) => _inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        _inner.Complete(exception);
        _completed();
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        await _inner.CompleteAsync(exception);
        _completed();
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => _inner.ReadAsync(cancellationToken);

    public override bool TryRead(out ReadResult result) => _inner.TryRead(out result);
}

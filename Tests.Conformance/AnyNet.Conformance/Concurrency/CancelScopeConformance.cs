using Xunit;

namespace AnyNet.Conformance;

/// <summary>Cancel scopes and timeouts: Cancel, deadlines, nesting, shields, MoveOnAfter and FailAfter.</summary>
public abstract class CancelScopeConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task Cancel_before_the_work_starts_is_honoured_at_the_first_check() => RunAsync(async (backend, token) =>
    {
        var scope = new CancelScope(backend.TimeProvider);
        scope.Cancel();
        bool reachedAfterCheck = false;
        await scope.RunAsync(async t =>
        {
            await backend.SleepAsync(TimeSpan.FromHours(1), t);
            reachedAfterCheck = true;
        }, token);
        Assert.False(reachedAfterCheck);
        Assert.True(scope.CancelCalled);
        Assert.True(scope.CancelledCaught);
    });

    [SkippableFact]
    public virtual Task A_deadline_already_past_cancels_at_once() => RunAsync(async (backend, token) =>
    {
        var scope = new CancelScope(backend.TimeProvider) { Deadline = backend.TimeProvider.GetUtcNow() - TimeSpan.FromSeconds(1) };
        await scope.RunAsync(t => backend.SleepAsync(TimeSpan.FromHours(1), t), token);
        Assert.True(scope.CancelledCaught);
        Assert.True(scope.DeadlineReached);
    });

    [SkippableFact]
    public virtual Task Moving_the_deadline_later_extends_it() => RunAsync(async (backend, token) =>
    {
        var scope = new CancelScope(backend.TimeProvider) { Deadline = backend.TimeProvider.GetUtcNow() + TimeSpan.FromMilliseconds(30) };
        await scope.RunAsync(async t =>
        {
            scope.Deadline = DateTimeOffset.MaxValue;
            await backend.SleepAsync(TimeSpan.FromMilliseconds(100), t);
        }, token);
        Assert.False(scope.CancelledCaught);
        Assert.False(scope.DeadlineReached);
    });

    [SkippableFact]
    public virtual Task Only_the_scope_whose_cancellation_fired_reports_CancelledCaught() => RunAsync(async (backend, token) =>
    {
        var outer = new CancelScope(backend.TimeProvider);
        var inner = new CancelScope(backend.TimeProvider);
        await outer.RunAsync(t1 => inner.RunAsync(async t2 =>
        {
            outer.Cancel();
            await backend.SleepAsync(TimeSpan.FromHours(1), t2);
        }, t1), token);
        Assert.True(outer.CancelledCaught);
        Assert.False(inner.CancelledCaught);
    });

    [SkippableFact]
    public virtual Task An_outer_cancellation_passes_through_an_inner_scope() => RunAsync(async (backend, token) =>
    {
        using var outer = CancellationTokenSource.CreateLinkedTokenSource(token);
        var inner = new CancelScope(backend.TimeProvider);
        await outer.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => inner.RunAsync(t => backend.SleepAsync(TimeSpan.FromHours(1), t), outer.Token));
        Assert.False(inner.CancelledCaught);
    });

    [SkippableFact]
    public virtual Task A_shielded_scope_ignores_outer_cancellation_but_obeys_its_own_deadline() => RunAsync(async (backend, token) =>
    {
        var outer = new CancelScope(backend.TimeProvider);
        var shielded = new CancelScope(backend.TimeProvider) { Shield = true };
        bool finishedCleanup = false;
        await outer.RunAsync(async t1 =>
        {
            outer.Cancel();
            await shielded.RunAsync(async t2 =>
            {
                await backend.SleepAsync(TimeSpan.FromMilliseconds(5), t2);
                finishedCleanup = true;
                shielded.Deadline = backend.TimeProvider.GetUtcNow() + TimeSpan.FromMilliseconds(10);
                await backend.SleepAsync(TimeSpan.FromHours(1), t2);
            }, t1);
            t1.ThrowIfCancellationRequested();
        }, token);
        Assert.True(finishedCleanup);
        Assert.True(shielded.CancelledCaught);
        Assert.True(outer.CancelledCaught);
    });

    [SkippableFact]
    public virtual Task Lifting_a_shield_while_inside_lets_a_pending_outer_cancellation_in() => RunAsync(async (backend, token) =>
    {
        using var outer = CancellationTokenSource.CreateLinkedTokenSource(token);
        var scope = new CancelScope(backend.TimeProvider) { Shield = true };
        await outer.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scope.RunAsync(async t =>
        {
            Assert.False(t.IsCancellationRequested);
            scope.Shield = false;
            await backend.SleepAsync(TimeSpan.FromHours(1), t);
        }, outer.Token));
    });

    [SkippableFact]
    public virtual Task MoveOnAfter_returns_normally_and_reports_that_it_timed_out() => RunAsync(async (backend, token) =>
    {
        bool timedOut = await backend.MoveOnAfterAsync(TimeSpan.FromMilliseconds(10), t => backend.SleepAsync(TimeSpan.FromHours(1), t), token);
        Assert.True(timedOut);
        Assert.False(await backend.MoveOnAfterAsync(TimeSpan.FromHours(1), _ => Task.CompletedTask, token));
    });

    [SkippableFact]
    public virtual Task FailAfter_throws_TimeoutException_when_the_deadline_fires() => RunAsync(async (backend, token) =>
    {
        await Assert.ThrowsAsync<TimeoutException>(() => backend.FailAfterAsync(TimeSpan.FromMilliseconds(10), t => backend.SleepAsync(TimeSpan.FromHours(1), t), token));
        Assert.Equal(7, await backend.FailAfterAsync(TimeSpan.FromHours(1), _ => Task.FromResult(7), token));
    });

    [SkippableFact]
    public virtual Task An_explicit_Cancel_inside_a_FailAfter_scope_is_not_a_timeout() => RunAsync(async (backend, token) =>
    {
        CancelScope scope = CancelScope.MoveOnAfter(TimeSpan.FromHours(1), backend.TimeProvider);
        await scope.RunAsync(async t =>
        {
            scope.Cancel();
            await backend.SleepAsync(TimeSpan.FromHours(1), t);
        }, token);
        Assert.True(scope.CancelledCaught);
        Assert.False(scope.DeadlineReached);
    });

    [SkippableFact]
    public virtual Task The_effective_deadline_is_the_earliest_enclosing_one_unless_shielded() => RunAsync(async (backend, token) =>
    {
        DateTimeOffset now = backend.TimeProvider.GetUtcNow();
        var outer = new CancelScope(backend.TimeProvider) { Deadline = now + TimeSpan.FromMinutes(1) };
        var inner = new CancelScope(backend.TimeProvider) { Deadline = now + TimeSpan.FromMinutes(5) };
        var shielded = new CancelScope(backend.TimeProvider) { Deadline = now + TimeSpan.FromMinutes(5), Shield = true };
        await outer.RunAsync(async t =>
        {
            await inner.RunAsync(_ =>
            {
                Assert.Same(inner, CancelScope.Current);
                Assert.Equal(outer.Deadline, inner.EffectiveDeadline);
                return Task.CompletedTask;
            }, t);
            await shielded.RunAsync(_ =>
            {
                Assert.Equal(shielded.Deadline, shielded.EffectiveDeadline);
                return Task.CompletedTask;
            }, t);
        }, token);
        Assert.Null(CancelScope.Current);
    });

    [SkippableFact]
    public virtual Task A_scope_can_be_entered_only_once() => RunAsync(async (backend, token) =>
    {
        var scope = new CancelScope(backend.TimeProvider);
        await scope.RunAsync(_ => Task.CompletedTask, token);
        await Assert.ThrowsAsync<InvalidOperationException>(() => scope.RunAsync(_ => Task.CompletedTask, token));
    });
}

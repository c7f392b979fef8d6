namespace AnyNet.Internal;

/// <summary>A primitive whose ownership can be checked against the current async flow.</summary>
internal interface IFlowOwnedResource
{
    /// <summary>True while <paramref name="owner"/> holds the resource. Safe to call from any thread.</summary>
    bool IsHeldBy(object owner);
}

/// <summary>
/// Which locks and limiter tokens the current async flow holds. .NET has no "current task" identity, so ownership is
/// recorded in an <see cref="AsyncLocal{T}"/>: an acquire records (resource, owner) in the caller's execution context
/// before it waits, and the record counts only while the resource still says that owner holds it.
/// </summary>
/// <remarks>
/// The record flows down into callees and into tasks started from the flow, and is lost when the async method that
/// acquired returns to its caller (the runtime restores the caller's context). Task groups start each child with
/// <see cref="ForgetInherited"/> so a child never looks like the owner of what its parent holds.
/// </remarks>
internal static class FlowOwnership
{
    private static readonly AsyncLocal<Entry?> s_entries = new();

    /// <summary>Records that the current flow is acquiring <paramref name="resource"/> as <paramref name="owner"/>, dropping records that no longer hold.</summary>
    public static void Record(IFlowOwnedResource resource, object owner)
    {
        Entry? kept = null;
        for (Entry? entry = s_entries.Value; entry is not null; entry = entry.Next)
        {
            if (entry.Resource.IsHeldBy(entry.Owner))
            {
                kept = new Entry(entry.Resource, entry.Owner, kept);
            }
        }

        s_entries.Value = new Entry(resource, owner, kept);
    }

    /// <summary>The owner object through which the current flow holds <paramref name="resource"/>, or null.</summary>
    public static object? FindOwner(IFlowOwnedResource resource)
    {
        for (Entry? entry = s_entries.Value; entry is not null; entry = entry.Next)
        {
            if (ReferenceEquals(entry.Resource, resource) && resource.IsHeldBy(entry.Owner))
            {
                return entry.Owner;
            }
        }

        return null;
    }

    /// <summary>Forgets the record of <paramref name="owner"/> in the current flow (after a release made from it).</summary>
    public static void Forget(object owner)
    {
        Entry? head = s_entries.Value;
        bool found = false;
        for (Entry? entry = head; entry is not null; entry = entry.Next)
        {
            if (ReferenceEquals(entry.Owner, owner))
            {
                found = true;
                break;
            }
        }

        if (!found)
        {
            return;
        }

        Entry? kept = null;
        for (Entry? entry = head; entry is not null; entry = entry.Next)
        {
            if (!ReferenceEquals(entry.Owner, owner))
            {
                kept = new Entry(entry.Resource, entry.Owner, kept);
            }
        }

        s_entries.Value = kept;
    }

    /// <summary>Starts a new task's flow: nothing inherited from the parent counts as held by the child.</summary>
    public static void ForgetInherited()
    {
        if (s_entries.Value is not null)
        {
            s_entries.Value = null;
        }
    }

    private sealed class Entry(IFlowOwnedResource resource, object owner, Entry? next)
    {
        public IFlowOwnedResource Resource { get; } = resource;

        public object Owner { get; } = owner;

        public Entry? Next { get; } = next;
    }
}

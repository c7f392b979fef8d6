using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// Owns one libuv handle: native memory sized by uv_handle_size, a GCHandle to this object in the handle's data field,
/// and closing with uv_close on the loop thread. The memory is freed in the close callback, after libuv has called
/// back every request still pending on the handle (with UV_ECANCELED).
/// </summary>
internal abstract unsafe class UvHandle
{
    private GCHandle _self;
    private bool _registered;

    protected UvHandle(LibuvLoop loop, Uv.HandleType type)
    {
        Loop = loop;
        Handle = (IntPtr)NativeMemory.AllocZeroed(LibuvLoop.HandleSize(type));
    }

    public LibuvLoop Loop { get; }

    /// <summary>Answers <see cref="TypedAttributes.LoopContext"/>: the context of the loop that owns this handle.</summary>
    protected bool TryGetLoopContext<T>(TypedAttribute<T> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value)
    {
        if (ReferenceEquals(attribute, TypedAttributes.LoopContext))
        {
            value = (T)(object)Loop.Context;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The native handle; zero once the close callback has freed it.</summary>
    public IntPtr Handle { get; private set; }

    /// <summary>True once <see cref="Close"/> was called (the native handle may still be closing).</summary>
    public bool IsClosed { get; private set; }

    /// <summary>The value stored in data fields (handle and its requests) to find this object from a callback.</summary>
    protected IntPtr SelfPointer => GCHandle.ToIntPtr(_self);

    /// <summary>Call with the result of uv_xxx_init: on failure frees the memory and throws, on success registers the handle.</summary>
    protected void CompleteInit(int status, string operation)
    {
        if (status < 0)
        {
            NativeMemory.Free((void*)Handle);
            Handle = IntPtr.Zero;
            IsClosed = true;
            throw UvErrors.Exception(status, operation);
        }

        _self = GCHandle.Alloc(this);
        _registered = true;
        Uv.uv_handle_set_data(Handle, SelfPointer);
    }

    /// <summary>
    /// Closes the handle from any thread: off the loop it is handed to the loop, since libuv handles may only be closed
    /// there. Idempotent. (For a Unix listener, uv_close unlinks the socket file before closing the descriptor.)
    /// </summary>
    public virtual ValueTask DisposeAsync()
    {
        if (!Loop.IsLoopThread)
        {
            return Loop.InvokeAsync(DisposeAsync);
        }

        Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the handle (loop thread only). Idempotent.</summary>
    public void Close()
    {
        if (IsClosed)
        {
            return;
        }

        IsClosed = true;
        OnClosing();
        if (_registered && Handle != IntPtr.Zero)
        {
            Uv.uv_close(Handle, &OnCloseCallback);
        }
    }

    /// <summary>Runs when <see cref="Close"/> starts: wake waiting operations.</summary>
    protected virtual void OnClosing()
    {
    }

    /// <summary>Runs after libuv released the handle and its memory was freed: release request memory.</summary>
    protected virtual void OnClosed()
    {
    }

    public static T FromHandle<T>(IntPtr handle)
        where T : UvHandle => (T)GCHandle.FromIntPtr(Uv.uv_handle_get_data(handle)).Target!;

    public static T FromReq<T>(IntPtr req)
        where T : UvHandle => (T)GCHandle.FromIntPtr(Uv.uv_req_get_data(req)).Target!;

    /// <summary>Allocates a request of <paramref name="type"/> whose data field points back at this handle.</summary>
    protected IntPtr AllocReq(Uv.ReqType type)
    {
        IntPtr req = (IntPtr)NativeMemory.AllocZeroed(LibuvLoop.ReqSize(type));
        Uv.uv_req_set_data(req, SelfPointer);
        return req;
    }

    protected static void FreeReq(ref IntPtr req)
    {
        if (req != IntPtr.Zero)
        {
            NativeMemory.Free((void*)req);
            req = IntPtr.Zero;
        }
    }

    /// <summary>
    /// Contains a failure of a native callback of the handle at <paramref name="handle"/>: reports it and closes that one
    /// handle (its pending operations fail as closed), so the rest of the loop goes on. Never throws.
    /// </summary>
    public static void Fault(IntPtr handle, Exception error)
    {
        LibuvLoop.ReportCallbackFailure(error);
        try
        {
            if (handle != IntPtr.Zero && Uv.uv_is_closing(handle) == 0)
            {
                FromHandle<UvHandle>(handle).Close();
            }
        }
        catch (Exception closing)
        {
            LibuvLoop.ReportCallbackFailure(closing);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnCloseCallback(IntPtr handle)
    {
        try
        {
            UvHandle self = FromHandle<UvHandle>(handle);
            self._self.Free();
            self._registered = false;
            NativeMemory.Free((void*)handle);
            self.Handle = IntPtr.Zero;
            self.OnClosed();
        }
        catch (Exception e)
        {
            LibuvLoop.ReportCallbackFailure(e);
        }
    }
}

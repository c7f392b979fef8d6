using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>Name resolution with uv_getaddrinfo (libuv runs getaddrinfo(3) on its thread pool and calls back on the loop).</summary>
internal sealed unsafe partial class UvResolver
{
    // struct addrinfo on Linux x86-64/arm64: ai_flags, ai_family, ai_socktype, ai_protocol (ints), ai_addrlen, then
    // the pointers ai_addr, ai_canonname, ai_next at 24, 32, 40.
    private const int AddrInfoSize = 48;
    private const int FamilyOffset = 4;
    private const int SockTypeOffset = 8;
    private const int AddrLenOffset = 16;
    private const int AddrOffset = 24;
    private const int NextOffset = 40;
    private const int SockStream = 1;

    private readonly LibuvLoop _loop;
    private readonly string _host;
    private readonly TaskCompletionSource<IPAddress[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IntPtr _req;
    private GCHandle _self;

    private UvResolver(LibuvLoop loop, string host)
    {
        _loop = loop;
        _host = host;
    }

    private void Start(AddressFamily family)
    {
        byte[] node = new byte[Encoding.UTF8.GetByteCount(_host) + 1];
        _ = Encoding.UTF8.GetBytes(_host, node);
        byte* hints = stackalloc byte[AddrInfoSize];
        new Span<byte>(hints, AddrInfoSize).Clear();
        *(int*)(hints + FamilyOffset) = family switch
        {
            AddressFamily.InterNetwork => 2,
            AddressFamily.InterNetworkV6 => 10,
            _ => 0,
        };
        *(int*)(hints + SockTypeOffset) = SockStream;

        _req = (IntPtr)NativeMemory.AllocZeroed(LibuvLoop.ReqSize(Uv.ReqType.GetAddrInfo));
        _self = GCHandle.Alloc(this);
        Uv.uv_req_set_data(_req, GCHandle.ToIntPtr(_self));
        int status;
        fixed (byte* nodePointer = node)
        {
            // libuv copies the name and the hints into the request.
            status = Uv.uv_getaddrinfo(_loop.Native, _req, &OnResolved, nodePointer, null, hints);
        }

        if (status < 0)
        {
            Release();
            throw Failure(status);
        }
    }

    private void CancelFromAnyThread() => _loop.Post(static s => ((UvResolver)s!).Cancel(), this);

    private void Cancel()
    {
        // The lookup may already run on libuv's thread pool, where it cannot be stopped: answer the caller now and
        // let the callback free the request whenever it comes.
        if (_req != IntPtr.Zero)
        {
            _ = Uv.uv_cancel(_req);
        }

        _completion.TrySetCanceled();
    }

    private NameResolutionException Failure(int status) =>
        new(_host, $"{Uv.ErrorText(status)} ({Uv.ErrorName(status)})", new SocketException((int)SocketError.HostNotFound));

    [UnmanagedCallersOnly]
    private static void OnResolved(IntPtr req, int status, IntPtr addrinfo)
    {
        try
        {
            var resolver = (UvResolver)GCHandle.FromIntPtr(Uv.uv_req_get_data(req)).Target!;
            try
            {
                resolver.OnResolved(status, addrinfo);
            }
            finally
            {
                if (addrinfo != IntPtr.Zero)
                {
                    Uv.uv_freeaddrinfo(addrinfo);
                }

                resolver.Release();
            }
        }
        catch (Exception e)
        {
            LibuvLoop.ReportCallbackFailure(e);
        }
    }

    private void OnResolved(int status, IntPtr addrinfo)
    {
        if (status == Uv.UV_EAI_CANCELED)
        {
            _completion.TrySetCanceled();
            return;
        }

        if (status < 0)
        {
            _completion.TrySetException(Failure(status));
            return;
        }

        var addresses = new List<IPAddress>();
        for (byte* info = (byte*)addrinfo; info != null; info = *(byte**)(info + NextOffset))
        {
            byte* address = *(byte**)(info + AddrOffset);
            if (address != null && *(int*)(info + AddrLenOffset) >= 16 && SockAddr.Read(new ReadOnlySpan<byte>(address, *(int*)(info + AddrLenOffset))) is { } endPoint && !addresses.Contains(endPoint.Address))
            {
                addresses.Add(endPoint.Address);
            }
        }

        if (addresses.Count == 0)
        {
            _completion.TrySetException(new NameResolutionException(_host, "no address of the requested family"));
        }
        else
        {
            _completion.TrySetResult([.. addresses]);
        }
    }

    private void Release()
    {
        if (_self.IsAllocated)
        {
            _self.Free();
        }

        if (_req != IntPtr.Zero)
        {
            NativeMemory.Free((void*)_req);
            _req = IntPtr.Zero;
        }
    }
}

/// <summary>The async part of <see cref="UvResolver"/> (await is not allowed in an unsafe context).</summary>
internal sealed partial class UvResolver
{
    public static async ValueTask<IPAddress[]> ResolveAsync(LibuvLoop loop, string host, AddressFamily family, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (family is not (AddressFamily.Unspecified or AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentOutOfRangeException(nameof(family), family, "Only InterNetwork, InterNetworkV6 or Unspecified can be resolved.");
        }

        if (!loop.IsLoopThread)
        {
            return await loop.InvokeAsync(() => ResolveAsync(loop, host, family, cancellationToken));
        }

        cancellationToken.ThrowIfCancellationRequested();
        loop.ThrowIfStopping();
        var resolver = new UvResolver(loop, host);
        resolver.Start(family);
        using (cancellationToken.UnsafeRegister(static s => ((UvResolver)s!).CancelFromAnyThread(), resolver))
        {
            IPAddress[] addresses = await resolver._completion.Task;
            cancellationToken.ThrowIfCancellationRequested();
            return addresses;
        }
    }
}

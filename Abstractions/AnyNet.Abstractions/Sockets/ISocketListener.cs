namespace AnyNet;

/// <summary>A listening TCP or Unix stream socket.</summary>
public interface ISocketListener : IListener<ISocketStream>
{
}

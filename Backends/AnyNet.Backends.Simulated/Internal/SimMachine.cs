using System.Net;

namespace AnyNet.Backends.Simulated.Internal;

/// <summary>
/// What the programs of one simulated machine share: whether it is up, its port and path tables, its processes
/// (<see cref="SimulatedHost.CreateProcess"/>). The first host object is the machine's identity in the network.
/// </summary>
internal sealed class SimMachine(SimulatedHost root)
{
    public const int FirstEphemeralPort = 49152;

    public SimulatedHost Root { get; } = root;

    public List<SimulatedHost> Processes { get; } = [root];

    public bool IsUp { get; set; } = true;

    public int NextPort { get; set; } = FirstEphemeralPort;

    public Dictionary<(IPAddress Address, int Port), SimListener> Tcp { get; } = [];

    public Dictionary<(IPAddress Address, int Port), SimDatagramSocket> Udp { get; } = [];

    public Dictionary<string, SimListener> Unix { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SimDatagramSocket> UnixDatagrams { get; } = new(StringComparer.Ordinal);
}

using System;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>The host's IP address, Plumelog's <c>serverName</c>; resolved once per process.</summary>
    internal static class HostAddress
    {
        private static readonly Lazy<string> s_value = new Lazy<string>(Resolve);

        public static string Value => s_value.Value;

        private static string Resolve()
        {
            try
            {
                string? fallback = null;
                foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
                {
                    if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
                        continue;
                    foreach (var address in nic.GetIPProperties().UnicastAddresses)
                    {
                        if (address.Address.AddressFamily == AddressFamily.InterNetwork)
                            return address.Address.ToString();
                        if (fallback is null && address.Address.AddressFamily == AddressFamily.InterNetworkV6 && !address.Address.IsIPv6LinkLocal)
                            fallback = address.Address.ToString();
                    }
                }
                return fallback ?? "127.0.0.1";
            }
            catch (NetworkInformationException)
            {
                return "127.0.0.1";
            }
        }
    }
}

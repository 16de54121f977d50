using System;
using System.Net;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>
    /// The parsed <c>Endpoint</c> option: <c>host</c>, <c>host:port</c>, <c>http://host[:port]</c>
    /// or <c>https://host[:port]</c>.
    /// </summary>
    /// <remarks>
    /// The service addresses a project by host name (<c>{project}.{host}</c>). Where the host is
    /// an IP literal or <c>localhost</c> there is no such name to resolve, so the request is sent
    /// to the host itself and the project still travels in the <c>Host</c> header — the way the
    /// official PHP SDK talks to a raw IP, and how a loopback emulator is reached.
    /// </remarks>
    internal sealed class SlsEndpoint
    {
        private SlsEndpoint(string scheme, string host, int port, bool explicitPort, bool direct)
        {
            Scheme = scheme;
            Host = host;
            Port = port;
            ExplicitPort = explicitPort;
            ConnectsDirectly = direct;
        }

        public string Scheme { get; }

        public string Host { get; }

        public int Port { get; }

        public bool ExplicitPort { get; }

        /// <summary>True for IP literals and <c>localhost</c>: connect to the host, name the project in <c>Host</c>.</summary>
        public bool ConnectsDirectly { get; }

        /// <summary>Parses the option; throws <see cref="FormatException"/> with the reason.</summary>
        public static SlsEndpoint Parse(string? endpoint)
        {
            var text = endpoint?.Trim();
            if (string.IsNullOrEmpty(text))
                throw new FormatException("is required (e.g. cn-hangzhou.log.aliyuncs.com or https://cn-hangzhou.log.aliyuncs.com)");

            string withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri))
                throw new FormatException("is not a host name or an http(s) URL");
            if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                throw new FormatException("must use http or https, not " + uri.Scheme);
            if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
                throw new FormatException("must be only a scheme, a host and a port (no path, query or credentials)");
            if (uri.Host.Length == 0)
                throw new FormatException("has no host");

            string host = uri.Host;
            string bare = host.Trim('[', ']');
            bool direct = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(bare, out _);
            return new SlsEndpoint(uri.Scheme, host, uri.Port, !uri.IsDefaultPort, direct);
        }

        /// <summary>The value of the <c>Host</c> header for a project: <c>{project}.{host}[:port]</c>.</summary>
        public string HostHeader(string project)
        {
            return ExplicitPort ? project + "." + Host + ":" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : project + "." + Host;
        }

        /// <summary>The scheme://authority requests are sent to.</summary>
        public Uri BaseAddress(string project)
        {
            var builder = new UriBuilder(Scheme, ConnectsDirectly ? Host : project + "." + Host, Port);
            return builder.Uri;
        }

        public override string ToString() => Scheme + "://" + Host + (ExplicitPort ? ":" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty);
    }
}

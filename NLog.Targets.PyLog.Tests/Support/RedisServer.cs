using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>
    /// A throw-away <c>redis-server</c> (Debian package <c>redis-server</c>) on a free loopback port,
    /// without persistence, stopped by its pid. Can be killed and restarted on the same port.
    /// </summary>
    internal sealed class RedisServer : IDisposable
    {
        public const string Binary = "/usr/bin/redis-server";

        private readonly string? _password;
        private readonly RedisTlsFiles? _tls;
        private readonly string? _dataFolder;
        private Process? _process;
        private readonly StringBuilder _output = new StringBuilder();

        private RedisServer(int port, string? password, RedisTlsFiles? tls, string? dataFolder)
        {
            Port = port;
            _password = password;
            _tls = tls;
            _dataFolder = dataFolder;
        }

        /// <summary>The port clients connect to (the TLS port when started with TLS).</summary>
        public int Port { get; }

        public string Endpoint => "127.0.0.1:" + Port;

        public int? Pid => _process?.Id;

        /// <summary>
        /// Starts a server. <paramref name="persistent"/> turns on an fsync-always append-only file in a
        /// temp folder, so what the server acknowledged survives <see cref="Kill"/> and <see cref="Restart"/>.
        /// </summary>
        public static RedisServer Start(string? password = null, RedisTlsFiles? tls = null, bool persistent = false)
        {
            if (!File.Exists(Binary))
                throw new InvalidOperationException($"{Binary} is missing: install the Debian package 'redis-server' (apt-get install redis-server) to run the Redis tests.");

            string? dataFolder = null;
            if (persistent)
            {
                dataFolder = Path.Combine(Path.GetTempPath(), "pylog-redis-data-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(dataFolder);
            }
            var server = new RedisServer(FreePort(), password, tls, dataFolder);
            server.Launch();
            return server;
        }

        /// <summary>Kills the server (SIGKILL): clients see the connection drop with no goodbye.</summary>
        public void Kill()
        {
            var process = _process;
            _process = null;
            if (process is null)
                return;
            ChildProcess.KillAndDispose(process);
        }

        /// <summary>Starts the server again on the same port (after <see cref="Kill"/>).</summary>
        public void Restart()
        {
            Kill();
            Launch();
        }

        /// <summary>Runs one command through <c>redis-cli</c>-free RESP over a plain socket (non-TLS servers only).</summary>
        public RespClient Client() => new RespClient(Port, _password, _tls?.CaCertificateFile);

        public void Dispose()
        {
            Kill();
            if (_dataFolder != null)
            {
                try
                {
                    Directory.Delete(_dataFolder, true);
                }
                catch (IOException)
                {
                }
            }
        }

        private void Launch()
        {
            var arguments = new List<string>
            {
                "--bind", "127.0.0.1",
                "--save", "",
                "--protected-mode", "no",
                "--daemonize", "no",
                "--loglevel", "warning",
            };
            if (_dataFolder is null)
            {
                arguments.AddRange(new[] { "--appendonly", "no" });
            }
            else
            {
                arguments.AddRange(new[] { "--appendonly", "yes", "--appendfsync", "always", "--dir", _dataFolder });
            }
            if (_tls is null)
            {
                arguments.Add("--port");
                arguments.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                arguments.AddRange(new[]
                {
                    "--port", "0",
                    "--tls-port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--tls-cert-file", _tls.ServerCertificateFile,
                    "--tls-key-file", _tls.ServerKeyFile,
                    "--tls-ca-cert-file", _tls.CaCertificateFile,
                    "--tls-auth-clients", "no",
                });
            }
            if (_password != null)
            {
                arguments.Add("--requirepass");
                arguments.Add(_password);
            }

            var start = new ProcessStartInfo(Binary)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);

            var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
            process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            WaitUntilListening(process);
        }

        private void WaitUntilListening(Process process)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline)
            {
                if (process.HasExited)
                {
                    string output;
                    lock (_output) output = _output.ToString();
                    throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}: {output}");
                }
                try
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Connect(IPAddress.Loopback, Port);
                    if (_tls is null)
                    {
                        // A plain server answers PING (or NOAUTH) once it accepts commands.
                        socket.Send(Encoding.ASCII.GetBytes("PING\r\n"));
                        var buffer = new byte[64];
                        socket.ReceiveTimeout = 1000;
                        if (socket.Receive(buffer) > 0)
                            return;
                    }
                    else
                    {
                        return;
                    }
                }
                catch (SocketException)
                {
                }
                Thread.Sleep(20);
            }
            throw new TimeoutException($"redis-server did not listen on port {Port} within 15 s.");
        }

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }
    }

    /// <summary>A minimal RESP client for assertions (independent of the library under test).</summary>
    internal sealed class RespClient : IDisposable
    {
        private readonly TcpClient _client;
        private readonly BufferedStream _stream;

        public RespClient(int port, string? password, string? caCertificateFile = null)
        {
            _client = new TcpClient();
            _client.Connect(IPAddress.Loopback, port);
            _client.ReceiveTimeout = 10_000;
            Stream network = _client.GetStream();
            if (caCertificateFile != null)
            {
                var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(caCertificateFile);
                var ssl = new System.Net.Security.SslStream(network, false, (_, certificate, _, _) =>
                {
                    using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                    chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                    chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    return certificate != null && chain.Build(new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate));
                });
                ssl.AuthenticateAsClient("localhost");
                network = ssl;
            }
            _stream = new BufferedStream(network);
            if (password != null)
                Call("AUTH", password);
        }

        public object? Call(params string[] args)
        {
            var request = new StringBuilder();
            request.Append('*').Append(args.Length).Append("\r\n");
            foreach (var arg in args)
            {
                int length = Encoding.UTF8.GetByteCount(arg);
                request.Append('$').Append(length).Append("\r\n").Append(arg).Append("\r\n");
            }
            var bytes = Encoding.UTF8.GetBytes(request.ToString());
            _stream.Write(bytes, 0, bytes.Length);
            _stream.Flush();
            return Read();
        }

        /// <summary>Reads one more reply (for SUBSCRIBE pushes).</summary>
        public object? Read()
        {
            int type = _stream.ReadByte();
            string line = ReadLine();
            switch (type)
            {
                case '+':
                    return line;
                case '-':
                    throw new InvalidOperationException("Redis error: " + line);
                case ':':
                    return long.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
                case '$':
                    {
                        int length = int.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
                        if (length < 0)
                            return null;
                        var data = new byte[length];
                        int read = 0;
                        while (read < length)
                        {
                            int n = _stream.Read(data, read, length - read);
                            if (n <= 0)
                                throw new EndOfStreamException();
                            read += n;
                        }
                        ReadLine();
                        return Encoding.UTF8.GetString(data);
                    }
                case '*':
                    {
                        int count = int.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
                        if (count < 0)
                            return null;
                        var items = new object?[count];
                        for (int i = 0; i < count; i++)
                            items[i] = Read();
                        return items;
                    }
                default:
                    throw new InvalidOperationException("Unexpected RESP type " + type);
            }
        }

        public List<string> ListRange(string key)
        {
            var result = new List<string>();
            var items = (object?[])Call("LRANGE", key, "0", "-1")!;
            foreach (var item in items)
                result.Add((string)item!);
            return result;
        }

        public long ListLength(string key) => (long)Call("LLEN", key)!;

        public void Dispose()
        {
            _stream.Dispose();
            _client.Dispose();
        }

        private string ReadLine()
        {
            var line = new StringBuilder();
            while (true)
            {
                int b = _stream.ReadByte();
                if (b < 0)
                    throw new EndOfStreamException();
                if (b == '\r')
                {
                    _stream.ReadByte();
                    return line.ToString();
                }
                line.Append((char)b);
            }
        }
    }

    /// <summary>A test CA and a server certificate for 127.0.0.1/localhost, written as PEM files.</summary>
    internal sealed class RedisTlsFiles : IDisposable
    {
        private RedisTlsFiles(string folder)
        {
            Folder = folder;
        }

        public string Folder { get; }

        public string CaCertificateFile => Path.Combine(Folder, "ca.crt");

        public string ServerCertificateFile => Path.Combine(Folder, "server.crt");

        public string ServerKeyFile => Path.Combine(Folder, "server.key");

        /// <summary>Generates the files with System.Security.Cryptography (no openssl needed).</summary>
        public static RedisTlsFiles Create()
        {
            var folder = Path.Combine(Path.GetTempPath(), "pylog-redis-tls-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            var files = new RedisTlsFiles(folder);

            var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
            var notAfter = notBefore.AddDays(1);
            using var caKey = System.Security.Cryptography.RSA.Create(2048);
            var caRequest = new System.Security.Cryptography.X509Certificates.CertificateRequest(
                "CN=PyLog Test CA", caKey, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            caRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509KeyUsageExtension(
                System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.KeyCertSign | System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.CrlSign, true));
            using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

            using var serverKey = System.Security.Cryptography.RSA.Create(2048);
            var serverRequest = new System.Security.Cryptography.X509Certificates.CertificateRequest(
                "CN=localhost", serverKey, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            serverRequest.CertificateExtensions.Add(san.Build());
            serverRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(false, false, 0, false));
            serverRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension(
                new System.Security.Cryptography.OidCollection { new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1") }, false));
            var serial = new byte[8];
            System.Security.Cryptography.RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7F;
            using var server = serverRequest.Create(ca, notBefore, notAfter.AddMinutes(-1), serial);

            File.WriteAllText(files.CaCertificateFile, ca.ExportCertificatePem());
            File.WriteAllText(files.ServerCertificateFile, server.ExportCertificatePem());
            File.WriteAllText(files.ServerKeyFile, serverKey.ExportPkcs8PrivateKeyPem());
            return files;
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Folder, true);
            }
            catch (IOException)
            {
            }
        }
    }
}

using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Build
{
    /// <summary>
    /// The package as a user installs it: <c>dotnet pack</c>, then a console application in a
    /// temporary folder that references the .nupkg from a local feed beside the client libraries an
    /// application has today, loads it from nlog.config and delivers to real servers.
    /// </summary>
    [TestClass]
    public sealed class PackagingTests
    {
        private static string s_work = string.Empty;
        private static string s_feed = string.Empty;
        private static string s_packageVersion = string.Empty;

        [ClassInitialize]
        public static void PackOnce(TestContext context)
        {
            s_work = Path.Combine(Path.GetTempPath(), "pylog-packaging-" + Guid.NewGuid().ToString("N"));
            s_feed = Path.Combine(s_work, "feed");
            Directory.CreateDirectory(s_feed);
            // A version of its own per run, so that NuGet's global cache never serves an older pack.
            s_packageVersion = "0.0.0-packagingtest." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
            string project = Path.Combine(RepositoryRoot(), "NLog.Targets.PyLog", "NLog.Targets.PyLog.csproj");
            Run("dotnet", $"pack \"{project}\" -c {BuildConfiguration()} --no-build -o \"{s_feed}\" -p:PackageVersion={s_packageVersion}", s_work);
        }

        [ClassCleanup]
        public static void CleanUp()
        {
            try
            {
                if (Directory.Exists(s_work))
                    Directory.Delete(s_work, recursive: true);
                string cached = Path.Combine(NuGetPackagesFolder(), "nlog.targets.pylog", s_packageVersion);
                if (s_packageVersion.Length > 0 && Directory.Exists(cached))
                    Directory.Delete(cached, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        [TestMethod]
        public void Package_declares_its_dependencies_and_ships_symbols_and_readme()
        {
            string nupkg = Path.Combine(s_feed, $"NLog.Targets.PyLog.{s_packageVersion}.nupkg");
            Assert.IsTrue(File.Exists(nupkg), nupkg);
            Assert.IsTrue(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), "symbols package");
            using var archive = ZipFile.OpenRead(nupkg);
            var entries = archive.Entries.Select(e => e.FullName).ToList();
            CollectionAssert.Contains(entries, "lib/net8.0/NLog.Targets.PyLog.dll");
            CollectionAssert.Contains(entries, "lib/net10.0/NLog.Targets.PyLog.dll");
            CollectionAssert.Contains(entries, "README.md");

            var nuspecEntry = archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            XDocument nuspec;
            using (var stream = nuspecEntry.Open())
                nuspec = XDocument.Load(stream);
            var pins = XDocument.Load(Path.Combine(RepositoryRoot(), "Directory.Packages.props"))
                .Descendants("PackageVersion")
                .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
            var groups = nuspec.Descendants().Where(e => e.Name.LocalName == "group").ToList();
            Assert.AreEqual(2, groups.Count, "one dependency group per target framework");
            foreach (var group in groups)
            {
                var declared = group.Elements().Where(e => e.Name.LocalName == "dependency")
                    .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);
                CollectionAssert.AreEquivalent(new[] { "NLog", "Confluent.Kafka", "StackExchange.Redis", "K4os.Compression.LZ4" }, declared.Keys.ToArray(),
                    "exactly the libraries the code uses (no Google.Protobuf, no hand-written nuspec)");
                foreach (var pair in declared)
                    Assert.AreEqual(pins[pair.Key], pair.Value, $"declared version of {pair.Key}");
            }
        }

        [TestMethod]
        public void Packed_package_beside_StackExchange_Redis_2_and_Confluent_Kafka_delivers_with_bundled_natives()
        {
            var output = BuildAndRunConsumer("2.8.16", systemIoHashing: null);
            StringAssert.Contains(output, "StackExchange.Redis: 2.");
        }

        [TestMethod]
        public void Packed_package_runs_when_the_application_brings_StackExchange_Redis_3()
        {
            var output = BuildAndRunConsumer("3.4.35", systemIoHashing: "10.0.13");
            StringAssert.Contains(output, "StackExchange.Redis: 3.");
        }

        private static string BuildAndRunConsumer(string redisVersion, string? systemIoHashing)
        {
            string app = Path.Combine(s_work, "app-redis-" + redisVersion);
            Directory.CreateDirectory(app);
            string template = Path.Combine(RepositoryRoot(), "NLog.Targets.PyLog.Tests", "Build", "ConsumerApp");
            File.Copy(Path.Combine(template, "Program.cs"), Path.Combine(app, "Program.cs"));
            File.Copy(Path.Combine(template, "nlog.config"), Path.Combine(app, "nlog.config"));
            File.WriteAllText(Path.Combine(app, "nuget.config"),
                "<configuration><packageSources><add key=\"local\" value=\"" + s_feed + "\" /></packageSources></configuration>");
            var hashing = systemIoHashing is null ? string.Empty : $"<PackageReference Include=\"System.IO.Hashing\" Version=\"{systemIoHashing}\" />";
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $@"<Project Sdk=""Microsoft.NET.Sdk"">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>disable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup>
  <ItemGroup>
    <PackageReference Include=""NLog.Targets.PyLog"" Version=""{s_packageVersion}"" />
    <PackageReference Include=""NLog"" Version=""6.2.2"" />
    <PackageReference Include=""StackExchange.Redis"" Version=""{redisVersion}"" />
    <PackageReference Include=""Confluent.Kafka"" Version=""2.16.0"" />
    {hashing}
  </ItemGroup>
  <ItemGroup><None Include=""nlog.config"" CopyToOutputDirectory=""PreserveNewest"" /></ItemGroup>
</Project>");
            Run("dotnet", "build -c Release -o out", app);

            using var redis = RedisServer.Start();
            using var kafka = KafkaMockCluster.Start(1);
            kafka.CreateTopic("consumer", 1);
            using var sls = new SlsEmulator();
            var output = Run("dotnet", "out/Consumer.dll", app,
                ("CONSUMER_REDIS", redis.Endpoint),
                ("CONSUMER_KAFKA", kafka.BootstrapServers),
                ("CONSUMER_SLS", "http://127.0.0.1:" + sls.Port));

            StringAssert.Contains(output, "done");
            string outDir = Path.Combine(app, "out");
            string librdkafka = Line(output, "librdkafka: ");
            Assert.IsFalse(string.IsNullOrEmpty(librdkafka), "the Kafka target loaded librdkafka:\n" + output);
            foreach (var path in librdkafka.Split(';'))
                StringAssert.StartsWith(path, Path.Combine(outDir, "runtimes"), "librdkafka came from the application's output folder (librdkafka.redist), not the OS:\n" + output);
            Assert.AreEqual(string.Empty, Line(output, "liblz4: "), "lz4 is managed code: no native liblz4 in the process:\n" + output);

            using (var client = redis.Client())
            {
                Assert.AreEqual(10, client.ListLength("consumer_list"), "Redis (RPUSH) received every event:\n" + output);
                Assert.AreEqual(10L, client.Call("XLEN", "consumer_stream"), "Redis (XADD with MAXLEN) received every event:\n" + output);
            }
            Assert.AreEqual(10, KafkaTopicReader.Read(kafka.BootstrapServers, "consumer", 1, 10, TimeSpan.FromSeconds(20)).Count, "Kafka received every event");
            Assert.AreEqual(10, sls.LogCount, "SLS received every event");
            Assert.IsTrue(sls.Requests.All(r => r.Headers.TryGetValue("x-log-compresstype", out var c) && c == "lz4"), "SLS bodies were lz4");
            return output;
        }

        private static string Line(string output, string prefix)
        {
            var line = output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            Assert.IsNotNull(line, $"'{prefix}' line in:\n{output}");
            return line.Substring(prefix.Length);
        }

        private static string Run(string file, string arguments, string workingDirectory, params (string Name, string Value)[] environment)
        {
            var start = new ProcessStartInfo(file, arguments)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            foreach (var (name, value) in environment)
                start.Environment[name] = value;
            using var process = Process.Start(start)!;
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit((int)TimeSpan.FromMinutes(5).TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"'{file} {arguments}' did not finish within 5 minutes:\n{stdout}\n{stderr}");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                Assert.Fail($"'{file} {arguments}' exited with {process.ExitCode}:\n{stdout}\n{stderr}");
            return stdout.ToString();
        }

        private static string BuildConfiguration()
        {
            // The test assembly runs from .../bin/{Configuration}/net10.0/: pack the library built alongside it.
            var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return framework.Parent!.Name;
        }

        private static string NuGetPackagesFolder()
        {
            return Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        private static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "NLog.Targets.PyLog.sln")))
                    return dir.FullName;
            }
            throw new InvalidOperationException("Repository root (NLog.Targets.PyLog.sln) not found above " + AppContext.BaseDirectory);
        }
    }
}

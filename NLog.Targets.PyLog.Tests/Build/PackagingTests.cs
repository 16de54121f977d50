using System;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace NLog.Targets.PyLog.Tests.Build
{
    /// <summary>The hand-written nuspec must declare the same dependency versions the build pins.</summary>
    [TestClass]
    public sealed class PackagingTests
    {
        [TestMethod]
        public void NuspecDependenciesMatchTheCentralPins()
        {
            string root = RepositoryRoot();
            var pins = XDocument.Load(Path.Combine(root, "Directory.Packages.props"))
                .Descendants("PackageVersion")
                .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
            var nuspec = XDocument.Load(Path.Combine(root, "NLog.Targets.PyLog", "NLog.Targets.PyLog.nuspec"));
            var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").ToList();

            Assert.IsTrue(dependencies.Count >= 8, "two framework groups of dependencies");
            foreach (var dependency in dependencies)
            {
                string id = (string)dependency.Attribute("id")!;
                Assert.IsTrue(pins.ContainsKey(id), $"{id} is declared by the package but not pinned");
                Assert.AreEqual(pins[id], (string)dependency.Attribute("version")!, $"version of {id}");
            }
            foreach (var id in new[] { "NLog", "Confluent.Kafka", "StackExchange.Redis", "Google.Protobuf" })
                Assert.IsTrue(dependencies.Any(d => (string)d.Attribute("id")! == id), $"the package declares {id}");
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

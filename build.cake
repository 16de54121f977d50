// Build script for NLog.Targets.PyLog. Run through ./build.sh (dotnet tool restore + dotnet cake).
//   ./build.sh --target=Test     prerequisites, build, all tests, "N passed, N failed"
//   ./build.sh --target=Demo     the demo on the embedded default config (no server needed)
//   ./build.sh --target=Bench    the benchmarks (Release); --filter='*Kafka*' narrows them
//   ./build.sh --target=Pack     the NuGet package into artifacts/
using System.Xml.Linq;

var target = Argument("target", "Build");
var configuration = Argument("configuration", "Release");
var benchFilter = Argument("filter", "*");
var demoArgs = Argument("demo-args", "");
var solution = "./NLog.Targets.PyLog.sln";
var artifacts = MakeAbsolute(Directory("./artifacts"));

// What the tests need from the OS: (package, how to tell it is there). librdkafka and LZ4 come
// from NuGet (librdkafka.redist, K4os.Compression.LZ4), not from the OS.
var prerequisites = new (string Package, string[] Files)[]
{
    ("redis-server", new[] { "/usr/bin/redis-server" }),
    ("kcat", new[] { "/usr/bin/kcat" }),
};

Task("Prerequisites")
    .Description("Makes sure the servers and native libraries the tests use are installed.")
    .Does(() =>
{
    var missing = prerequisites.Where(p => !p.Files.Any(System.IO.File.Exists)).Select(p => p.Package).ToList();
    if (missing.Count == 0)
    {
        Information("Test prerequisites present: {0}", string.Join(", ", prerequisites.Select(p => p.Package)));
        return;
    }
    bool isRoot = Environment.UserName == "root";
    bool hasApt = System.IO.File.Exists("/usr/bin/apt-get");
    if (!isRoot || !hasApt)
        throw new Exception($"Missing test prerequisites: {string.Join(", ", missing)}. Install them with: sudo apt-get install -y {string.Join(" ", missing)}");
    Information("Installing {0} with apt-get", string.Join(", ", missing));
    var env = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
    if (StartProcess("apt-get", new ProcessSettings { Arguments = "update -qq", EnvironmentVariables = env }) != 0)
        throw new Exception("apt-get update failed");
    if (StartProcess("apt-get", new ProcessSettings { Arguments = "install -y -qq " + string.Join(" ", missing), EnvironmentVariables = env }) != 0)
        throw new Exception($"apt-get install {string.Join(" ", missing)} failed");
    var stillMissing = prerequisites.Where(p => missing.Contains(p.Package) && !p.Files.Any(System.IO.File.Exists)).Select(p => p.Package).ToList();
    if (stillMissing.Count > 0)
        throw new Exception($"Still missing after apt-get install: {string.Join(", ", stillMissing)}");
});

Task("Build")
    .Does(() =>
{
    DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration });
});

Task("Test")
    .IsDependentOn("Prerequisites")
    .IsDependentOn("Build")
    .Does(() =>
{
    var results = artifacts.Combine("test-results");
    CleanDirectory(results);
    int exit = 0;
    foreach (var project in GetFiles("./*.Tests/*.Tests.csproj"))
    {
        var trx = project.GetFilenameWithoutExtension() + ".trx";
        var settings = new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            ResultsDirectory = results,
            Loggers = new[] { "trx;LogFileName=" + trx, "console;verbosity=normal" },
        };
        try { DotNetTest(project.FullPath, settings); }
        catch (Exception ex) { Warning(ex.Message); exit = 1; }
    }

    int passed = 0, failed = 0, files = 0;
    foreach (var file in GetFiles(results.FullPath + "/*.trx"))
    {
        files++;
        var counters = XDocument.Load(file.FullPath).Descendants().First(e => e.Name.LocalName == "Counters");
        passed += (int)counters.Attribute("passed");
        failed += (int)counters.Attribute("failed") + (int)counters.Attribute("error") + (int)counters.Attribute("timeout") + (int)counters.Attribute("aborted");
    }
    if (files == 0)
        failed++;
    var summary = $"{passed} passed, {failed} failed";
    System.IO.File.WriteAllText(artifacts.CombineWithFilePath("test-summary.txt").FullPath, summary + "\n");
    Console.WriteLine(summary);
    if (failed > 0 || exit != 0)
        throw new Exception("Tests failed.");
});

Task("Demo")
    .Does(() =>
{
    DotNetRun("./NLog.Targets.PyLog.Demo/NLog.Targets.PyLog.Demo.csproj", demoArgs, new DotNetRunSettings { Configuration = configuration });
});

Task("Bench")
    .Does(() =>
{
    DotNetRun("./NLog.Targets.PyLog.Benchmarks/NLog.Targets.PyLog.Benchmarks.csproj",
        $"--filter {benchFilter} --artifacts {artifacts.Combine("benchmarks")}",
        new DotNetRunSettings { Configuration = "Release" });
});

Task("Pack")
    .Does(() =>
{
    DotNetPack("./NLog.Targets.PyLog/NLog.Targets.PyLog.csproj", new DotNetPackSettings
    {
        Configuration = configuration,
        OutputDirectory = artifacts.Combine("packages"),
    });
});

RunTarget(target);

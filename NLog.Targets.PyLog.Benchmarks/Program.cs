using BenchmarkDotNet.Running;

namespace NLog.Targets.PyLog.Benchmarks
{
    /// <summary>Runs the benchmarks: <c>dotnet run -c Release --project NLog.Targets.PyLog.Benchmarks -- --filter '*'</c>.</summary>
    public static class Program
    {
        public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

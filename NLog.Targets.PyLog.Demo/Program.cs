namespace NLog.Targets.PyLog.Demo { internal static class Program { private static int Main(string[] args) => 0; } }

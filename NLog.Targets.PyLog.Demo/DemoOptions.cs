using System;

namespace NLog.Targets.PyLog.Demo
{
    internal sealed class DemoOptions
    {
        public long Count { get; private set; } = 200_000;

        public int Threads { get; private set; } = 2;

        public string Config { get; private set; } = "samples/demo.config";

        public bool UseMel { get; private set; }

        /// <summary>Parses the command line; null means "print usage".</summary>
        public static DemoOptions? Parse(string[] args)
        {
            var options = new DemoOptions();
            for (int i = 0; i < args.Length; i++)
            {
                string? next = i + 1 < args.Length ? args[i + 1] : null;
                switch (args[i])
                {
                    case "--count" when long.TryParse(next, out long count) && count > 0:
                        options.Count = count;
                        i++;
                        break;
                    case "--threads" when int.TryParse(next, out int threads) && threads > 0:
                        options.Threads = threads;
                        i++;
                        break;
                    case "--config" when !string.IsNullOrEmpty(next):
                        options.Config = next;
                        i++;
                        break;
                    case "--mel":
                        options.UseMel = true;
                        break;
                    default:
                        Console.Error.WriteLine($"Unknown or incomplete option: {args[i]}");
                        return null;
                }
            }
            return options;
        }
    }
}

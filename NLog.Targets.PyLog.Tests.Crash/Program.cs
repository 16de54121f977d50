using System;
using System.Diagnostics;
using System.Threading;
using NLog;
using NLog.Targets.PyLog;

// Usage: crash <nlog.config> <first> <count> <wait-for-empty: yes|no>
//   Logs events "event {i}" for i in [first, first+count), prints "LOGGED" and then either waits
//   to be killed (no) or until the DiskBufferWrapper named "buffer" holds nothing, then shuts
//   down and prints "EMPTY" (yes).
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: crash <nlog.config> <first> <count> <wait-for-empty: yes|no>");
    return 2;
}

var factory = new LogFactory().Setup()
    .SetupExtensions(e =>
    {
        e.RegisterAssembly(typeof(DiskBufferTargetWrapper).Assembly);
        e.RegisterTarget<NLog.Targets.PyLog.Tests.Crash.TcpLineTarget>("CrashTcpLine");
    })
    .LoadConfigurationFromFile(args[0])
    .LogFactory;
var buffer = factory.Configuration!.FindTargetByName<DiskBufferTargetWrapper>("buffer")
    ?? throw new InvalidOperationException("the config has no DiskBufferWrapper named 'buffer'");
var logger = factory.GetLogger("crash");
int first = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
int count = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
for (int i = first; i < first + count; i++)
    logger.Info("event {0}", i);
Console.WriteLine("LOGGED");
Console.Out.Flush();

if (args[3] != "yes")
{
    Thread.Sleep(Timeout.Infinite);
    return 0;
}

var watch = Stopwatch.StartNew();
while (buffer.BufferedEvents > 0)
{
    if (watch.Elapsed > TimeSpan.FromMinutes(2))
    {
        Console.WriteLine("TIMEOUT " + buffer.BufferedEvents);
        return 1;
    }
    Thread.Sleep(20);
}
factory.Shutdown();
Console.WriteLine("EMPTY");
Console.Out.Flush();
return 0;

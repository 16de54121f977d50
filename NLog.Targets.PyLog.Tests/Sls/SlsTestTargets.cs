using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Sls
{
    /// <summary>SLS targets wired to an emulator, with short timings for tests.</summary>
    internal static class SlsTestTargets
    {
        public static SlsTarget For(SlsEmulator emulator, string name, SlsCompression compression = SlsCompression.Lz4)
        {
            return new SlsTarget
            {
                Name = name,
                Endpoint = emulator.Endpoint,
                Project = emulator.Project,
                Logstore = emulator.Logstore,
                AccessKeyId = emulator.AccessKeyId,
                AccessKeySecret = emulator.AccessKeySecret,
                Compression = compression,
                LingerMilliseconds = 20,
                RetryDelayMilliseconds = 10,
                MaxRetryDelayMilliseconds = 100,
            };
        }
    }
}

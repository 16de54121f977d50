using System;
using System.IO;

namespace NLog.Targets.PyLog.Tests.Support
{
    /// <summary>A fresh folder under the system temp path, deleted on dispose.</summary>
    internal sealed class FilesTempFolder : IDisposable
    {
        public FilesTempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pylog-files-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                if (Directory.Exists(Path))
                    Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a test may leave a file open on failure
            }
        }
    }
}

using System;
using System.Runtime.InteropServices;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>
    /// The raw LZ4 block API of the system's liblz4 (<c>LZ4_compress_default</c>,
    /// <c>LZ4_compressBound</c>), bound at run time so that a machine without it can still use
    /// <c>deflate</c> or <c>none</c>.
    /// </summary>
    internal static unsafe class Lz4Native
    {
        /// <summary>The library name a Debian/Ubuntu machine has (package <c>liblz4-1</c>).</summary>
        public const string LibraryName = "liblz4.so.1";

        private static readonly string[] s_candidates = { LibraryName, "liblz4.so", "liblz4.1.dylib", "liblz4.dylib", "liblz4.dll", "lz4.dll", "lz4" };
        private static readonly object s_lock = new object();
        private static bool s_loaded;
        private static string? s_error;
        private static delegate* unmanaged[Cdecl]<byte*, byte*, int, int, int> s_compress;
        private static delegate* unmanaged[Cdecl]<int, int> s_bound;

        /// <summary>Loads the library once; false with a message that names it when it is missing.</summary>
        public static bool TryLoad(out string? error)
        {
            lock (s_lock)
            {
                if (!s_loaded && s_error == null)
                    Load();
                error = s_error;
                return s_loaded;
            }
        }

        public static int CompressBound(int size) => s_bound(size);

        /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/>; returns the compressed length.</summary>
        public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
        {
            fixed (byte* src = source)
            fixed (byte* dst = destination)
            {
                int written = s_compress(src, dst, source.Length, destination.Length);
                if (written <= 0)
                    throw new InvalidOperationException("LZ4_compress_default failed for " + source.Length + " bytes.");
                return written;
            }
        }

        private static void Load()
        {
            foreach (var name in s_candidates)
            {
                if (!NativeLibrary.TryLoad(name, typeof(Lz4Native).Assembly, null, out var handle))
                    continue;
                if (NativeLibrary.TryGetExport(handle, "LZ4_compress_default", out var compress)
                    && NativeLibrary.TryGetExport(handle, "LZ4_compressBound", out var bound))
                {
                    s_compress = (delegate* unmanaged[Cdecl]<byte*, byte*, int, int, int>)compress;
                    s_bound = (delegate* unmanaged[Cdecl]<int, int>)bound;
                    s_loaded = true;
                    return;
                }
            }
            s_error = "compression 'lz4' needs the native LZ4 library (" + LibraryName + ") and it could not be loaded: install it "
                + "(Debian/Ubuntu: apt-get install liblz4-1; Alpine: apk add lz4-libs; macOS: brew install lz4) or set compression=\"deflate\"";
        }
    }
}

namespace NLog.Targets.PyLog
{
    /// <summary>The <c>Compression</c> option of the SLS target.</summary>
    public enum SlsCompression
    {
        /// <summary>Raw LZ4 block (<c>x-log-compresstype: lz4</c>), compressed by managed code (K4os.Compression.LZ4), no native library.</summary>
        Lz4,

        /// <summary>zlib format, RFC 1950 (<c>x-log-compresstype: deflate</c>).</summary>
        Deflate,

        /// <summary>No compression: no <c>x-log-compresstype</c> header is sent.</summary>
        None,
    }
}

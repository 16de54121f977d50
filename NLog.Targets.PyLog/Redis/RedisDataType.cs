namespace NLog.Targets.PyLog
{
    /// <summary>How the Redis target stores the rendered events under its key.</summary>
    public enum RedisDataType
    {
        /// <summary>Appends to a list with one variadic <c>RPUSH</c> per key and batch (what Plumelog reads).</summary>
        List,

        /// <summary>Appends entries to a stream with <c>XADD</c> (one field holding the rendered event), optionally trimmed.</summary>
        Stream,

        /// <summary>Publishes each event to a channel with <c>PUBLISH</c> (fire-and-forget for subscribers).</summary>
        Channel,
    }
}

using System;
using System.Text.Json;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>Checks raw attribute values (<c>encode="false"</c>) so that they cannot break the event's JSON.</summary>
    internal static class RawJson
    {
        /// <summary>Is <paramref name="utf8"/> exactly one complete JSON value (surrounding whitespace allowed)?</summary>
        public static bool IsSingleValue(ReadOnlySpan<byte> utf8)
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 });
            try
            {
                if (!reader.Read())
                {
                    return false;
                }

                reader.Skip();
                return !reader.Read();
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }
}

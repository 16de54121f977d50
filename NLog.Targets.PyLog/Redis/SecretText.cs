using System;
using System.Text;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// Expands <c>${environment:NAME}</c> in secrets (password, connection string) without NLog's
    /// layout machinery, whose trace output prints layout texts and values.
    /// </summary>
    internal static class SecretText
    {
        private const string Prefix = "${environment:";

        public static string? Expand(string? value, string property)
        {
            if (string.IsNullOrEmpty(value) || !value.Contains("${", StringComparison.Ordinal))
                return value;

            var result = new StringBuilder(value.Length);
            int position = 0;
            while (position < value.Length)
            {
                int start = value.IndexOf("${", position, StringComparison.Ordinal);
                if (start < 0)
                {
                    result.Append(value, position, value.Length - position);
                    break;
                }
                result.Append(value, position, start - position);
                int end = value.IndexOf('}', start);
                if (end < 0 || !value.AsSpan(start).StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
                    throw new NLogConfigurationException($"{property}: only ${{environment:NAME}} can be used in it (it is a secret and is never handed to NLog's layout engine).");
                var name = value.AsSpan(start + Prefix.Length, end - start - Prefix.Length);
                if (name.StartsWith("variable=", StringComparison.OrdinalIgnoreCase))
                    name = name.Slice("variable=".Length);
                result.Append(Environment.GetEnvironmentVariable(name.ToString()));
                position = end + 1;
            }
            return result.ToString();
        }
    }
}

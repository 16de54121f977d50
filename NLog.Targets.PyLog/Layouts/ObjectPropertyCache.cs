using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// The public readable properties used to write an object as a JSON object, resolved once
    /// per type. Framework types (<c>System.*</c>: <c>Uri</c>, <c>Version</c>, <c>IPAddress</c>,
    /// reflection types...) and types without readable properties are written with
    /// <c>ToString()</c> instead (<c>null</c> from <see cref="Get"/>).
    /// </summary>
    internal static class ObjectPropertyCache
    {
        private static readonly ConcurrentDictionary<Type, PropertyInfo[]?> s_cache = new ConcurrentDictionary<Type, PropertyInfo[]?>();
        private static readonly Func<Type, PropertyInfo[]?> s_resolve = Resolve;
        private static readonly ConcurrentDictionary<Type, byte[]> s_placeholders = new ConcurrentDictionary<Type, byte[]>();
        private static readonly Func<Type, byte[]> s_createPlaceholder = CreatePlaceholder;

        public static PropertyInfo[]? Get(Type type) => s_cache.GetOrAdd(type, s_resolve);

        /// <summary>
        /// What stands for an object too deep to write: <c>"[Name]"</c> as a JSON string, the type's
        /// name without generic arity (<c>"[List]"</c>), <c>"[object]"</c> for an anonymous type.
        /// </summary>
        public static byte[] GetPlaceholder(Type type) => s_placeholders.GetOrAdd(type, s_createPlaceholder);

        private static byte[] CreatePlaceholder(Type type)
        {
            string name = type.Name;
            if (type.IsDefined(typeof(CompilerGeneratedAttribute), false) || name.StartsWith("<", StringComparison.Ordinal))
            {
                name = "object";
            }
            else
            {
                int tick = name.IndexOf('`');
                if (tick > 0)
                {
                    name = name.Substring(0, tick);
                }
            }

            var buffer = new Utf8JsonBuffer(name.Length + 4);
            buffer.WriteString("[" + name + "]");
            return buffer.WrittenSpan.ToArray();
        }

        private static PropertyInfo[]? Resolve(Type type)
        {
            if (IsFrameworkType(type) || typeof(Delegate).IsAssignableFrom(type) || typeof(MemberInfo).IsAssignableFrom(type))
            {
                return null;
            }

            var properties = new List<PropertyInfo>();
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public))
            {
                if (property.CanRead && property.GetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0)
                {
                    properties.Add(property);
                }
            }

            return properties.Count == 0 ? null : properties.ToArray();
        }

        private static bool IsFrameworkType(Type type)
        {
            if (type.IsDefined(typeof(CompilerGeneratedAttribute), false))
            {
                return false; // anonymous types
            }

            string? ns = type.Namespace;
            return ns != null && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal) || ns == "Microsoft" || ns.StartsWith("Microsoft.", StringComparison.Ordinal));
        }
    }
}

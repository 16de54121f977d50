using System;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using NLog.Targets.PyLog.Core;
using StackExchange.Redis;

namespace NLog.Targets.PyLog.Redis
{
    /// <summary>
    /// Writes the unsettled items of a batch in one round trip: one variadic <c>RPUSH</c> per key
    /// (lists), pipelined <c>XADD</c>s (streams) or pipelined <c>PUBLISH</c>es (channels). Items
    /// whose command succeeded are marked delivered, so a retry after a partial failure sends only
    /// the rest.
    /// </summary>
    internal sealed class RedisBatchSender
    {
        private readonly RedisDataType _dataType;
        private readonly int? _maxLength;
        private readonly RedisValue _streamField;

        public RedisBatchSender(RedisDataType dataType, long maxLength, string streamField)
        {
            _dataType = dataType;
            // StreamAddAsync's int? overload: the one StackExchange.Redis 2.x and 3.x both keep.
            _maxLength = maxLength > 0 ? (int)Math.Min(maxLength, int.MaxValue) : null;
            _streamField = streamField;
        }

        /// <summary>Sends; throws the first failure after marking what did succeed.</summary>
        public Task SendAsync(IDatabase database, NetworkBatch<byte[]> batch)
        {
            if (_dataType == RedisDataType.Channel)
                return PublishAsync(database, batch);
            if (_dataType == RedisDataType.Stream)
                return StreamAddAsync(database, batch);

            var keys = batch.PendingKeys();
            if (keys.Count == 1)
                return SendKeyAsync(database, batch, keys[0]!);

            // Several keys (a layout Key): one command per key, pipelined in one batch.
            var redisBatch = database.CreateBatch();
            var tasks = new Task[keys.Count];
            for (int k = 0; k < keys.Count; k++)
                tasks[k] = SendKeyAsync(redisBatch, batch, keys[k]!);
            redisBatch.Execute();
            return AwaitAllAsync(tasks);
        }

        private async Task SendKeyAsync(IDatabaseAsync database, NetworkBatch<byte[]> batch, string key)
        {
            var values = ValuesFor(batch, key);
            await database.ListRightPushAsync(key, values).ConfigureAwait(false);
            batch.MarkDeliveredWithKey(key);
        }

        private Task StreamAddAsync(IDatabase database, NetworkBatch<byte[]> batch)
        {
            // XADD takes one entry per command: pipeline them in order on one connection.
            var redisBatch = database.CreateBatch();
            var tasks = new Task<RedisValue>?[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch.IsSettled(i))
                    continue;
                tasks[i] = redisBatch.StreamAddAsync(batch.KeyOf(i), _streamField, batch[i], null, _maxLength, _maxLength.HasValue);
            }
            redisBatch.Execute();
            return SettleEachAsync(batch, tasks);
        }

        private static async Task PublishAsync(IDatabase database, NetworkBatch<byte[]> batch)
        {
            var redisBatch = database.CreateBatch();
            var tasks = new Task<long>?[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch.IsSettled(i))
                    continue;
                tasks[i] = redisBatch.PublishAsync(new RedisChannel(batch.KeyOf(i)!, RedisChannel.PatternMode.Literal), batch[i]);
            }
            redisBatch.Execute();
            await SettleEachAsync(batch, tasks).ConfigureAwait(false);
        }

        /// <summary>Marks each item whose command succeeded; throws the first failure after that.</summary>
        private static async Task SettleEachAsync(NetworkBatch<byte[]> batch, Task?[] tasks)
        {
            Exception? first = null;
            for (int i = 0; i < tasks.Length; i++)
            {
                var task = tasks[i];
                if (task is null)
                    continue;
                try
                {
                    await task.ConfigureAwait(false);
                    batch.MarkDelivered(i);
                }
                catch (Exception ex)
                {
                    first ??= ex;
                }
            }
            if (first != null)
                ExceptionDispatchInfo.Capture(first).Throw();
        }

        private static async Task AwaitAllAsync(Task[] tasks)
        {
            Exception? first = null;
            foreach (var task in tasks)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    first ??= ex;
                }
            }
            if (first != null)
                ExceptionDispatchInfo.Capture(first).Throw();
        }

        private static RedisValue[] ValuesFor(NetworkBatch<byte[]> batch, string key)
        {
            var values = new RedisValue[batch.CountPendingWithKey(key)];
            int next = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch.IsPendingWithKey(i, key))
                    values[next++] = batch[i];
            }
            return values;
        }
    }
}

using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Redis
{
    /// <summary>Plumelog's compressor mode: one LZ4 envelope per batch on <c>plume_log_list_compress</c>, decoded as the Java server does (same redis-server as the delivery tests).</summary>
    public sealed partial class RedisTargetDeliveryTests
    {
        [TestMethod]
        public void Compressor_writes_one_envelope_per_batch_to_the_compress_list_that_the_server_decodes()
        {
            const int events = 250;
            using var client = Server.Client();
            client.Call("DEL", "plume_log_list", "plume_log_list_compress");
            var target = RedisTestSupport.Target(Server, "compress");
            target.Compressor = true;
            target.BatchSize = 100;
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("Shop.Orders");
            for (int i = 0; i < events; i++)
            {
                if (i % 50 == 0)
                    logger.Error(new InvalidOperationException("boom \"quoted\""), "订单 {0} failed\tat \\path", i);
                else
                    logger.Info("订单 {0} 已支付 {1}", i, "emoji \U0001F600");
            }
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            Assert.AreEqual(0L, client.ListLength("plume_log_list"), "a server in compressor mode never reads plume_log_list");
            var envelopes = client.ListRange("plume_log_list_compress");
            Assert.IsTrue(envelopes.Count >= 3 && envelopes.Count < events, $"one envelope per batch of at most 100, not per event ({envelopes.Count})");

            var records = new List<string>();
            foreach (var envelope in envelopes)
                records.AddRange(PlumelogServerView.DecodeEnvelope(envelope));
            Assert.AreEqual(events, records.Count);
            for (int i = 0; i < events; i++)
            {
                var record = PlumelogServerView.ParseRecord(records[i]);
                string content = record.GetProperty("content").GetString()!;
                if (i % 50 == 0)
                {
                    StringAssert.StartsWith(content, "订单 " + i.ToString(CultureInfo.InvariantCulture) + " failed\tat \\path\nSystem.InvalidOperationException: boom \"quoted\"");
                    Assert.AreEqual("ERROR", record.GetProperty("logLevel").GetString());
                }
                else
                {
                    Assert.AreEqual("订单 " + i.ToString(CultureInfo.InvariantCulture) + " 已支付 emoji \U0001F600", content);
                }
            }
        }

        [TestMethod]
        public void Overflow_block_with_a_full_queue_delivers_every_event()
        {
            const int events = 20_000;
            using var client = Server.Client();
            var target = RedisTestSupport.Target(Server, "block");
            target.Key = "block-" + target.Name;
            target.QueueLimit = 200;
            target.BatchSize = 100;
            target.OverflowAction = NLog.Targets.Wrappers.AsyncTargetWrapperOverflowAction.Block;
            var factory = TestLogFactory.With(target);
            var logger = factory.GetLogger("L");
            var producer = new System.Threading.Thread(() =>
            {
                for (int i = 0; i < events; i++)
                    logger.Info("blocked {0}", i);
            });
            producer.Start();
            Poll.Until(() => !producer.IsAlive, "the logging thread got through a queue that was full most of the time", 120_000);
            factory.Flush(TimeSpan.FromSeconds(30));
            factory.Shutdown();
            Assert.AreEqual((long)events, client.ListLength(target.Key.ToString()!));
        }

        [TestMethod]
        public void Compressor_keeps_a_custom_key_and_escapes_raw_control_characters_of_any_layout()
        {
            using var client = Server.Client();
            var target = RedisTestSupport.Target(Server, "compress-key");
            target.Key = "custom-" + target.Name;
            target.Compressor = true;
            target.Layout = "${message}";
            var factory = TestLogFactory.With(target);
            factory.GetLogger("L").Info("line one\nline two\u0001 \"q\" \\ end");
            factory.Flush(TimeSpan.FromSeconds(10));
            factory.Shutdown();

            var envelopes = client.ListRange(target.Key.ToString()!);
            Assert.AreEqual(1, envelopes.Count);
            CollectionAssert.AreEqual(new[] { "line one\nline two\u0001 \"q\" \\ end" }, PlumelogServerView.DecodeEnvelope(envelopes[0]));
        }
    }
}

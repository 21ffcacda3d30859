// Streams between real Comlink in Node and comlink_py in a Pyodide worker, both ways: generators
// and async generators returned by Python, JS async iterables and ReadableStreams passed to Python.
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import * as Comlink from "comlink";
import { RemoteStream, startPythonWorker, stream } from "../../../js_shim/node.mjs";
import { check, eventually } from "./harness.mjs";

const CODE = `
import asyncio
import comlink_py
from comlink_py import stream, transfer
from comlink_py.js import host

log = []
produced = [0]

class Api:
    def rows(self, n):
        try:
            for i in range(n):
                produced[0] += 1
                yield {"i": i, "v": "x"}
        finally:
            log.append("rows closed")

    async def ticks(self, n):
        try:
            for i in range(n):
                await asyncio.sleep(0)
                yield i
        finally:
            log.append("ticks closed")

    def counted(self):
        return stream(self.rows(10**9), batch=4, window=2)

    def boom(self):
        yield 1
        raise KeyError("no such row")

    def chunks(self, n, size):
        for i in range(n):
            chunk = bytearray([i]) * size
            yield transfer(chunk, [chunk])

    async def total(self, numbers):
        return sum([x async for x in numbers])

    async def collect(self, items):
        return [type(items).__name__, [x async for x in items]]

    def held(self):
        try:
            while True:
                yield 1
        finally:
            log.append("held closed")

    async def sizes(self, items):
        return [len(chunk) async for chunk in items]

    async def first(self, items, n):
        got = []
        async for x in items:
            got.append(x)
            if len(got) == n:
                break
        await items.aclose()
        return got

    async def to_js(self, n):
        async def numbers():
            for i in range(n):
                yield i * i
        return await host().sum_stream(numbers())

    def produced(self):
        return produced[0]

    def log(self):
        return log

    def tasks(self):
        return len(asyncio.all_tasks())

    def serve(self, port):
        comlink_py.expose(Api(), port)

    async def read_peer(self, port, n):
        peer = comlink_py.wrap(port)
        got = [row["i"] async for row in await peer.rows(n)]
        async for row in await peer.rows(10**9):
            if row["i"] == 2:
                break
        await asyncio.sleep(0.05)
        return [len(got), got[-1], await peer.log()]

comlink_py.expose(Api())
`;

const jsLog = [];
const hostApi = {
  async sum_stream(items) {
    let total = 0;
    for await (const x of items) total += x;
    return [items instanceof RemoteStream, total];
  },
};

const py = startPythonWorker({ code: CODE, host: hostApi });
const { remote } = py;

await check("streams.generator_to_for_await", async () => {
  const rows = await remote.rows(1000);
  const got = [];
  for await (const row of rows) got.push(row);
  return { isRemoteStream: rows instanceof RemoteStream, count: got.length, first: got[0], last: got[999] };
});

await check("streams.async_generator", async () => {
  const got = [];
  for await (const x of await remote.ticks(600)) got.push(x);
  return got.length === 600 && got.every((x, i) => x === i);
});

await check("streams.break_closes_producer", async () => {
  for await (const row of await remote.rows(1e9)) if (row.i === 5) break;
  for await (const x of await remote.ticks(1e9)) if (x === 5) break;
  const log = await remote.log();
  return log.slice(-2);
});

await check("streams.back_pressure", async () => {
  const before = await remote.produced();
  const counted = await remote.counted();
  const first = await counted.next();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const ahead = (await remote.produced()) - before;
  await counted.return();
  return { first: first.value, ahead };
});

await check("streams.garbage_collected_consumer_closes_producer", async () => {
  await (async () => {
    const held = await remote.held();
    await held.next();
  })();
  v8.setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  return await eventually(async () => {
    gc();
    return (await remote.log()).includes("held closed");
  });
});

await check("streams.producer_error", async () => {
  const got = [];
  try {
    for await (const x of await remote.boom()) got.push(x);
    return "no error";
  } catch (error) {
    return { got, name: error.name, message: error.message };
  }
});

await check("streams.transferred_chunks", async () => {
  const sizes = [];
  let kind = null;
  for await (const chunk of await remote.chunks(4, 1 << 16)) {
    kind = chunk.constructor.name;
    const bytes = new Uint8Array(chunk.buffer ?? chunk);
    sizes.push([bytes.length, bytes[0], bytes[bytes.length - 1]]);
  }
  return { kind, sizes };
});

await check("streams.js_async_generator_to_python", async () => {
  async function* numbers() {
    try {
      for (let i = 1; i <= 100; i++) yield i;
    } finally {
      jsLog.push("numbers closed");
    }
  }
  return await remote.total(numbers());
});

await check("streams.readable_stream_to_python", async () => {
  const readable = new ReadableStream({
    start(controller) {
      for (const word of ["a", "b", "c"]) controller.enqueue(word);
      controller.close();
    },
  });
  return await remote.collect(readable);
});

await check("streams.js_buffers_moved_to_python", async () => {
  const buffers = [new ArrayBuffer(1024), new Uint8Array(2048)];
  const sizes = await remote.sizes(stream(buffers, { transfer: true }));
  const copied = [new ArrayBuffer(16)];
  const copiedSizes = await remote.sizes(stream(copied));
  return { sizes, left: [buffers[0].byteLength, buffers[1].byteLength], copiedSizes, copiedLeft: copied[0].byteLength };
});

await check("streams.python_stops_js_generator", async () => {
  let made = 0;
  async function* endless() {
    try {
      for (;;) yield made++;
    } finally {
      jsLog.push("endless closed");
    }
  }
  const got = await remote.first(stream(endless(), { batch: 8, window: 1 }), 3);
  return { got, closed: await eventually(() => jsLog.includes("endless closed")), made };
});

await check("streams.python_async_generator_to_js", async () => await remote.to_js(10));

await check("streams.between_pyodide_workers", async () => {
  const other = startPythonWorker({ code: CODE });
  const { port1, port2 } = new MessageChannel();
  await other.remote.serve(Comlink.transfer(port1, [port1]));
  const result = await remote.read_peer(Comlink.transfer(port2, [port2]), 3000);
  await other.terminate();
  return result;
});

await check("streams.nothing_left_behind", async () => {
  const settled = await eventually(async () => (await remote.tasks()) <= 1);
  return { settled, tasks: await remote.tasks() };
});

await py.terminate();

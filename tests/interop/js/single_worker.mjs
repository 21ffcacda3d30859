// Rows 1, 2, 4 and 5 (queued calls) of the interop matrix, against one Pyodide worker thread that
// runs ../py/service.py: JS Comlink calling Python, Python calling a JS Comlink peer, 1,000 calls
// in flight, and calls made before the worker finished starting.
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { startPythonWorker } from "../../../js_shim/node.mjs";
import { makeApi } from "./api.mjs";
import { SERVICE, check, describe, eventually, report, settled, sleep } from "./harness.mjs";

const host = makeApi();
const py = startPythonWorker({ file: SERVICE, host });
let ready = false;
py.ready.then(() => {
  ready = true;
});
const remote = py.remote;

// Row 5: calls made at once, while Pyodide is still loading.
const early = [remote.add(40, 2), remote.data.nested.list[1], remote.slow_double(4), new remote.Counter(3)];
const readyWhenIssued = ready;
await check("startup.queued_calls", async () => {
  const [sum, item, doubled, counter] = await Promise.all(early);
  return { ready_when_issued: readyWhenIssued, answers: [sum, item, doubled, await counter.increment()] };
});
await check("startup.ready", () => py.ready.then(() => "ready"));

// Row 1: JS Comlink wraps what Python exposes.
await check("js_py.get_nested", async () => [
  await remote.data.nested.list[2].three,
  await remote.data.nested.flag,
  describe(await remote.data),
]);
await check("js_py.set_then_get", async () => {
  remote.store.mode = "fast";
  remote.store.shape = { sides: [3, 4] };
  return [await remote.store.mode, await remote.store.shape];
});
await check("js_py.apply_sync", async () => [await remote.add(2, 3), await remote.add("a", "b")]);
await check("js_py.apply_async", () => Promise.all([remote.slow_double(21), remote.slow_double(1)]));
await check("js_py.construct", async () => {
  const counter = await new remote.Counter(10);
  const values = [await counter.increment(), await counter.increment(5), await counter.value];
  counter[Comlink.releaseProxy]();
  return values;
});
await check("js_py.create_endpoint", async () => {
  const port = await remote[Comlink.createEndpoint]();
  const second = Comlink.wrap(nodeEndpoint(port));
  const result = [port.constructor.name, await second.add(1, 1), await second.data.nested.flag];
  second[Comlink.releaseProxy]();
  return result;
});
await check("js_py.release_finalizer", async () => {
  const resource = await new remote.Resource("r1");
  const pong = await resource.ping();
  resource[Comlink.releaseProxy]();
  let after;
  try {
    await resource.ping();
    after = "answered";
  } catch (error) {
    after = error.message;
  }
  return [pong, after, await eventually(async () => (await remote.finalized()).includes("r1"))];
});
await check("js_py.error", async () => settled(remote.fail("bad input")));
await check("js_py.proxy_callback", async () => {
  const seen = [];
  const results = [
    await remote.call_back(Comlink.proxy((x) => x + 1), 41),
    await remote.call_back(
      Comlink.proxy(async (x) => {
        seen.push(x);
        await sleep(1);
        return x * 3;
      }),
      7,
    ),
  ];
  return [results, seen];
});
await check("js_py.transfer", async () => {
  const buffer = new Uint8Array([1, 2, 3]).buffer;
  const result = await remote.byte_sum(Comlink.transfer(buffer, [buffer]));
  return [result, buffer.byteLength];
});
await check("js_py.returned_proxy", async () => {
  const greeter = await remote.make_greeter("hi");
  const greeting = await greeter.greet("ada");
  greeter[Comlink.releaseProxy]();
  return [greeting, await eventually(async () => (await remote.finalized()).includes("greeter hi"))];
});
await check("js_py.values_to_python", async () => remote.describe(...Object.values(host.sample())));
await check("js_py.values_from_python", async () => describe(await remote.sample()));
await check("js_py.unclonable_result", async () => settled(remote.Counter));
await check("js_py.private_name", async () => settled(remote._private_thing));

// Row 4: 1,000 calls in flight at once, each answered with its own answer.
await check("js_py.in_flight", async () => {
  const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => remote.echo(i, `s${i}`)));
  return answers.filter((answer, i) => answer[0] === i && answer[1] === `s${i}`).length;
});

// Proxies made and released many times leave no PyProxy behind in the worker.
await check("js_py.leaks", async () => {
  const before = await remote.live();
  for (let i = 0; i < 20; i++) {
    await remote.call_back(Comlink.proxy((x) => x), i);
    const greeter = await remote.make_greeter(`g${i}`);
    await greeter.greet("x");
    greeter[Comlink.releaseProxy]();
    const counter = await new remote.Counter(i);
    await counter.increment();
    counter[Comlink.releaseProxy]();
    const port = await remote[Comlink.createEndpoint]();
    const second = Comlink.wrap(nodeEndpoint(port));
    await second.add(i, i);
    second[Comlink.releaseProxy]();
  }
  return [before, await remote.live(before)];
});

// Row 2: Python wraps the JS object this thread exposed (the shim's `host`).
const fromPython = await remote.check_host();
for (const [name, value] of Object.entries(fromPython)) report(`py_js.${name}`, value);
report("py_js.received_by_js", host.received);

await py.terminate();

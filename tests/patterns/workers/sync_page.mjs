// The page of test_sync.py: a Pyodide worker whose Python makes blocking calls to this page's host
// object (exposed with the real Comlink.expose) and reads input() from window.prompt, the default.
import { Comlink, startPythonWorker } from "../../../js_shim/browser.mjs";
import { relaySync } from "../../../js_shim/sync_host.mjs";

const host = {
  title: "sync page",
  add: (a, b) => a + b,
  fail() {
    throw new RangeError("out of range");
  },
  big: (size) => new Uint8Array(size).fill(9).buffer,
  size: (data) => [data.constructor.name, data.byteLength, new Uint8Array(data.buffer ?? data)[data.byteLength - 1]],
  async walk(steps, onStep) {
    let total = 0;
    for (let step = 0; step < steps; step++) total += await onStep(step);
    return total;
  },
  makeCounter() {
    let count = 0;
    return Comlink.proxy({ inc: () => ++count });
  },
  never: () => new Promise(() => {}),
};

const CODE = `
import time
import comlink_py
from comlink_py import blocking
from comlink_py.shared import host_sync, open_link


def _error(call):
    started = time.perf_counter()
    try:
        call()
    except BaseException as error:
        return [type(error).__name__, str(error), time.perf_counter() - started]
    return ["no error"]


class Api:
    def values(self):
        host = host_sync(timeout=30)
        big = host.big(64 << 20)
        counter = host.makeCounter()
        return {
            "add": host.add(2, 3),
            "title": blocking.get(host.title),
            "error": _error(host.fail)[:2],
            "big": [type(big).__name__, len(big), big[0], big[len(big) - 1]],
            "walk": host.walk(3, comlink_py.proxy(lambda step: step + 1)),
            "counter": [counter.inc(), counter.inc()],
            "sent": host.size(bytearray(b"\\x05" * (64 << 20))),
        }

    def timeout(self):
        caught = _error(host_sync(timeout=0.3).never)
        return [caught[0], caught[2] < 2]

    def ask(self):
        return input("What is your name? ")

    def peer(self, port, buffer):
        peer = comlink_py.wrap_sync(open_link(port, buffer), timeout=30)
        second = comlink_py.wrap_sync(blocking.create_endpoint(peer), timeout=30)
        return [peer.add(20, 22), peer.add(1, 1), second.add(3, 4)]

    def endpoints(self):
        host = host_sync(timeout=30)
        second = comlink_py.wrap_sync(blocking.create_endpoint(host), timeout=30)
        out = [second.add(2, 3), blocking.get(second.title)]
        blocking.release(second)
        return [*out, host.add(1, 1)]

    def interruptible(self):
        import js
        host = host_sync(timeout=30)
        try:
            host.never()
        except KeyboardInterrupt:
            seen = js.Date.now()
        else:
            return ["not interrupted"]
        return [seen, len(object.__getattribute__(host, "_link").caller.pending), host.add(2, 3)]

    def unavailable(self):
        return _error(lambda: host_sync().add(1, 2))[:2]


comlink_py.expose(Api())
`;

const started = startPythonWorker({ host, code: CODE });
// A second Python worker, which the first calls blocking through a channel this page relays.
const peer = startPythonWorker({
  code: "import comlink_py\n\nclass Peer:\n    def add(self, a, b):\n        return a + b\n\ncomlink_py.expose(Peer())\n",
});
async function callPeer() {
  const channel = relaySync(await peer.remote[Comlink.createEndpoint]());
  return started.remote.peer(Comlink.transfer(channel.port, [channel.port]), channel.buffer);
}
/** Interrupt a blocked call: whether the interrupt was written, how soon Python saw it, what it said. */
async function interruptBlocked() {
  const call = started.remote.interruptible();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const begun = Date.now();
  const signalled = started.interrupt();
  const [seen, ...rest] = await call;
  return { signalled, stoppedMs: seen - begun, rest };
}
window.page = { remote: started.remote, isolated: globalThis.crossOriginIsolated, callPeer, interruptBlocked };
try {
  await Promise.all([started.ready, peer.ready]);
  document.documentElement.dataset.state = "ready";
} catch (error) {
  document.documentElement.dataset.state = "error";
  console.error(error);
}

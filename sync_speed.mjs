import { startPythonWorker } from "/work/wt-sync/js_shim/node.mjs";
const { remote, terminate, ready } = startPythonWorker({
  host: { add: (a, b) => a + b },
  code: `
import time, comlink_py
from comlink_py.shared import host_sync
from comlink_py.js import host
h = host_sync()
a = host()
class Api:
    async def run(self):
        out = {}
        for k in range(3):
            for i in range(300): h.add(1, 2)
            t = time.perf_counter()
            for i in range(3000): h.add(1, 2)
            out[f"sync{k}"] = (time.perf_counter() - t) / 3000 * 1e6
            t = time.perf_counter()
            for i in range(3000): await a.add(1, 2)
            out[f"async{k}"] = (time.perf_counter() - t) / 3000 * 1e6
        return out
comlink_py.expose(Api())
`,
});
await ready;
console.log(await remote.run());
await terminate();

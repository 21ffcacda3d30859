// The coincident row's worker (sync_bench.mjs starts it with coincident's Worker): Pyodide, and
// Python that calls the page's noop() through coincident's proxy, which blocks (a JS call that
// returns the page's answer). Requests from the page are plain messages with an id.
import coincident from "/node_modules/coincident/dist/worker.js";
import { loadPyodide } from "/node_modules/pyodide/pyodide.mjs";

const { proxy } = await coincident();
const pyodide = await loadPyodide({ indexURL: "/node_modules/pyodide/" });
pyodide.globals.set("proxy", proxy);
pyodide.runPython(`
import sys
sys.modules["sync_measure"] = type(sys)("sync_measure")
exec(proxy.measureCode(), sys.modules["sync_measure"].__dict__)
`);
const bench = pyodide.runPython(`
import json, sync_measure
ROWS = {"coincident": {"noop": proxy.noop, "sleep": proxy.sleep}}

class Bench:
    def round(self, calls):
        return json.dumps(sync_measure.round_trip_us(ROWS["coincident"]["noop"], calls))

    def long(self, _):
        ROWS["coincident"]["sleep"](1000)

Bench()
`);
addEventListener("message", async ({ data }) => {
  if (data?.method === undefined) return;
  const result = await bench[data.method](data.arg);
  proxy.answer(data.id, result ?? null);
});
proxy.ready();

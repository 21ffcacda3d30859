// Row 3 of the interop matrix: Python <-> Python across two Pyodide instances in two worker threads,
// connected by a MessageChannel whose ends the main thread hands over with Comlink.transfer.
import * as Comlink from "comlink";
import { startPythonWorker } from "../../../js_shim/node.mjs";
import { SERVICE, check, report } from "./harness.mjs";

const server = startPythonWorker({ file: SERVICE });
const client = startPythonWorker({ file: SERVICE });
const { port1, port2 } = new MessageChannel();

await check("py_py.serve", () => server.remote.serve_peer(Comlink.transfer(port1, [port1])));
const observed = await client.remote.check_peer(Comlink.transfer(port2, [port2]));
for (const [name, value] of Object.entries(observed)) report(`py_py.${name}`, value);
// The serving side's proxies are gone too once the client's Remote was collected and released.
await check("py_py.server_live_after", () => server.remote.live({ pyproxies: 4, listening: 1 }));

await Promise.all([server.terminate(), client.terminate()]);

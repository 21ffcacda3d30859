// A plain JS worker thread speaking Comlink over `nodeEndpoint(parentPort)`, for Python on the main
// thread to reach through a Node `Worker` object. workerData.mode: "expose" serves the JS peer Api;
// "wrap" calls what the main thread exposes on this worker and posts { results } back. The exposed Api
// gains \`never\`, a call that stays pending until the worker is terminated, whatever the load.
import { parentPort, workerData } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { makeApi } from "./api.mjs";

if (workerData.mode === "expose") {
  const api = makeApi();
  api.never = () => new Promise(() => {});
  Comlink.expose(api, nodeEndpoint(parentPort));
} else {
  const remote = Comlink.wrap(nodeEndpoint(parentPort));
  const counter = await new remote.Counter(1);
  const results = [await remote.add(2, 3), await remote.data.nested.flag, await counter.increment()];
  counter[Comlink.releaseProxy]();
  remote[Comlink.releaseProxy]();
  parentPort.postMessage({ results });
}

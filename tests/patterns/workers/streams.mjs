// Streams in Chromium: a page's JS Comlink reads Python generators from a Pyodide Web Worker with
// for-await and hands Python a ReadableStream. What it saw goes into window.streamResults.
import { RemoteStream, startPythonWorker } from "../../../js_shim/browser.mjs";

const py = startPythonWorker({ file: new URL("./streams_worker.py", import.meta.url) });
const { remote } = py;
const results = {};
try {
  await py.ready;
  const rows = await remote.rows(5000);
  let count = 0;
  let last = null;
  for await (const row of rows) {
    count += 1;
    last = row;
  }
  results.rows = { isRemoteStream: rows instanceof RemoteStream, count, last };
  const ticks = [];
  for await (const x of (await remote.ticks(300)).readable()) ticks.push(x);
  results.readableTicks = ticks.length === 300 && ticks.every((x, i) => x === i);
  for await (const row of await remote.rows(1e9)) if (row.i === 3) break;
  results.log = await remote.log();
  const chunks = [];
  for await (const chunk of await remote.chunks(3, 1 << 16)) chunks.push([chunk.constructor.name, chunk.byteLength, new Uint8Array(chunk)[0]]);
  results.chunks = chunks;
  try {
    for await (const x of await remote.boom()) results.beforeError = x;
  } catch (error) {
    results.error = [error.name, error.message];
  }
  const words = new ReadableStream({
    start(controller) {
      for (const word of ["a", "b", "c"]) controller.enqueue(word);
      controller.close();
    },
  });
  results.readableToPython = await remote.collect(words);
} catch (error) {
  results.failed = String(error?.stack ?? error);
} finally {
  await py.terminate();
  window.streamResults = results;
}

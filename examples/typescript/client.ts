// A TypeScript client of api.py, type-checked against the declarations generated from it
// (`python -m comlink_py.typescript api:Api > api.d.ts`), compiled with tsc and run with Node.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as Comlink from "comlink";
import { startPythonWorker } from "comlink-py-shim";
import type { Api, Point } from "./api.js";

let api: Comlink.Remote<Api>;
{
  // `await using` terminates the worker when the block ends, however it ends.
  await using python = startPythonWorker<Api>({ file: fileURLToPath(new URL("./api.py", import.meta.url)) });
  api = python.remote;
  assert.equal(await api.add(1, 2), 3);
  assert.equal(await api.greet("TypeScript", "!"), "hello TypeScript!");
  const moved: Point = await api.move({ x: 1, y: 2, label: "p" }, 0.5);
  assert.deepEqual(moved, { x: 1.5, y: 2, label: "p" });
  assert.deepEqual(await api.stats([]), { count: 0, mean: undefined });
  assert.deepEqual(await api.tally(["a", "b", "a"]), { a: 2, b: 1 });
  const checksum: Uint8Array = await api.checksum(new Uint8Array([200, 100]).buffer);
  assert.deepEqual([...checksum], [44]);
  assert.deepEqual(await api.split(["ab", 2]), ["ab", "ab"]);
  assert.equal(await api.nothing(), undefined);
  assert.deepEqual([await api.version, await api.limit, await api.mode, await api.size], ["1.0", 3, "fast", 3]);
  const journal = await new api.Journal("day 1");
  assert.equal(await journal.write("rain", "wind"), 3);
}
await assert.rejects(api.add(1, 2), { message: "the Python worker was terminated" });
console.log("client.ts: every call type-checked and answered");

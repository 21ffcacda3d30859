// Type-checked by tests/test_typescript.py against declarations generated from
// examples/typescript/api.py: each line marked with an error code must get exactly that error.
import * as Comlink from "comlink";
import type { Api } from "./api.js";

declare const endpoint: Comlink.Endpoint;
const api = Comlink.wrap<Api>(endpoint);

export async function misuse(): Promise<void> {
  await api.add("1", 2); // TS2345 wrong argument type
  await api.add(1); // TS2554 missing argument
  await api.ad(1, 2); // TS2339 no such method
  await api.stats([1], { rounded: true }); // TS2554 keyword-only: JS cannot pass it
  const sum: number = api.add(1, 2); // TS2322 a call gives a Promise: await it
  const version: string = api.version; // TS2322 an attribute read gives a Promise too
  const wrong: string = await api.add(1, 2); // TS2322 the result is a number
  await api.move({ x: 1 }, 3); // TS2345 Point needs y
  await api.move({ x: 1, y: 2, z: 3 }, 3); // TS2353 Point has no z
  await api.greet("you", 1); // TS2345 punctuation is a string
  await api.split([1, "a"]); // TS2322 the tuple is [string, number]
  await api.checksum("text"); // TS2345 bytes are an ArrayBuffer or a view
  const journal = await new api.Journal(5); // TS2345 the title is a string
  await journal.erase(); // TS2339 Journal has no erase
  const mode: "fast" = await api.mode; // TS2322 mode may be "safe"
  const echoed: string = await api.echo(1); // TS2322 Any results are unknown
  console.log(sum, version, wrong, mode, echoed);
}

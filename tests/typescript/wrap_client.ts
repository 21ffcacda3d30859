// Type-checked by tests/test_typescript.py against declarations generated from
// examples/typescript/api.py: correct uses of every kind of member, which must give no error.
import * as Comlink from "comlink";
import type { Api, Point, Stats } from "./api.js";

declare const endpoint: Comlink.Endpoint;
const api = Comlink.wrap<Api>(endpoint);

export async function use(): Promise<void> {
  const sum: number = await api.add(1, 2);
  const hello: string = await api.greet("you");
  const excited: string = await api.greet("you", "!");
  const moved: Point = await api.move({ x: 1, y: 2 }, 3);
  const labelled: Point = await api.move({ x: 1, y: 2, label: "a" }, 3);
  const stats: Stats = await api.stats([1, 2]);
  const mean: number | undefined = stats.mean;
  const counts: Record<string, number> = await api.tally(["a", "b"]);
  const echoed: unknown = await api.echo({ any: "thing" });
  const sum1: Uint8Array = await api.checksum(new Uint8Array([1, 2]));
  const sum2: Uint8Array = await api.checksum(new ArrayBuffer(2));
  const parts: string[] = await api.split(["a", 2]);
  const nothing: void = await api.nothing();
  const version: string = await api.version;
  const limit: number = await api.limit;
  const mode: "fast" | "safe" = await api.mode;
  const size: number = await api.size;
  const journal = await new api.Journal("day 1");
  const fresh = await new api.Journal();
  const value: number = await journal.write("rain");
  const more: number = await fresh.write("sun", "wind", "rain");
  console.log(sum, hello, excited, moved, labelled, mean, counts, echoed, sum1, sum2, parts, nothing);
  console.log(version, limit, mode, size, value, more);
}

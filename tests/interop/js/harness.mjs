// Shared plumbing of the interop driver scripts: run named checks and print what each observed as
// one `RESULT <json>` line, for pytest (tests/interop/conftest.py) to compare with its expectations.
import { fileURLToPath } from "node:url";

export const SERVICE = fileURLToPath(new URL("../py/service.py", import.meta.url));

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ask `probe` until it is true or 5 s have passed; its last answer. Releasing a proxy with
 *  Comlink posts a message without waiting for it, so its effects show up a little later. */
export async function eventually(probe) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const answer = await probe();
    if (answer || Date.now() > deadline) return answer;
    await sleep(10);
  }
}

/** A JSON-able description of a JS value's type and content (the JS twin of service.describe). */
export function describe(value) {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
    case "string":
      return [typeof value, value];
    case "number":
      return ["number", Number.isNaN(value) ? "NaN" : value];
    case "bigint":
      return ["bigint", String(value)];
    case "function":
      return ["function"];
    default:
      break;
  }
  if (value instanceof ArrayBuffer) return ["ArrayBuffer", [...new Uint8Array(value)]];
  if (ArrayBuffer.isView(value)) return [value.constructor.name, [...value]];
  if (Array.isArray(value)) return ["Array", value.map(describe)];
  if (value instanceof Map) return ["Map", [...value].map(([k, v]) => [describe(k), describe(v)])];
  if (value instanceof Set) return ["Set", [...value].map(describe)];
  if (value instanceof Date) return ["Date", value.toISOString()];
  if (value instanceof Error) return ["Error", value.name, value.message];
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return ["Object", Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describe(v)]))];
  }
  return ["object", value.constructor?.name ?? null];
}

/** Print one observation. */
export function report(name, value) {
  console.log(`RESULT ${JSON.stringify({ check: name, value })}`);
}

/** Run a check; its value (or the error it threw, described) becomes the observation. */
export async function check(name, fn) {
  try {
    report(name, await fn());
  } catch (error) {
    console.log(`RESULT ${JSON.stringify({ check: name, error: { name: error?.name, message: String(error?.message ?? error), stack: error?.stack } })}`);
  }
}

/** How a promise settled: ["resolved", value] or ["rejected", error description]. */
export async function settled(promise) {
  try {
    return ["resolved", await promise];
  } catch (error) {
    return ["rejected", { isError: error instanceof Error, name: error?.name, message: error?.message, stack: String(error?.stack ?? "") }];
  }
}

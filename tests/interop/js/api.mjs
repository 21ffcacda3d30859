// The JS peer of the interop matrix: the same surface as Api in ../py/service.py, exposed with the
// real Comlink so that Python's checks (service.run_checks) run against JS unchanged.
import * as Comlink from "comlink";
import { describe, sleep } from "./harness.mjs";

export function makeApi() {
  const finalized = [];
  const received = [];

  class Counter {
    constructor(start = 0) {
      this.value = start;
    }
    increment(by = 1) {
      this.value += by;
      return this.value;
    }
  }

  class Resource {
    constructor(name) {
      this.name = name;
    }
    ping() {
      return `pong ${this.name}`;
    }
    [Comlink.finalizer]() {
      finalized.push(this.name);
    }
  }

  return {
    received, // what byte_sum was given, for the driver to report
    data: { nested: { list: [1, "two", { three: 3.5 }], flag: true } },
    store: {},
    Counter,
    Resource,
    add: (a, b) => a + b,
    async slow_double(x) {
      await sleep(5);
      return x * 2;
    },
    fail(message) {
      throw new TypeError(message);
    },
    async call_back(callback, x) {
      try {
        return await callback(x);
      } finally {
        callback[Comlink.releaseProxy]();
      }
    },
    byte_sum(data) {
      received.push(describe(data));
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      return [data.constructor.name, bytes.reduce((a, b) => a + b, 0)];
    },
    make_greeter(greeting) {
      return Comlink.proxy({
        greet: (name) => `${greeting}, ${name}`,
        [Comlink.finalizer]: () => finalized.push(`greeter ${greeting}`),
      });
    },
    finalized: () => [...finalized],
    describe: (...values) => values.map(describe),
    sample: () => ({
      null: null,
      undef: undefined,
      num: 1.5,
      int: 7,
      nan: NaN,
      big: 12n,
      str: "ü€",
      u8: new Uint8Array([1, 2]),
      ab: new Uint8Array([3]).buffer,
      f64: new Float64Array([1.5]),
      arr: [1, [2]],
      obj: { k: { n: 1 } },
      map: new Map([["a", 1]]),
      set: new Set([5]),
      date: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)),
      err: new RangeError("r"),
    }),
    async echo(i, s) {
      if (i % 3 === 0) await sleep(i % 7);
      return [i, s];
    },
  };
}

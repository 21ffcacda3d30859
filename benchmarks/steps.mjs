// The CPU cost of each step of one no-op call in Pyodide, in one thread (python -m benchmarks.steps):
// in Node (node/steps.mjs) and in a page in Chromium (browser/steps.mjs). The stages are in
// stages.py; JS Comlink's own exposing and wrapping sides are measured the same way beside them.
// Every port here is fake and synchronous: nothing is posted anywhere, so what is timed is the work
// of the two sides' code, not a transport.

export const ROUNDS = 15;

/** An id like those of Comlink 4.4.2 (four random hex numbers joined by dashes). */
const newId = () =>
  Array.from({ length: 4 }, () => Math.floor(Math.random() * Number.MAX_SAFE_INTEGER).toString(16)).join("-");

/** `calls` message events of distinct no-op requests, as JS Comlink posts them. */
const requests = (calls) =>
  Array.from({ length: calls }, () => ({
    data: { id: newId(), type: "APPLY", path: ["noop"], argumentList: [] },
    origin: "",
  }));

/** A port that drops what is posted; its listener is what the loop drives. */
function sinkPort() {
  const port = {
    listener: null,
    postMessage() {},
    addEventListener(_type, listener) {
      port.listener = listener;
    },
    removeEventListener() {},
    start() {},
  };
  return port;
}

const answerTo = (message) => ({ data: { type: "RAW", value: undefined, id: message.id }, origin: "" });

/** A port that answers each request in a microtask, as a Comlink peer answers a no-op. (Answering
 *  within postMessage would re-enter the caller, which no real port does.) */
function echoPort() {
  const port = sinkPort();
  port.postMessage = (message) => queueMicrotask(() => port.listener(answerTo(message)));
  return port;
}

/** A port that keeps the answers to what is posted, for the loop to deliver. */
function recordingPort() {
  const port = sinkPort();
  port.answers = [];
  port.postMessage = (message) => port.answers.push(answerTo(message));
  return port;
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** µs per event of `listener` (JS Comlink answers in a microtask: the flush is timed too). */
async function perEvent(listener, events) {
  const start = performance.now();
  for (let i = 0; i < events.length; i++) listener(events[i]);
  await flush();
  return ((performance.now() - start) * 1000) / events.length;
}

/** The JS listener of an exposing stage, on a fresh sink port. */
function exposingListener(stages, stage, Comlink) {
  const port = sinkPort();
  if (stage === "comlink") {
    Comlink.expose({ noop() {} }, port);
    return port.listener;
  }
  const hooked = stages.exposing(stage, port);
  if (stage === "listener") return hooked(() => {}, true)[0]; // [listener, setPlan, clearPlans]
  return hooked ?? port.listener;
}

/** µs per call of a wrapping stage. */
async function wrappingStage(stages, stage, Comlink, calls) {
  if (stage === "comlink") {
    const remote = Comlink.wrap(echoPort());
    await remote.noop();
    const start = performance.now();
    for (let i = 0; i < calls; i++) await remote.noop();
    return ((performance.now() - start) * 1000) / calls;
  }
  if (stage === "answer") {
    const port = recordingPort();
    await stages.wrapping(stage, port, calls);
    return perEvent(port.listener, port.answers);
  }
  return stages.wrapping(stage, stage.startsWith("awaited") ? echoPort() : sinkPort(), calls);
}

/** Load stages.py into `pyodide` (with comlink_py installed) as the module comlink_py_stages. */
function loadStages(pyodide, source) {
  pyodide.FS.mkdirTree("/benchmarks");
  pyodide.FS.writeFile("/benchmarks/comlink_py_stages.py", source);
  pyodide.runPython("import sys\nif '/benchmarks' not in sys.path: sys.path.insert(0, '/benchmarks')");
  return pyodide.pyimport("comlink_py_stages");
}

/**
 * { exposing: {stage: µs}, wrapping: {stage: µs}, descriptions, calls, rounds }: each figure the
 * least of ROUNDS rounds of `calls` calls, the rounds interleaving every stage so that load coming
 * and going weighs on all alike. "comlink" is JS Comlink's side.
 */
export async function profile({ pyodide, Comlink, stagesSource, calls, rounds = ROUNDS }) {
  const stages = loadStages(pyodide, stagesSource);
  const asObject = { dict_converter: Object.fromEntries };
  const described = { exposing: stages.EXPOSING.toJs(asObject), wrapping: stages.WRAPPING.toJs(asObject) };
  const exposingStages = ["comlink", ...Object.keys(described.exposing)];
  const wrappingStages = ["comlink", ...Object.keys(described.wrapping)];
  const listeners = new Map(exposingStages.map((stage) => [stage, exposingListener(stages, stage, Comlink)]));
  const exposing = Object.fromEntries(exposingStages.map((stage) => [stage, Infinity]));
  const wrapping = Object.fromEntries(wrappingStages.map((stage) => [stage, Infinity]));
  for (let round = 0; round < rounds; round++) {
    for (const stage of exposingStages) {
      const events = requests(calls);
      exposing[stage] = Math.min(exposing[stage], await perEvent(listeners.get(stage), events));
    }
    for (const stage of wrappingStages) {
      wrapping[stage] = Math.min(wrapping[stage], await wrappingStage(stages, stage, Comlink, calls));
    }
  }
  const descriptions = {
    exposing: { comlink: "JS Comlink's exposing side (row 2's worker)", ...described.exposing },
    wrapping: { comlink: "JS Comlink's wrapping side: await remote.noop() (row 2's caller)", ...described.wrapping },
  };
  stages.destroy();
  return { exposing, wrapping, descriptions, calls, rounds };
}

// Start-up logic of a Python worker that every environment shares (Node worker_threads here, browser
// Web Workers elsewhere): put comlink_py into a Pyodide, hand it its ports, run the user's main code,
// and make sure every Comlink call gets an answer, the Python error included, never silence.
// Nothing here touches Node or DOM APIs: the caller passes in how to load Pyodide and the files.

/**
 * Where the shim finds what it loads, from the URL of its own folder (file: in Node, http: in a page).
 * Installed as a package (its folder sits right inside a node_modules/ folder), comlink and pyodide
 * are the packages beside it and comlink_py's sources are its own python/comlink_py/, which prepack.mjs
 * copies there when the package is packed. Anywhere else it is this repository's js_shim/, beside
 * node_modules/ and comlink_py/. One rule for both halves; a page cannot look for files without
 * requests, so the rule reads the URL only.
 */
function locate(folder) {
  const installed = /^(.*\/node_modules\/)(?:@[^/]+\/)?[^/]+\/$/.exec(folder.pathname);
  return installed
    ? { packagesURL: new URL(installed[1], folder), comlinkPyURL: new URL("python/comlink_py/", folder) }
    : { packagesURL: new URL("../node_modules/", folder), comlinkPyURL: new URL("../comlink_py/", folder) };
}

/** The node_modules/ folder holding comlink and pyodide, and the folder of comlink_py's sources. */
export const { packagesURL, comlinkPyURL } = locate(new URL("./", import.meta.url));

/** Where comlink_py's sources go in Pyodide's file system (added to sys.path). */
export const LIBRARY_DIR = "/comlink_py_lib";

import { installSync } from "./sync_worker.mjs";

/** Key of the status message a worker sends its starter: { [STATUS]: "ready" | "error", error }. */
export const STATUS = "comlink_py:status";

/** Comlink's request types (a test checks them against comlink_py's wire.MESSAGE_TYPES). */
export const REQUEST_TYPES = new Set(["GET", "SET", "APPLY", "CONSTRUCT", "ENDPOINT", "RELEASE"]);

/** Whether a message is a Comlink request (and so expects an answer with the same id). */
export function isRequest(data) {
  return data != null && typeof data === "object" && data.id != null && REQUEST_TYPES.has(data.type);
}

/** How often (ms) an interrupt that Python has not raised yet is written again. */
const INTERRUPT_RETRY = 5;

/** The interrupt buffer's byte where Python notes it raised the interrupt (comlink_py.js). */
const INTERRUPT_RAISED = 1;

/**
 * The starter's half of Pyodide's interrupt buffer: `buffer` goes to the worker (which passes it to
 * `pyodide.setInterruptBuffer`), `busy(on)` follows the call port, `serving()` says start-up is
 * over, and `interrupt()` writes 2 (SIGINT) only once Python serves and while a call waits for its
 * answer, returning whether it did (an interrupt during start-up would hit the boot's own code).
 * Python raises KeyboardInterrupt only in the code of a call, never in the code that delivers a
 * request or sends an answer, which could then not answer it: elsewhere it lets the signal pass,
 * so 2 is written again every few milliseconds until Python notes in the buffer's second byte that
 * it raised it, or no call waits any more. The buffer is cleared when no call waits, so an
 * interrupt no call took never hits the next one. `wake()` wakes a call blocked on a synchronous
 * channel so that it sees the interrupt at once. Without SharedArrayBuffer (a page that is not
 * cross-origin isolated) `buffer` is null and interrupt() throws, saying why.
 */
export function interrupter(wake = () => {}) {
  if (typeof SharedArrayBuffer !== "function" || globalThis.crossOriginIsolated === false) {
    const why =
      "interrupt() needs SharedArrayBuffer, which a browser gives only a cross-origin isolated page: " +
      "serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp";
    return {
      buffer: null,
      busy() {},
      serving() {},
      interrupt() {
        throw new Error(why);
      },
    };
  }
  const buffer = new Uint8Array(new SharedArrayBuffer(2));
  let calling = false;
  let live = false;
  let retry = null;
  const stop = () => {
    clearInterval(retry);
    retry = null;
  };
  const again = () => {
    if (Atomics.load(buffer, INTERRUPT_RAISED) !== 0) stop();
    else if (Atomics.compareExchange(buffer, 0, 0, 2) === 0) wake();
  };
  return {
    buffer,
    busy(on) {
      calling = on;
      if (!on) {
        stop();
        Atomics.store(buffer, 0, 0);
      }
    },
    serving() {
      live = true;
    },
    interrupt() {
      if (!live || !calling) return false;
      Atomics.store(buffer, INTERRUPT_RAISED, 0);
      Atomics.store(buffer, 0, 2);
      wake();
      if (retry === null) {
        retry = setInterval(again, INTERRUPT_RETRY);
        retry.unref?.(); // Node: never keeps the process alive on its own
      }
      return true;
    },
  };
}

/**
 * What the worker hands `pyodide.setInterruptBuffer` in place of the buffer itself. CPython reads
 * the buffer and then clears it as two steps (python/cpython#157548), so a signal written between
 * them is overwritten and never raised: an `interrupt()` or an aborted AbortSignal now and then did
 * nothing (here about one in ten on a busy loop). CPython only ever reads index 0 and writes 0 to
 * it, so this view clears only the value it last read: a signal written in between stays for the
 * next check.
 */
export function atomicSignalBuffer(buffer) {
  let read = 0;
  return {
    get 0() {
      read = Atomics.load(buffer, 0);
      return read;
    },
    set 0(value) {
      if (value === 0) Atomics.compareExchange(buffer, 0, read, 0);
      else Atomics.store(buffer, 0, value);
    },
  };
}

/** name/message/stack of anything thrown, as Comlink's throw handler sends an Error. */
export function errorInfo(error) {
  if (error instanceof Error) {
    return { message: error.message, name: error.name, stack: error.stack };
  }
  return { message: String(error), name: "Error", stack: undefined };
}

/** A Comlink `throw` HANDLER wire value carrying an error description. */
export function throwWireValue(info) {
  return { type: "HANDLER", name: "throw", value: { isError: true, value: info } };
}

/** An Error on this side rebuilt from an error description (as Comlink's throw handler does). */
export function toError(info) {
  return Object.assign(new Error(info.message), info);
}

/**
 * The serving side of the worker's call port. Python listens through `endpoint`, but the port stays
 * shut (calls wait in its queue) until start-up ends: `open()` lets them reach Python, and
 * `refuse(wire)` answers every request, queued or later, with that throw wire value instead. So no
 * call is answered by a worker whose start-up then fails.
 */
export function servingGate(port) {
  const listeners = new Set();
  let state = "starting";
  const refuse = (refusal) => (event) => {
    if (isRequest(event.data)) {
      port.postMessage({ ...refusal, id: event.data.id });
    }
  };
  return {
    endpoint: {
      postMessage: (message, transfer) => port.postMessage(message, transfer),
      addEventListener(type, listener) {
        if (state === "refused") return;
        listeners.add(listener);
        if (state === "open") port.addEventListener(type, listener);
      },
      removeEventListener(type, listener) {
        if (listeners.delete(listener) && state === "open") {
          port.removeEventListener(type, listener);
        }
      },
      start() {}, // the gate starts the port when start-up has ended
    },
    open() {
      state = "open";
      for (const listener of listeners) port.addEventListener("message", listener);
      port.start();
    },
    refuse(wireValue) {
      state = "refused";
      listeners.clear();
      port.addEventListener("message", refuse(wireValue));
      port.start();
    },
  };
}

/**
 * The calling side of the worker's call port, for `Comlink.wrap`. It remembers which requests are
 * unanswered so that `fail(info)` (the worker died or was terminated) can reject them, and every
 * later call, with that error instead of leaving them pending forever. `switchTo(next, info)` moves
 * it to another endpoint (a restarted worker's port): the calls still waiting on the old one reject
 * with `info`, and later calls go to `next` (where they wait until that worker serves), an earlier
 * failure forgotten. `onBusy(busy)` (optional) hears when the first request starts waiting and when
 * the last one is answered.
 */
export function callingGate(ep, onBusy = () => {}) {
  const pending = new Set();
  let listeners = []; // replaced, never changed, so that delivery walks it without a copy or iterator
  let failure = null;
  let source = null;
  const deliver = (event) => {
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i];
      if (typeof listener === "function") listener(event);
      else listener.handleEvent(event);
    }
  };
  const answer = (id) => deliver({ data: { ...throwWireValue(failure), id } });
  const settle = (id) => {
    if (pending.delete(id) && pending.size === 0) onBusy(false);
  };
  const hear = (event) => {
    const data = event.data;
    if (data != null && data.id != null) settle(data.id);
    deliver(event);
  };
  const attach = (next) => {
    source?.removeEventListener("message", hear);
    source = next;
    source.addEventListener("message", hear);
  };
  const fail = (info) => {
    if (failure !== null) return;
    failure = info;
    for (const id of pending) answer(id);
    if (pending.size > 0) onBusy(false);
    pending.clear();
  };
  attach(ep);
  return {
    endpoint: {
      postMessage(message, transfer) {
        if (failure !== null) {
          if (isRequest(message)) queueMicrotask(() => answer(message.id));
          return;
        }
        if (isRequest(message)) {
          pending.add(message.id);
          if (pending.size === 1) onBusy(true);
        }
        source.postMessage(message, transfer);
      },
      addEventListener(type, listener) {
        if (!listeners.includes(listener)) listeners = [...listeners, listener];
      },
      removeEventListener(type, listener) {
        listeners = listeners.filter((known) => known !== listener);
      },
      start: () => source.start?.(),
    },
    fail,
    switchTo(next, info) {
      fail(info);
      failure = null;
      attach(next);
    },
  };
}

/** Where single files and the contents of zips named by the `files` option go; it is on sys.path. */
export const FILES_DIR = "/home/pyodide/files";

const TAKES = {
  files: "folders, Python files or zips, to import from",
  packages: "wheels (.whl paths or URLs) or names of the Pyodide distribution's packages",
};

/** The `files` and `packages` options as lists of strings, or a TypeError that says what they take. */
export function extrasOf({ files, packages }) {
  const list = (value, name) => {
    const items = value == null ? [] : typeof value === "string" ? [value] : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === "string" && item !== "")) {
      throw new TypeError(`'${name}' must be a string or a list of strings: ${TAKES[name]}`);
    }
    return items;
  };
  return { files: list(files, "files"), packages: list(packages, "packages") };
}

/** Whether a `packages` entry names a wheel file rather than a package of the distribution. */
export const isWheel = (spec) => /\.whl$/i.test(spec) || spec.includes("/");

/** The last part of a path or URL. */
const baseName = (source) => source.replace(/[?#].*$/, "").split("/").filter(Boolean).pop();

/**
 * Load the `files` (extrasOf) into Pyodide's file system and onto sys.path, then install the
 * `packages`, calling `report({ kind, name, done, total })` as each has loaded. What differs
 * between Node and browsers comes in `io`: isFolder(source), folder(pyodide, source) (makes a
 * folder importable), read(source) -> bytes, resolve(spec) -> what pyodide.loadPackage takes for a
 * wheel, exists(fileName) (is a file of the distribution's lock file present where Pyodide looks).
 */
export async function loadExtras(pyodide, { files, packages }, io, report) {
  let loose = false;
  for (const [i, source] of files.entries()) {
    if (await io.isFolder(source)) {
      await io.folder(pyodide, source);
    } else {
      pyodide.FS.mkdirTree(FILES_DIR);
      const bytes = await io.read(source);
      if (/\.zip$/i.test(baseName(source))) pyodide.unpackArchive(bytes, "zip", { extractDir: FILES_DIR });
      else pyodide.FS.writeFile(`${FILES_DIR}/${baseName(source)}`, bytes);
      loose = true;
    }
    report({ kind: "files", name: source, done: i + 1, total: files.length });
  }
  if (loose) addToPath(pyodide, FILES_DIR);
  for (const [i, spec] of packages.entries()) {
    await installPackage(pyodide, spec, io);
    report({ kind: "packages", name: spec, done: i + 1, total: packages.length });
  }
}

/** Put a folder of Pyodide's file system first on sys.path. */
export function addToPath(pyodide, folder) {
  pyodide.runPython(
    `import sys, importlib\nsys.path.insert(0, ${JSON.stringify(folder)})\nimportlib.invalidate_caches()`,
  );
}

/** Install one wheel or distribution package; Pyodide's errors (which it only logs) are thrown. */
async function installPackage(pyodide, spec, io) {
  const target = isWheel(spec) ? io.resolve(spec) : await distributed(pyodide, spec, io);
  const errors = [];
  await pyodide.loadPackage([target], { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
  if (errors.length > 0) throw new Error(`could not install ${spec}: ${errors.join(" ")}`);
}

/**
 * The lock-file name of a package of the Pyodide distribution, once it and its dependencies are
 * known to be present: the npm pyodide package ships none, and Pyodide would otherwise try a CDN.
 */
async function distributed(pyodide, name, io) {
  const lock = pyodide.lockfile?.packages ?? {};
  const key = name.toLowerCase().replace(/[-_.]+/g, "-");
  if (!Object.hasOwn(lock, key)) {
    throw new Error(
      `no package named ${JSON.stringify(name)} in this Pyodide distribution's pyodide-lock.json: ` +
        "pass the path or URL of its wheel (.whl) instead",
    );
  }
  const needed = new Set([key]);
  for (const each of needed) for (const dep of lock[each].depends ?? []) needed.add(dep);
  const missing = [];
  for (const each of needed) if (!(await io.exists(lock[each].file_name))) missing.push(lock[each].file_name);
  if (missing.length > 0) {
    throw new Error(
      `package ${JSON.stringify(name)} is in this Pyodide distribution's pyodide-lock.json, but ` +
        `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not in its folder (the npm ` +
        "pyodide package ships no packages, and nothing is fetched from a CDN): put the wheels " +
        "there, or pass the paths or URLs of wheels instead",
    );
  }
  return key;
}

/** Write comlink_py's sources ([relative path, text] pairs) into Pyodide's FS and import path. */
export function installComlinkPy(pyodide, files) {
  for (const [path, text] of files) {
    const full = `${LIBRARY_DIR}/${path}`;
    pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf("/")));
    pyodide.FS.writeFile(full, text);
  }
  addToPath(pyodide, LIBRARY_DIR);
}

/**
 * Boot Python in this worker and serve `port`. Calls that arrive meanwhile wait in the port's queue
 * (a MessagePort queues until started) and are answered once the main code has run to its end
 * (having exposed its object); so the main code must not wait for calls on that object.
 *
 * options: loadPyodide() -> Promise<PyodideAPI>; files() -> [path, text][] of comlink_py;
 * prepare(pyodide) (optional, e.g. mount the user's folder); port (the call port); hostPort
 * (optional, where the starter exposes its own object); sync (optional, the synchronous channels of
 * sync_host.mjs's syncChannels); interruptBuffer (optional, the starter's interrupter().buffer:
 * its interrupt() and aborted AbortSignals write into it); readSource() -> the main code's text, and
 * its filename (for tracebacks).
 * Returns null once serving, or the throw wire value that now answers every call.
 */
export async function bootPython({
  loadPyodide,
  files,
  prepare,
  port,
  hostPort,
  sync,
  interruptBuffer,
  readSource,
  filename,
}) {
  const gate = servingGate(port);
  let failure;
  try {
    const pyodide = await loadPyodide();
    if (interruptBuffer != null) pyodide.setInterruptBuffer(atomicSignalBuffer(interruptBuffer));
    installComlinkPy(pyodide, await files());
    if (prepare) await prepare(pyodide);
    const source = await readSource();
    const shim = pyodide.pyimport("comlink_py.js");
    try {
      shim.set_default_endpoint(gate.endpoint);
      if (hostPort) shim.set_host_endpoint(hostPort);
      if (interruptBuffer != null) shim.set_interrupt_buffer(interruptBuffer);
      installSync(pyodide, sync);
      const running = shim.run_main(source, filename); // a PyProxy of the coroutine
      try {
        failure = await running;
      } finally {
        running.destroy();
      }
    } finally {
      shim.destroy();
    }
  } catch (error) {
    failure = throwWireValue(errorInfo(error));
  }
  if (failure == null) {
    gate.open();
    return null;
  }
  gate.refuse(failure);
  return failure;
}

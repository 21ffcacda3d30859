// The AbortSignal transfer handler: a signal passed to a Python call arrives as a Cancellation
// (comlink_py/abort.py, the same handler name). It travels as { port, aborted, reason }; when the
// signal aborts, { reason } is posted on the port, and Python cancels the call's task.
//
// A message cannot reach Python code that runs without returning to the event loop. A Pyodide
// worker with an interrupt buffer therefore answers on the port with { interrupt, flag }: its
// interrupt buffer and a flag of this signal's own, both on SharedArrayBuffers. On abort this side
// sets the flag and writes ABORT_SIGNUM into the buffer (unless an interrupt is pending there), and
// Python raises AbortError in the running call if the flag is one of that call's signals.

/** The handler's name, the same in Python (comlink_py.abort.ABORT_SIGNAL). */
export const ABORT_SIGNAL = "AbortSignal";

/** What an abort writes into the interrupt buffer (comlink_py.abort.ABORT_SIGNUM). */
export const ABORT_SIGNUM = 10;

/** An abort reason as data that always clones: an error's name and message, or a string. */
function reasonOf(reason) {
  if (reason === undefined || reason === null) return null;
  if (typeof reason === "object" && "name" in reason && "message" in reason) {
    return { name: String(reason.name), message: String(reason.message) };
  }
  return String(reason);
}

/** Whether shared memory exists here (in a page, only when it is cross-origin isolated). */
const sharing = () => typeof SharedArrayBuffer === "function" && globalThis.crossOriginIsolated !== false;

/** Whether a message is Python's { interrupt, flag }: two views of SharedArrayBuffers. */
function isInterrupt(data) {
  const shared = (view, type) => view instanceof type && view.buffer instanceof SharedArrayBuffer;
  return data != null && shared(data.interrupt, Uint8Array) && shared(data.flag, Int32Array);
}

export const abortSignalHandler = {
  canHandle: (value) => typeof AbortSignal === "function" && value instanceof AbortSignal,
  serialize(signal) {
    const { port1, port2 } = new MessageChannel();
    const wire = { port: port2, aborted: signal.aborted, reason: signal.aborted ? reasonOf(signal.reason) : null };
    if (signal.aborted) {
      port1.close();
      return [wire, [port2]];
    }
    let target = null; // Python's { interrupt, flag }, once it arrived
    const interrupt = () => {
      Atomics.store(target.flag, 0, 1);
      Atomics.compareExchange(target.interrupt, 0, 0, ABORT_SIGNUM);
      port1.close();
    };
    if (sharing()) {
      port1.addEventListener("message", (event) => {
        if (target !== null || !isInterrupt(event.data)) return;
        target = event.data;
        if (signal.aborted) interrupt();
      });
      port1.start();
      port1.unref?.(); // Node: the port never keeps the process alive on its own
    }
    signal.addEventListener(
      "abort",
      () => {
        port1.postMessage({ reason: reasonOf(signal.reason) });
        if (target !== null) interrupt();
        else if (!sharing()) port1.close();
        // else the port stays open for Python's { interrupt, flag }, until Python closes its end
      },
      { once: true },
    );
    return [wire, [port2]];
  },
  deserialize() {
    throw new TypeError("an AbortSignal travels from JS to Python only");
  },
};

/** Register the handler with this Comlink (the shim's starters do, once). */
export function registerAbortSignal(Comlink) {
  Comlink.transferHandlers.set(ABORT_SIGNAL, abortSignalHandler);
}

// The AbortSignal transfer handler: a signal passed to a Python call arrives as a Cancellation
// (comlink_py/abort.py, the same handler name). It travels as { port, aborted, reason }; when the
// signal aborts, { reason } is posted on the port, and Python cancels the call's task.

/** The handler's name, the same in Python (comlink_py.abort.ABORT_SIGNAL). */
export const ABORT_SIGNAL = "AbortSignal";

/** An abort reason as data that always clones: an error's name and message, or a string. */
function reasonOf(reason) {
  if (reason === undefined || reason === null) return null;
  if (typeof reason === "object" && "name" in reason && "message" in reason) {
    return { name: String(reason.name), message: String(reason.message) };
  }
  return String(reason);
}

export const abortSignalHandler = {
  canHandle: (value) => typeof AbortSignal === "function" && value instanceof AbortSignal,
  serialize(signal) {
    const { port1, port2 } = new MessageChannel();
    const send = () => {
      port1.postMessage({ reason: reasonOf(signal.reason) });
      port1.close();
    };
    if (signal.aborted) port1.close();
    else signal.addEventListener("abort", send, { once: true });
    return [{ port: port2, aborted: signal.aborted, reason: signal.aborted ? reasonOf(signal.reason) : null }, [port2]];
  },
  deserialize() {
    throw new TypeError("an AbortSignal travels from JS to Python only");
  },
};

/** Register the handler with this Comlink (the shim's starters do, once). */
export function registerAbortSignal(Comlink) {
  Comlink.transferHandlers.set(ABORT_SIGNAL, abortSignalHandler);
}

// What a JsEndpoint needs of a window (comlink_py.js.window_endpoint): posting goes to the target
// window with the origin it must have, and listening happens on the context (the window that
// receives its answers). A named class, so that the endpoint's repr says what it is.

class WindowPort {
  constructor(target, context, targetOrigin) {
    this.target = target;
    this.context = context;
    this.targetOrigin = targetOrigin;
  }

  postMessage(message, transfer) {
    this.target.postMessage(message, this.targetOrigin, transfer);
  }

  addEventListener(type, listener) {
    this.context.addEventListener(type, listener);
  }

  removeEventListener(type, listener) {
    this.context.removeEventListener(type, listener);
  }
}

/** windowPort(target, context, targetOrigin) -> a WindowPort. */
const windowPort = (target, context, targetOrigin) => new WindowPort(target, context, targetOrigin);

export { windowPort };

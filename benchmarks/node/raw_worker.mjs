// The floor: a worker that echoes each message's id (and a payload's byteLength) with bare postMessage.
import { parentPort } from "node:worker_threads";
import { collectGarbage } from "./measure.mjs";

parentPort.on("message", ({ id, buffer, collect }) => {
  if (collect) collectGarbage();
  parentPort.postMessage({ id, value: buffer ? buffer.byteLength : undefined });
});

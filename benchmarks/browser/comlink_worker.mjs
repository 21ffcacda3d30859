// Row b2's exposing side: JS Comlink serving the benchmark target in a module Web Worker (the
// browser twin of node/comlink_worker.mjs).
import * as Comlink from "../../node_modules/comlink/dist/esm/comlink.mjs";
import { target } from "../node/target.mjs";

Comlink.expose(target);

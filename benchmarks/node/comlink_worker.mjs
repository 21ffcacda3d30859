// JS Comlink exposing the benchmark target: the reference every other row is compared against.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { target } from "./target.mjs";

Comlink.expose(target, nodeEndpoint(parentPort));

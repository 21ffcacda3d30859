// npm runs this before it packs the shim ("prepack" in package.json): the package carries its own
// copy of comlink_py's sources in python/comlink_py/ (where boot.mjs looks when installed), with
// files.json, their names, because a browser cannot list a folder. Not shipped itself.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { comlinkPyFiles } from "./node_python.mjs";

const python = new URL("./python/", import.meta.url);
const files = comlinkPyFiles(fileURLToPath(new URL("../comlink_py/", import.meta.url)));
rmSync(python, { recursive: true, force: true });
mkdirSync(new URL("comlink_py/", python), { recursive: true });
for (const [path, text] of files) {
  const target = new URL(path, python);
  mkdirSync(new URL("./", target), { recursive: true });
  writeFileSync(target, text);
}
const names = files.map(([path]) => path.slice(path.indexOf("/") + 1));
writeFileSync(new URL("comlink_py/files.json", python), `${JSON.stringify(names, null, 1)}\n`);
console.error(`prepack: copied ${names.length} files of comlink_py into ${fileURLToPath(python)}`);

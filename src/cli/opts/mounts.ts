// -v/--volume, --mount and --tmpfs values → MountRequest.
//
//   -v /data                    anonymous volume at /data
//   -v name:/data[:ro]          named volume (name: [a-zA-Z0-9][a-zA-Z0-9_.-]+)
//   -v /host:/data[:ro,z]       bind mount (./rel and ~ paths made absolute first)
//   --mount type=volume,source=x,target=/y,readonly
//   --mount type=bind,src=/a,dst=/b,ro=true
//   --mount type=tmpfs,target=/run,tmpfs-size=64m
//   --tmpfs /run:size=64m,mode=1777

import type { MountRequest } from "../../core/engine-api.ts";
import { parseGoBool } from "../flags.ts";
import { parseBytes } from "../format/units.ts";

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const MODES = new Set(["ro", "rw", "z", "Z", "nocopy", "shared", "rshared", "slave", "rslave", "private", "rprivate", "consistent", "cached", "delegated"]);

/** Turns a relative local path into an absolute one (the CLI passes its cwd in). */
export type PathResolver = (path: string) => string;

function checkTarget(spec: string, target: string, type: string): void {
  if (!target.startsWith("/")) {
    throw new Error(`invalid volume specification: '${spec}': invalid mount config for type "${type}": invalid mount path: '${target}' mount path must be absolute`);
  }
  if (target.replace(/\/+$/, "") === "") throw new Error(`invalid volume specification: '${spec}': invalid mount config for type "${type}": invalid specification: destination can't be '/'`);
}

/** Parses one -v value. Throws an Error with docker's wording. */
export function parseVolumeFlag(spec: string, resolve: PathResolver = (p) => p): MountRequest {
  if (spec === "") throw new Error("invalid empty volume spec");
  const parts = spec.split(":");
  if (parts.length > 3 || parts.some((p) => p === "")) throw new Error(`invalid volume specification: '${spec}'`);
  if (parts.length === 1) {
    checkTarget(spec, parts[0]!, "volume");
    return { type: "volume", source: "", target: parts[0]! };
  }
  if (parts.length === 2 && parts[1]!.split(",").every((m) => MODES.has(m)) && !parts[1]!.startsWith("/")) {
    // "/data:ro": a destination with a mode but no source.
    throw new Error(`invalid volume specification: '${spec}'`);
  }
  let source = parts[0]!;
  const target = parts[1]!;
  const mode = parts[2];
  let readOnly = false;
  if (mode !== undefined) {
    const modes = mode.split(",");
    for (const m of modes) if (!MODES.has(m)) throw new Error(`invalid mode: ${mode}`);
    if (modes.includes("ro") && modes.includes("rw")) throw new Error(`invalid mode: ${mode}`);
    readOnly = modes.includes("ro");
  }
  const isPath = source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
  if (isPath) {
    if (mode?.split(",").includes("nocopy")) throw new Error(`invalid mode: ${mode}`);
    if (!source.startsWith("/")) source = resolve(source);
    checkTarget(spec, target, "bind");
    return { type: "bind", source, target, ...(readOnly ? { readOnly } : {}) };
  }
  if (!VOLUME_NAME.test(source)) {
    throw new Error(
      `"${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
  checkTarget(spec, target, "volume");
  return { type: "volume", source, target, ...(readOnly ? { readOnly } : {}) };
}

/** Splits a CSV line (docker reads --mount with encoding/csv: "a=1","b=x,y"). */
export function splitCsv(value: string): string[] {
  const fields: string[] = [];
  let cur = "";
  let quoted = false;
  let inField = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && !inField) {
      quoted = true;
      inField = true;
    } else if (c === ",") {
      fields.push(cur);
      cur = "";
      inField = false;
    } else {
      cur += c;
      inField = true;
    }
  }
  if (quoted) throw new Error(`parse error: extraneous or missing " in quoted-field`);
  fields.push(cur);
  return fields;
}

/** Parses one --mount value. Throws an Error with docker's wording. */
export function parseMountFlag(value: string, resolve: PathResolver = (p) => p): MountRequest {
  let type: MountRequest["type"] = "volume";
  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  let tmpfsSize: number | undefined;
  const tmpfsOptions: string[] = [];
  const volumeOptions: string[] = [];
  const bindOptions: string[] = [];
  for (const field of splitCsv(value)) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase().trim();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    if (eq < 0 && !["readonly", "ro", "volume-nocopy"].includes(key)) {
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case "type":
        if (val !== "volume" && val !== "bind" && val !== "tmpfs") throw new Error(`invalid mount type: '${val}' (volume, bind and tmpfs are supported)`);
        type = val;
        break;
      case "source":
      case "src":
        source = val;
        break;
      case "target":
      case "destination":
      case "dst":
        target = val;
        break;
      case "readonly":
      case "ro": {
        if (val === undefined) readOnly = true;
        else {
          const b = parseGoBool(val);
          if (b === undefined) throw new Error(`invalid value for ${key}: ${val}`);
          readOnly = b;
        }
        break;
      }
      case "volume-nocopy":
        if (val !== undefined && parseGoBool(val) === undefined) throw new Error(`invalid value for volume-nocopy: ${val}`);
        volumeOptions.push(key);
        break;
      case "volume-driver":
        if (val !== "local") throw new Error(`volume driver '${val}' is not available (only "local")`);
        volumeOptions.push(key);
        break;
      case "bind-propagation":
      case "bind-recursive":
      case "consistency":
        if (key !== "consistency") bindOptions.push(key);
        break;
      case "tmpfs-size":
        try {
          tmpfsSize = parseBytes(val ?? "");
        } catch (err) {
          throw new Error(`invalid value for tmpfs-size: ${(err as Error).message}`, { cause: err });
        }
        tmpfsOptions.push(key);
        break;
      case "tmpfs-mode":
        if (!/^[0-7]+$/.test(val ?? "")) throw new Error(`invalid value for tmpfs-mode: ${val}`);
        tmpfsOptions.push(key);
        break;
      case "volume-label":
      case "volume-opt":
      case "volume-subpath":
        throw new Error(`mount option '${key}' is not supported here`);
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!target) throw new Error("target is required");
  if (type !== "tmpfs" && tmpfsOptions.length > 0) throw new Error(`cannot mix 'tmpfs-*' options with mount type '${type}'`);
  if (type !== "volume" && volumeOptions.length > 0) throw new Error(`cannot mix 'volume-*' options with mount type '${type}'`);
  if (type !== "bind" && bindOptions.length > 0) throw new Error(`cannot mix 'bind-*' options with mount type '${type}'`);
  if (!target.startsWith("/")) throw new Error(`invalid mount config for type "${type}": invalid mount path: '${target}' mount path must be absolute`);
  const out: MountRequest = { type, target };
  if (type === "tmpfs") {
    if (source) throw new Error(`invalid mount config for type "tmpfs": field Source must not be specified`);
    if (tmpfsSize !== undefined) out.tmpfsSize = tmpfsSize;
  } else if (type === "bind") {
    if (!source) throw new Error(`invalid mount config for type "bind": field Source must not be empty`);
    out.source = source.startsWith("/") ? source : resolve(source);
  } else {
    if (source && !VOLUME_NAME.test(source)) throw new Error(`invalid mount config for type "volume": invalid volume name '${source}'`);
    out.source = source ?? "";
  }
  if (readOnly) out.readOnly = true;
  return out;
}

/** Parses one --tmpfs value: "/run" or "/run:rw,size=64m,mode=1777". */
export function parseTmpfsFlag(value: string): MountRequest {
  const colon = value.indexOf(":");
  const target = colon < 0 ? value : value.slice(0, colon);
  if (!target.startsWith("/")) throw new Error(`invalid mount path: '${target}' mount path must be absolute`);
  const out: MountRequest = { type: "tmpfs", target };
  if (colon >= 0) {
    for (const opt of value.slice(colon + 1).split(",")) {
      if (opt === "ro") out.readOnly = true;
      else if (opt.startsWith("size=")) out.tmpfsSize = parseBytes(opt.slice(5));
      else if (!/^(rw|mode=[0-7]+|uid=\d+|gid=\d+|exec|noexec|suid|nosuid|dev|nodev)$/.test(opt)) throw new Error(`invalid tmpfs option: ${opt}`);
    }
  }
  return out;
}

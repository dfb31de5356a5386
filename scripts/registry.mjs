#!/usr/bin/env node
// Test registries: Debian's docker-registry (distribution 2.8, package
// "docker-registry") on 127.0.0.1, with a generated config: storage in a
// temporary directory, CORS headers so a page can reach it directly, and
// optionally htpasswd Basic auth (the bcrypt entry comes from `htpasswd -B`,
// package apache2-utils, or Python's crypt/bcrypt when that is missing).
//
// From tests:
//   import { startRegistry } from "../../scripts/registry.mjs";
//   const r = await startRegistry({ auth: { username: "berth", password: "s3cret" } });
//   r.host     // "127.0.0.1:40123"
//   r.blobPath(digest)  // the file the registry serves a blob from
//   await r.stop();     // kills it and removes its directory
//
// From a shell (the registry runs until Ctrl-C, or detached until `stop`):
//   node scripts/registry.mjs start [--auth USER:PASSWORD] [--port N] [--detach]
//   node scripts/registry.mjs stop
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REGISTRY_BIN = process.env.DOCKER_REGISTRY_BIN ?? "/usr/bin/docker-registry";
const STATE_FILE = path.join(tmpdir(), "berth-registry.json");

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A bcrypt htpasswd line "user:$2y$..." (htpasswd -B, else Python). */
export function htpasswdLine(username, password) {
  const tried = [];
  const htpasswd = spawnSync("htpasswd", ["-nbB", username, password], { encoding: "utf8" });
  if (htpasswd.status === 0 && htpasswd.stdout.startsWith(`${username}:$2`)) return htpasswd.stdout.trim();
  tried.push("htpasswd -B (apt-get install apache2-utils)");
  const script = [
    "import sys",
    "u, p = sys.argv[1], sys.argv[2]",
    "try:",
    "    import bcrypt",
    "    h = bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=5)).decode()",
    "except ImportError:",
    "    import crypt",
    "    h = crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32))",
    "print(u + ':' + h)",
  ].join("\n");
  const python = spawnSync("python3", ["-c", script, username, password], { encoding: "utf8" });
  if (python.status === 0 && python.stdout.startsWith(`${username}:$2`)) return python.stdout.trim();
  tried.push("python3 with bcrypt or crypt");
  throw new Error(`cannot make a bcrypt htpasswd entry: tried ${tried.join(", ")}`);
}

function configYaml({ port, storage, htpasswd }) {
  const list = (values) => `[${values.map((v) => JSON.stringify(v)).join(", ")}]`;
  const lines = [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(storage)}`,
    "  delete:",
    "    enabled: true",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString("hex")}`,
    "  headers:",
    `    X-Content-Type-Options: ${list(["nosniff"])}`,
    `    Access-Control-Allow-Origin: ${list(["*"])}`,
    `    Access-Control-Allow-Methods: ${list(["HEAD", "GET", "OPTIONS", "DELETE", "POST", "PUT", "PATCH"])}`,
    `    Access-Control-Allow-Headers: ${list(["Authorization", "Accept", "Content-Type", "Content-Range", "Range", "Docker-Content-Digest"])}`,
    `    Access-Control-Expose-Headers: ${list(["Location", "Docker-Content-Digest", "WWW-Authenticate", "Range", "Docker-Upload-UUID", "Link", "Content-Length", "Content-Type"])}`,
  ];
  if (htpasswd) {
    lines.push("auth:", "  htpasswd:", "    realm: berth-test-registry", `    path: ${JSON.stringify(htpasswd)}`);
  }
  return lines.join("\n") + "\n";
}

async function waitUntilUp(url, child, logFile, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "";
  throw new Error(`docker-registry did not come up at ${url} (${lastError?.message ?? `exit ${child.exitCode}`})\n${log}`);
}

/**
 * Starts a registry. Options: auth {username, password} for htpasswd Basic
 * auth, port (default: a free one), dir (default: a new temporary directory,
 * removed by stop()).
 */
export async function startRegistry(options = {}) {
  if (!existsSync(REGISTRY_BIN)) {
    throw new Error(`${REGISTRY_BIN} is missing: apt-get install docker-registry`);
  }
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "berth-registry-"));
  mkdirSync(dir, { recursive: true });
  const storage = path.join(dir, "storage");
  mkdirSync(storage, { recursive: true });
  let htpasswd;
  if (options.auth) {
    htpasswd = path.join(dir, "htpasswd");
    writeFileSync(htpasswd, htpasswdLine(options.auth.username, options.auth.password) + "\n");
  }
  const port = options.port ?? (await freePort());
  const configFile = path.join(dir, "config.yml");
  writeFileSync(configFile, configYaml({ port, storage, htpasswd }));
  const logFile = path.join(dir, "registry.log");
  const log = openSync(logFile, "a");
  const child = spawn(REGISTRY_BIN, ["serve", configFile], {
    stdio: ["ignore", log, log],
    detached: options.detached === true,
    env: { ...process.env, OTEL_TRACES_EXPORTER: "none" },
  });
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  try {
    await waitUntilUp(`${url}/v2/`, child, logFile);
  } catch (err) {
    child.kill("SIGKILL");
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (options.detached) child.unref();
  let stopped = false;
  return {
    host,
    port,
    url,
    dir,
    storage,
    pid: child.pid,
    auth: options.auth,
    /** The file the registry serves a blob's bytes from. */
    blobPath(digest) {
      const hex = digest.replace(/^sha256:/, "");
      return path.join(storage, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(argv) {
  const [command = "start", ...rest] = argv;
  const flag = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (command === "start") {
    const authText = flag("--auth");
    const colon = authText?.indexOf(":") ?? -1;
    const auth = authText ? { username: authText.slice(0, colon), password: authText.slice(colon + 1) } : undefined;
    const port = flag("--port") ? Number(flag("--port")) : undefined;
    const detached = rest.includes("--detach");
    const r = await startRegistry({ auth, port, detached, dir: detached ? mkdtempSync(path.join(tmpdir(), "berth-registry-")) : undefined });
    console.log(`registry at ${r.url} (storage ${r.storage}${auth ? `, htpasswd user ${auth.username}` : ", no auth"})`);
    if (detached) {
      writeFileSync(STATE_FILE, JSON.stringify({ pid: r.pid, dir: r.dir, url: r.url }));
      console.log(`detached (pid ${r.pid}); stop it with: node scripts/registry.mjs stop`);
      process.exit(0);
    }
    const stop = async () => {
      await r.stop();
      process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    return;
  }
  if (command === "stop") {
    if (!existsSync(STATE_FILE)) {
      console.log("no detached registry is running");
      return;
    }
    const state = JSON.parse(readFileSync(STATE_FILE, "utf8"));
    try {
      process.kill(state.pid, "SIGTERM");
    } catch {
      // already gone
    }
    rmSync(state.dir, { recursive: true, force: true });
    rmSync(STATE_FILE, { force: true });
    console.log(`stopped the registry at ${state.url}`);
    return;
  }
  console.error("usage: node scripts/registry.mjs start [--auth USER:PASSWORD] [--port N] [--detach] | stop");
  process.exit(2);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}

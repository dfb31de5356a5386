// The engine in Node, for the `berth` command and tests: images, containers
// and volumes live under the Berth home (BERTH_HOME, default ~/.berth), the
// guest is started from public/guest when first needed.
import { homedir } from "node:os";
import path from "node:path";
import { openDirectoryStorage } from "../storage/directory.ts";
import { startNodeGuest } from "../vm/node.ts";
import { directoryReader } from "./bundled.node.ts";
import { NodePortPublisher } from "../ports/node-forwarder.ts";
import { Engine, type EngineDeps } from "./engine.ts";

export function berthHome(): string {
  return process.env.BERTH_HOME || path.join(homedir(), ".berth");
}

export async function createNodeEngine(opts: { home?: string } & Partial<EngineDeps> = {}): Promise<Engine> {
  const home = opts.home ?? berthHome();
  const storage = opts.storage ?? (await openDirectoryStorage(path.join(home, "store")));
  // Published ports are real TCP listeners on 127.0.0.1.
  const ports = opts.ports ?? new NodePortPublisher(async () => (await engine.guest()).vm);
  const engine: Engine = new Engine({
    storage,
    startGuest: opts.startGuest ?? (() => startNodeGuest()),
    bundled: opts.bundled ?? directoryReader(),
    networking: opts.networking,
    ports,
  });
  await engine.whenReady();
  return engine;
}

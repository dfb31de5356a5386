// `berth`: the docker CLI against an engine in this process, with the guest
// in Node. `berth <docker args>` runs one command; `berth` alone opens a
// session (a `docker> ` prompt) in which containers keep running between
// commands, until you leave it (Ctrl-D or `exit`).
import { createInterface } from "node:readline";
import { createNodeEngine } from "../engine/node.ts";
import { splitCommandLine } from "./index.ts";
import { nodeIO } from "./node.ts";
import { runDocker } from "./docker.ts";

const engine = await createNodeEngine();

async function finish(code: number): Promise<never> {
  await engine.containers.flush().catch(() => {});
  await engine.shutdown();
  process.exit(code);
}

const args = process.argv.slice(2);
if (args.length > 0) {
  const code = await runDocker(args, nodeIO(), engine);
  await finish(code);
}

console.log("Berth: docker in a real Linux guest. Type docker commands (e.g. `docker run --rm busybox echo hi`); Ctrl-D or `exit` to leave.");
const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "docker> ", terminal: !!process.stdin.isTTY });
let last = 0;
rl.prompt();
for await (const line of rl) {
  const trimmed = line.trim();
  if (trimmed === "exit" || trimmed === "quit") break;
  if (trimmed) {
    let words: string[];
    try {
      words = splitCommandLine(trimmed);
    } catch (err) {
      console.error((err as Error).message);
      rl.prompt();
      continue;
    }
    if (words[0] === "docker") words = words.slice(1);
    rl.pause();
    last = await runDocker(words, nodeIO(), engine);
    rl.resume();
  }
  rl.prompt();
}
await finish(last);

// Engine benchmarks (npm run bench), shared by Node and the page's worker:
// builds, layer commits, `docker run --rm busybox echo hi` and exec, through
// the same code paths the CLI uses.
import type { BuildOptions } from "../core/engine-api.ts";
import { runDocker } from "../cli/index.ts";
import type { Engine } from "./engine.ts";

export interface EngineBenchResult {
  build_first_ms: number;
  build_cached_ms: number;
  layer_commit_mb_s: number;
  run_echo_ms: number;
  exec_echo_ms: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const enc = new TextEncoder();

/** A 5-step busybox Dockerfile: FROM, WORKDIR, COPY, RUN, CMD. */
function context(salt: string): BuildOptions["context"] {
  return [
    { path: "Dockerfile", data: enc.encode(`FROM busybox\nWORKDIR /app\nCOPY app.txt ./\nRUN cp app.txt copy.txt && echo ${salt} > salt\nCMD ["cat", "/app/copy.txt"]\n`) },
    { path: "app.txt", data: enc.encode("hello\n") },
  ];
}

async function quietDocker(engine: Engine, argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runDocker(argv, { stdout: (d) => (out += typeof d === "string" ? d : new TextDecoder().decode(d)), stderr: () => {}, isTTY: false }, engine);
  return { code, out };
}

export async function benchEngine(engine: Engine, opts: { runs?: number } = {}): Promise<EngineBenchResult> {
  const runs = opts.runs ?? 5;
  // Warm up: the guest is started and busybox's layer unpacked before anything is timed.
  const warm = await quietDocker(engine, ["run", "--rm", "busybox", "true"]);
  if (warm.code !== 0) throw new Error(`warm-up run failed with ${warm.code}`);

  const salt = Math.random().toString(36).slice(2);
  const t0 = performance.now();
  await engine.build({ context: context(salt), tags: ["bench:latest"] }, () => {});
  const buildFirst = performance.now() - t0;
  const cached: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await engine.build({ context: context(salt), tags: ["bench:latest"] }, () => {});
    cached.push(performance.now() - t);
  }

  // Layer commit: 16 MB written by a RUN, then committed (tar in the guest, out through 9p, gzip, hash).
  const { snapshots, vm } = await engine.guest();
  const image = await engine.images.resolve("busybox");
  const layers = image.manifest.layers.map((l, i) => ({ digest: l.digest, diffId: image.config.rootfs.diff_ids[i], mediaType: l.mediaType }));
  const snap = await snapshots.prepare(layers, { init: true });
  const mb = 16;
  const dd = await vm.exec(["dd", "if=/dev/urandom", `of=${snap.merged}/big.bin`, "bs=1048576", `count=${mb}`]);
  if (dd.exitCode !== 0) throw new Error(`dd failed: ${dd.stderr}`);
  await vm.umount(snap.merged, { detach: true });
  const tc = performance.now();
  await snapshots.commit(snap);
  const commitMs = performance.now() - tc;
  await snapshots.remove(snap);

  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = await quietDocker(engine, ["run", "--rm", "busybox", "echo", "hi"]);
    runsMs.push(performance.now() - t);
    if (r.out !== "hi\n") throw new Error(`run printed ${JSON.stringify(r.out)}`);
  }

  const { id } = await engine.containerCreate({ image: "busybox", cmd: ["sleep", "300"], network: "none" });
  await engine.containerStart(id);
  const execMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = await quietDocker(engine, ["exec", id, "echo", "hi"]);
    execMs.push(performance.now() - t);
    if (r.out !== "hi\n") throw new Error(`exec printed ${JSON.stringify(r.out)}`);
  }
  await engine.containerRemove(id, { force: true });

  return {
    build_first_ms: Math.round(buildFirst),
    build_cached_ms: Math.round(median(cached)),
    layer_commit_mb_s: Math.round((mb / (commitMs / 1000)) * 10) / 10,
    run_echo_ms: Math.round(median(runsMs)),
    exec_echo_ms: Math.round(median(execMs)),
  };
}

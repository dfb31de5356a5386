// Engine benchmarks (npm run bench), shared by Node and the page's worker:
// builds, layer commits, `docker run --rm busybox echo hi` and exec, through
// the same code paths the CLI uses.
import type { BuildOptions } from "../core/engine-api.ts";
import { runDocker } from "../cli/index.ts";
import type { Engine } from "./engine.ts";

export interface EngineBenchResult {
  build_first_ms: number;
  build_cached_ms: number;
  /** Median of 3 commits. */
  layer_commit_mb_s: number;
  /** The first of them: the guest's first large transfer after the start (v86's JIT still cold for it). */
  layer_commit_first_mb_s: number;
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
  // Three times, each a fresh snapshot given the same random file (made once: /dev/urandom is slow in
  // the guest); the first commit is the guest's first large transfer since its start, so also reported.
  const { snapshots, vm } = await engine.guest();
  const image = await engine.images.resolve("busybox");
  const layers = image.manifest.layers.map((l, i) => ({ digest: l.digest, diffId: image.config.rootfs.diff_ids[i], mediaType: l.mediaType }));
  const mb = 16;
  const source = "/var/lib/berth/bench-commit.bin";
  const dd = await vm.exec(["dd", "if=/dev/urandom", `of=${source}`, "bs=1048576", `count=${mb}`]);
  if (dd.exitCode !== 0) throw new Error(`dd failed: ${dd.stderr}`);
  const commitMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const snap = await snapshots.prepare(layers, { init: true });
    const cp = await vm.exec(["cp", source, `${snap.merged}/big.bin`]);
    if (cp.exitCode !== 0) throw new Error(`cp failed: ${cp.stderr}`);
    await vm.umount(snap.merged, { detach: true });
    const tc = performance.now();
    await snapshots.commit(snap);
    commitMs.push(performance.now() - tc);
    await snapshots.remove(snap);
  }
  await vm.remove(source);
  const mbPerS = (ms: number) => Math.round((mb / (ms / 1000)) * 10) / 10;

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
    layer_commit_mb_s: mbPerS(median(commitMs)),
    layer_commit_first_mb_s: mbPerS(commitMs[0]!),
    run_echo_ms: Math.round(median(runsMs)),
    exec_echo_ms: Math.round(median(execMs)),
  };
}

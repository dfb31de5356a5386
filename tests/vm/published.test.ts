// docker run -p in Node: a real TCP port on 127.0.0.1 reaches busybox httpd in a container.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.ts";
import { createNodeEngine } from "../../src/engine/node.ts";
import { createMemoryStorage } from "../../src/storage/memory.ts";

let engine: Engine;

beforeAll(async () => {
  engine = await createNodeEngine({ storage: createMemoryStorage() });
});

afterAll(async () => {
  await engine?.shutdown();
});

describe("published ports", () => {
  it("serves a container's httpd on 127.0.0.1:<port>, and a -p 80 gets a free port", async () => {
    const script = "mkdir -p /www && echo hello-from-port > /www/index.html && httpd -f -p 80 -h /www";
    const { id } = await engine.containerCreate({ image: "busybox", cmd: ["sh", "-c", script], ports: [{ containerPort: 80, protocol: "tcp", hostPort: 18080 }] });
    await engine.containerStart(id);
    let body = "";
    for (let i = 0; i < 50 && !body; i++) {
      body = await fetch("http://127.0.0.1:18080/").then((r) => r.text(), () => "");
      if (!body) await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toBe("hello-from-port\n");
    const ps = await engine.containerList();
    expect(ps.find((c) => c.id === id)?.ports).toEqual([expect.objectContaining({ containerPort: 80, hostPort: 18080 })]);
    // The page's path goes the same way.
    const res = await engine.httpRequest(18080, { method: "GET", path: "/", headers: [] });
    expect(res.status).toBe(200);
    expect(new TextDecoder().decode(res.body)).toBe("hello-from-port\n");

    const other = await engine.containerCreate({ image: "busybox", cmd: ["sleep", "60"], ports: [{ containerPort: 80, protocol: "tcp", hostPort: 18080 }] });
    await expect(engine.containerStart(other.id)).rejects.toThrow(/port is already allocated/);

    const any = await engine.containerCreate({ image: "busybox", cmd: ["sh", "-c", script], ports: [{ containerPort: 80, protocol: "tcp", hostPort: 0 }] });
    await engine.containerStart(any.id);
    const port = (await engine.containerInspect(any.id)).ports[0].hostPort;
    expect(port).toBeGreaterThanOrEqual(32768);

    await engine.containerStop(id, { timeout: 1 });
    await expect(fetch("http://127.0.0.1:18080/")).rejects.toThrow();
    await engine.containerRemove(any.id, { force: true });
  });
});

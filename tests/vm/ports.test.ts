// Published ports on the real guest: the nc transport, http-proxy and the Node
// forwarder against busybox httpd, on the guest's loopback and in a network
// namespace behind a bridge made here with `ip` (the way src/runtime/network.ts
// wires containers).
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpRequest } from "../../src/engine/http-proxy.ts";
import { type GuestConnection, VirtualPortPublisher, openGuestConnection } from "../../src/engine/ports.ts";
import { NodePortPublisher } from "../../src/ports/node-forwarder.ts";
import type { GuestProcess, GuestVM } from "../../src/vm/guest.ts";
import { startNodeGuest } from "../../src/vm/node.ts";

let vm: GuestVM;
const servers: GuestProcess[] = [];
const dec = new TextDecoder();
const PAGE = "<h1>hello from berth</h1>\n";
const NS_IP = "10.99.0.2";

async function sh(script: string): Promise<string> {
  const r = await vm.exec(["sh", "-c", script]);
  if (r.exitCode !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout;
}

async function waitListening(ip: string, port: number, join?: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await vm.exec(["sh", "-c", `${join ? `nsenter -t ${join} -n ` : ""}nc -w 1 ${ip} ${port} </dev/null`]);
    if (r.exitCode === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${ip}:${port}`);
}

beforeAll(async () => {
  vm = await startNodeGuest();
  await vm.mkdir("/tmp/www/cgi-bin", { parents: true });
  await vm.writeFile("/tmp/www/index.html", PAGE);
  await sh("dd if=/dev/urandom of=/tmp/www/big bs=1024 count=1024 2>/dev/null");
  // A CGI that answers chunked itself (busybox httpd passes an "HTTP/..." answer through as it is).
  await vm.writeFile(
    "/tmp/www/cgi-bin/chunked",
    "#!/bin/sh\nprintf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhello\\r\\n7\\r\\n, world\\r\\n0\\r\\n\\r\\n'\n",
    0o755,
  );
  // Echoes the method, query and how many body bytes it read.
  await vm.writeFile(
    "/tmp/www/cgi-bin/echo",
    '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\necho "$REQUEST_METHOD $QUERY_STRING $CONTENT_LENGTH $HTTP_HOST"\nhead -c "$CONTENT_LENGTH" | wc -c\n',
    0o755,
  );
  servers.push(await vm.spawn({ argv: ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/tmp/www"] }));

  // A "container": httpd in its own network namespace, on a bridge with a veth pair.
  // busybox ip cannot name a veth's peer: it comes out as vethN and is renamed.
  await sh(
    "ip link add brports type bridge && ip addr add 10.99.0.1/24 dev brports && ip link set brports up && " +
      "ip link add vports-h type veth && peer=$(ip -o link | sed -n 's/^[0-9]*: \\(veth[0-9]*\\)@vports-h.*/\\1/p') && " +
      'ip link set "$peer" name vports-c && ip link set vports-h master brports up',
  );
  const ctr = await vm.spawn({ argv: ["httpd", "-f", "-p", "80", "-h", "/tmp/www"], namespaces: ["net"], paused: true });
  servers.push(ctr);
  await sh(
    `ip link set vports-c netns ${ctr.pid} && nsenter -t ${ctr.pid} -n sh -c 'ip addr add ${NS_IP}/24 dev vports-c && ip link set vports-c up'`,
  );
  ctr.resume();
  await waitListening("127.0.0.1", 8080);
  await waitListening(NS_IP, 80);
});

afterAll(async () => {
  for (const s of servers) s.signal(9);
  await vm?.shutdown();
});

function collect(conn: GuestConnection): Promise<{ text: string; bytes: number; error?: string }> {
  const parts: Uint8Array[] = [];
  conn.onData((d) => parts.push(d));
  return conn.closed.then((info) => ({
    text: dec.decode(Buffer.concat(parts)),
    bytes: parts.reduce((n, p) => n + p.length, 0),
    error: info.error?.message,
  }));
}

describe("openGuestConnection", () => {
  it("round-trips a request to httpd on the guest's loopback", async () => {
    const conn = await openGuestConnection(vm, "127.0.0.1", 8080);
    const done = collect(conn);
    conn.write("GET / HTTP/1.0\r\n\r\n");
    const r = await done;
    expect(r.error).toBeUndefined();
    expect(r.text).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(r.text.endsWith(`\r\n\r\n${PAGE}`)).toBe(true);
  });

  it("reaches a container's address on a bridge", async () => {
    const conn = await openGuestConnection(vm, NS_IP, 80);
    const done = collect(conn);
    conn.write("GET /index.html HTTP/1.0\r\n\r\n");
    expect((await done).text).toContain(PAGE);
  });

  it("half-closes on end() and still reads the answer", async () => {
    const server = await vm.spawn({ argv: ["nc", "-l", "-p", "9001", "-e", "sh", "-c", "wc -c; echo bye"] });
    await waitForPort(9001);
    const conn = await openGuestConnection(vm, "127.0.0.1", 9001);
    const done = collect(conn);
    conn.write(new Uint8Array(10_000));
    conn.end();
    expect((await done).text).toBe("10000\nbye\n");
    expect((await server.exited).exitCode).toBe(0);
  });

  it("reports a refused connection as an error with no data", async () => {
    const conn = await openGuestConnection(vm, "127.0.0.1", 9);
    const r = await collect(conn);
    expect(r.bytes).toBe(0);
    expect(r.error).toBe("nothing is listening on 127.0.0.1:9 (connection refused)");
  });

  it("destroy() ends a connection the server keeps open", async () => {
    const server = await vm.spawn({ argv: ["nc", "-l", "-p", "9002", "-e", "sleep", "60"] });
    await waitForPort(9002);
    const conn = await openGuestConnection(vm, "127.0.0.1", 9002);
    setTimeout(() => conn.destroy(), 200);
    expect(await conn.closed).toEqual({ received: 0 });
    server.signal(9);
  });
});

/** A one-shot nc -l server is up (probing it would use up its one connection, so look at /proc). */
async function waitForPort(port: number): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (let i = 0; i < 100; i++) {
    if ((await sh("cat /proc/net/tcp")).includes(`:${hex} 00000000:0000 0A`)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

describe("httpRequest", () => {
  const pub = new VirtualPortPublisher();

  beforeAll(async () => {
    await pub.publish("c-loop", [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }], "127.0.0.1");
    await pub.publish("c-bridge", [{ containerPort: 80, hostPort: 0, protocol: "tcp" }], NS_IP);
    await pub.publish("c-dead", [{ containerPort: 81, hostPort: 8081, protocol: "tcp" }], NS_IP);
  });

  it("gets a page with a Content-Length", async () => {
    const res = await httpRequest(vm, pub.map, 8080, { method: "GET", path: "/", headers: [["Accept", "text/html"]] });
    expect(res.status).toBe(200);
    expect(dec.decode(res.body)).toBe(PAGE);
    expect(res.headers).toContainEqual(["Content-Length", String(PAGE.length)]);
  });

  it("decodes a chunked answer", async () => {
    const res = await httpRequest(vm, pub.map, 8080, { method: "GET", path: "/cgi-bin/chunked", headers: [] });
    expect(res.status).toBe(200);
    expect(dec.decode(res.body)).toBe("hello, world");
  });

  it("sends a body, the query and Host: localhost:<port>", async () => {
    const res = await httpRequest(vm, pub.map, 8080, {
      method: "POST",
      path: "/cgi-bin/echo?x=1",
      headers: [["Content-Type", "application/octet-stream"]],
      body: new Uint8Array(3000),
    });
    expect(dec.decode(res.body).replace(/\s+/g, " ").trim()).toBe("POST x=1 3000 localhost:8080 3000");
  });

  it("reaches the container on the bridge through an ephemeral host port", async () => {
    const [entry] = pub.map.forContainer("c-bridge");
    expect(entry!.hostPort).toBeGreaterThanOrEqual(32768);
    const res = await httpRequest(vm, pub.map, entry!.hostPort, { method: "GET", path: "/big", headers: [] });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(1024 * 1024);
  });

  it("answers 502 naming the port when nothing listens", async () => {
    const res = await httpRequest(vm, pub.map, 8081, { method: "GET", path: "/", headers: [] });
    expect(res.status).toBe(502);
    expect(res.headers).toContainEqual(["X-Berth-Error", "refused"]);
    const text = dec.decode(res.body);
    expect(text).toContain("502 Bad Gateway");
    expect(text).toContain(`Port 8081: nothing is listening on container c-dead port 81 (${NS_IP}:81).`);
    expect(text).toContain("connection refused");
  });

  it("answers 502 for a port nobody published", async () => {
    const res = await httpRequest(vm, pub.map, 8099, { method: "GET", path: "/", headers: [] });
    expect(res.status).toBe(502);
    expect(dec.decode(res.body)).toContain("Port 8099 is not published.");
  });
});

function get(url: string, opts: { method?: string; body?: Buffer } = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? "GET", agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

describe("NodePortPublisher", () => {
  const errors: string[] = [];
  const pub = new NodePortPublisher(() => vm, { onError: (e, err) => errors.push(`${e.hostPort}: ${err.message}`) });

  afterAll(() => pub.close());

  it("serves the container's page on 127.0.0.1:<host port>", async () => {
    const [b] = await pub.publish("web", [{ containerPort: 80, hostPort: 0, protocol: "tcp" }], NS_IP);
    expect(b).toMatchObject({ containerPort: 80, hostIp: "0.0.0.0", protocol: "tcp" });
    expect(b!.hostPort).toBeGreaterThanOrEqual(32768);
    expect(pub.addressOf("web")[0]!.address).toMatchObject({ address: "127.0.0.1", port: b!.hostPort });
    const res = await get(`http://127.0.0.1:${b!.hostPort}/`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(PAGE);
    // the native fetch too
    expect(await (await fetch(`http://127.0.0.1:${b!.hostPort}/index.html`)).text()).toBe(PAGE);
  });

  it("carries uploads and several connections at once", async () => {
    const [b] = await pub.publish("loop", [{ containerPort: 8080, hostPort: 0, hostIp: "127.0.0.1", protocol: "tcp" }], "127.0.0.1");
    const base = `http://127.0.0.1:${b!.hostPort}`;
    const results = await Promise.all([
      get(`${base}/`),
      get(`${base}/cgi-bin/chunked`),
      get(`${base}/cgi-bin/echo?up=1`, { method: "POST", body: Buffer.alloc(50_000, 97) }),
      get(`${base}/index.html`),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(results[1]!.body.toString()).toBe("hello, world");
    expect(results[2]!.body.toString().replace(/\s+/g, " ").trim()).toBe(`POST up=1 50000 127.0.0.1:${b!.hostPort} 50000`);
  });

  it("refuses a host port that is already allocated, and one some other program holds", async () => {
    const [b] = pub.addressOf("web");
    await expect(pub.publish("other", [{ containerPort: 80, hostPort: b!.entry.hostPort, protocol: "tcp" }], NS_IP)).rejects.toThrow(
      `Bind for 0.0.0.0:${b!.entry.hostPort} failed: port is already allocated`,
    );
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, "127.0.0.1", () => r()));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      await expect(pub.publish("other", [{ containerPort: 80, hostPort: port, protocol: "tcp" }], NS_IP)).rejects.toThrow(
        `Error starting userland proxy: listen tcp4 0.0.0.0:${port}: bind: address already in use`,
      );
      expect(pub.map.forContainer("other")).toEqual([]);
    } finally {
      squatter.close();
    }
  });

  it("resets the client's connection when nothing listens in the container", async () => {
    const [b] = await pub.publish("dead", [{ containerPort: 81, hostPort: 0, protocol: "tcp" }], NS_IP);
    await expect(get(`http://127.0.0.1:${b!.hostPort}/`)).rejects.toThrow(/ECONNRESET|socket hang up/);
    expect(errors).toContain(`${b!.hostPort}: nothing is listening on ${NS_IP}:81 (connection refused)`);
  });

  it("stops listening when the container is unpublished", async () => {
    const [b] = pub.addressOf("web");
    await pub.unpublish("web");
    expect(pub.map.forContainer("web")).toEqual([]);
    await expect(get(`http://127.0.0.1:${b!.entry.hostPort}/`)).rejects.toThrow(/ECONNREFUSED/);
    await pub.unpublish("web"); // twice is fine
  });

  it("measures opening a connection and throughput (reported, not asserted)", async () => {
    const [b] = await pub.publish("bench", [{ containerPort: 8080, hostPort: 0, protocol: "tcp" }], "127.0.0.1");
    const base = `http://127.0.0.1:${b!.hostPort}`;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await get(`${base}/`);
      times.push(performance.now() - t0);
    }
    const t0 = performance.now();
    const big = await get(`${base}/big`);
    const bigMs = performance.now() - t0;
    expect(big.body.length).toBe(1024 * 1024);
    const conn: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const c = await openGuestConnection(vm, "127.0.0.1", 8080);
      conn.push(performance.now() - t);
      c.destroy();
      await c.closed;
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0);
    console.log(
      `ports: nc spawn ${median(conn)} ms, small GET through the forwarder ${median(times)} ms, ` +
        `1 MiB download ${(1 / (bigMs / 1000)).toFixed(2)} MiB/s`,
    );
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP fixture server for tests: serves a map of path → bytes on 127.0.0.1 (random
 * port), honours `Range: bytes=a-b` / `bytes=a-`, and can be told to fail, truncate, redirect or
 * ignore ranges for a path. Query strings are ignored when matching paths
 * (`/files/x.npz?download=1` serves `/files/x.npz`). Every request is logged in `requests`.
 */

export interface RequestLog {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  status: number;
}

export interface FixtureServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: RequestLog[];
  /** Serve `body` at `path` (headers are added to every response for it, e.g. an ETag). */
  set(path: string, body: Uint8Array | string, headers?: Record<string, string>): void;
  /** Answer `path` with this status (and a short text body) `times` times, then serve normally. */
  fail(path: string, status: number, times?: number): void;
  /** Send full headers but only the first `bytes` bytes of the body, then cut the connection; `times` times. */
  truncate(path: string, bytes: number, times?: number): void;
  /** Redirect `from` to `to` (a path on this server or an absolute URL). */
  redirect(from: string, to: string, status?: 301 | 302 | 303 | 307 | 308, headers?: Record<string, string>): void;
  /** Ignore Range headers for `path` (answer 200 with the whole body), like servers without range support. */
  ignoreRange(path: string): void;
  /** Requests seen for one path. */
  hits(path: string): RequestLog[];
  close(): Promise<void>;
}

interface Route {
  body?: Uint8Array;
  headers: Record<string, string>;
  fail?: { status: number; times: number };
  truncate?: { bytes: number; times: number };
  redirect?: { to: string; status: number; headers: Record<string, string> };
  ignoreRange?: boolean;
}

function parseRange(header: string | undefined, total: number): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return { start: Math.max(0, total - suffix), end: total - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
  if (start >= total || end < start) return 'invalid';
  return { start, end };
}

export async function startFixtureServer(files: Record<string, Uint8Array | string> = {}): Promise<FixtureServer> {
  const routes = new Map<string, Route>();
  const requests: RequestLog[] = [];
  const route = (p: string): Route => {
    let r = routes.get(p);
    if (!r) routes.set(p, (r = { headers: {} }));
    return r;
  };
  const toBytes = (b: Uint8Array | string): Uint8Array => (typeof b === 'string' ? new TextEncoder().encode(b) : b);
  for (const [p, b] of Object.entries(files)) route(p).body = toBytes(b);

  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    const r = routes.get(p);
    const log = (status: number) => requests.push({ method: req.method ?? 'GET', path: p, headers: req.headers, status });
    if (!r || (!r.body && !r.redirect && !r.fail)) {
      log(404);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (r.fail && r.fail.times > 0) {
      r.fail.times--;
      log(r.fail.status);
      res.writeHead(r.fail.status, { 'content-type': 'text/plain' }).end(`fixture failure ${r.fail.status}`);
      return;
    }
    if (r.redirect) {
      log(r.redirect.status);
      res.writeHead(r.redirect.status, { location: r.redirect.to, ...r.redirect.headers }).end();
      return;
    }
    const body = r.body!;
    const range = r.ignoreRange ? undefined : parseRange(req.headers.range, body.length);
    if (range === 'invalid') {
      log(416);
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? body.length - 1;
    const status = range ? 206 : 200;
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      'accept-ranges': r.ignoreRange ? 'none' : 'bytes',
      ...r.headers,
    };
    if (range) headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
    log(status);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const slice = body.subarray(start, end + 1);
    if (r.truncate && r.truncate.times > 0) {
      r.truncate.times--;
      res.write(slice.subarray(0, Math.min(r.truncate.bytes, slice.length)), () => {
        // Destroy after the partial body is flushed: the client sees a connection cut mid-body.
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    set(p, body, headers = {}) {
      const r = route(p);
      r.body = toBytes(body);
      r.headers = headers;
      r.redirect = undefined;
    },
    fail(p, status, times = Infinity) {
      route(p).fail = { status, times };
    },
    truncate(p, bytes, times = 1) {
      route(p).truncate = { bytes, times };
    },
    redirect(from, to, status = 302, headers = {}) {
      route(from).redirect = { to, status, headers };
    },
    ignoreRange(p) {
      route(p).ignoreRange = true;
    },
    hits: (p) => requests.filter((q) => q.path === p),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

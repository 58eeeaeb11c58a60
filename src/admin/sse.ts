/**
 * Server-sent events (the WHATWG HTML "text/event-stream" format): the dashboard keeps one GET open and
 * the server writes `event:` / `data:` blocks to it. A client that does not read (its socket buffer
 * keeps growing) is dropped rather than buffered without bound; EventSource reconnects by itself.
 */
import type { ServerResponse } from 'node:http';

/** Bytes queued for one client before it is considered stuck and closed. */
const MAX_QUEUED = 1 << 20;

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly heartbeatMs = 15_000) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response: writes the stream headers and keeps it until the client goes away. */
  add(res: ServerResponse, extraHeaders: Record<string, string> = {}): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // A reverse proxy (nginx) must not buffer the stream.
      'x-accel-buffering': 'no',
      ...extraHeaders,
    });
    // How long EventSource waits before reconnecting, ms.
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    if (!this.heartbeat) {
      // A comment line now and then keeps proxies and NATs from closing an idle stream.
      this.heartbeat = setInterval(() => this.writeAll(': keep-alive\n\n'), this.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /** Sends one event to one client. */
  send(res: ServerResponse, event: string, json: string): void {
    this.write(res, frame(event, json));
  }

  /** Sends one event to every client. */
  broadcast(event: string, json: string): void {
    this.writeAll(frame(event, json));
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private writeAll(text: string): void {
    for (const c of this.clients) this.write(c, text);
  }

  private write(res: ServerResponse, text: string): void {
    if (res.writableEnded || res.destroyed) {
      this.clients.delete(res);
      return;
    }
    if (res.writableLength > MAX_QUEUED) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  }
}

/** One event; `data` is JSON text (no line breaks), so one `data:` line carries it. */
function frame(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}

/**
 * A TCP sandbox's listener: 127.0.0.1 on a free port, that can go offline (the port refuses
 * connections, the open ones are dropped) and come back on the same port, as a gateway or
 * practice server that is switched off and on again.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SANDBOX_HOST } from './http-server.ts';

export class LocalTcpListener {
  readonly host = SANDBOX_HOST;
  readonly #onConnection: (socket: Socket) => void;
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  #port = 0;

  /** `onConnection` is given every accepted socket; the listener tracks it until it closes. */
  constructor(onConnection: (socket: Socket) => void) {
    this.#onConnection = onConnection;
  }

  /** The port, once listening (kept while offline). */
  get port(): number {
    return this.#port;
  }

  get online(): boolean {
    return this.#server !== null;
  }

  /** Listens: on a free port the first time, on the same port after going offline. */
  async listen(): Promise<number> {
    if (this.#server) return this.#port;
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      this.#onConnection(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#port = (server.address() as { port: number }).port;
    return this.#port;
  }

  /** Stops listening and drops every open connection: the port refuses connections. */
  async goOffline(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

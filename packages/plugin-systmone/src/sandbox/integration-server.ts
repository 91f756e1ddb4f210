/**
 * The sandbox's TCP side: the gateway on the practice PC relaying to SystmOne's Client
 * Integration API. Requests on one connection are answered in order, each reply followed by
 * `<EOF>` (*modelled*: the spec gives the terminator for requests). A closed or logged-out
 * SystmOne accepts connections and answers nothing. Faults play before the answer. The gateway
 * can go offline (the port refuses connections) and come back on the same port.
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalTcpListener } from '@slotbridge/core/sandbox-kit';
import {
  decodeDocument,
  EofFramer,
  encodeDocument,
  RESPONSE_ROOT,
  type ResponseEnvelope,
  textOf,
} from '../client-integration-api.ts';
import type { FaultInjector, FaultKind } from './faults.ts';
import type { ClientIntegration, IntegrationSetup } from './functions.ts';
import { sandboxMessages } from './sandbox-error.ts';

/** One request the sandbox received and what became of it. */
export interface SandboxCall {
  function: string;
  requestUid: string;
  outcome: 'response' | 'error' | 'no-answer' | 'dropped' | 'garbage';
  /** The ErrorMessage, when the outcome is `error`. */
  errorMessage: string | null;
  fault: FaultKind | null;
}

export class IntegrationServer {
  readonly #integration: ClientIntegration;
  readonly #faults: FaultInjector;
  readonly #setup: () => IntegrationSetup;
  readonly #calls: SandboxCall[];
  readonly #listener = new LocalTcpListener((socket) => this.#accept(socket));
  readonly #closing = new AbortController();

  constructor(options: {
    integration: ClientIntegration;
    faults: FaultInjector;
    setup: () => IntegrationSetup;
    calls: SandboxCall[];
  }) {
    this.#integration = options.integration;
    this.#faults = options.faults;
    this.#setup = options.setup;
    this.#calls = options.calls;
  }

  get host(): string {
    return this.#listener.host;
  }

  /** The port, once listening (kept while offline). */
  get port(): number {
    return this.#listener.port;
  }

  get online(): boolean {
    return this.#listener.online;
  }

  /** Listens on 127.0.0.1: on a free port the first time, on the same port after going offline. */
  listen(): Promise<number> {
    return this.#listener.listen();
  }

  /** Stops listening and drops every connection: the port refuses connections. */
  goOffline(): Promise<void> {
    return this.#listener.goOffline();
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await this.goOffline();
  }

  #accept(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    const framer = new EofFramer();
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let documents: string[];
      try {
        documents = framer.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const document of documents) queue = queue.then(() => this.#handle(socket, document));
    });
  }

  async #handle(socket: Socket, document: string): Promise<void> {
    if (socket.destroyed) return;
    const decoded = decodeDocument(document);
    const body = 'invalid' in decoded ? {} : decoded.body;
    const fn = textOf(body, 'Function') ?? '';
    const requestUid = textOf(body, 'RequestUID') ?? '';
    const call: SandboxCall = {
      function: fn,
      requestUid,
      outcome: 'no-answer',
      errorMessage: null,
      fault: null,
    };
    this.#calls.push(call);
    // A closed or logged-out SystmOne reads the request and never answers.
    if (this.#setup().clientState !== 'running') return;

    const fault = this.#faults.take(fn);
    call.fault = fault?.kind ?? null;
    let reply: ResponseEnvelope;
    switch (fault?.kind) {
      case 'hang':
        return;
      case 'drop':
        call.outcome = 'dropped';
        socket.destroy();
        return;
      case 'garbage':
        call.outcome = 'garbage';
        socket.write('not xml<EOF>');
        return;
      case 'latency':
        await sleep(fault.latencyMs, undefined, { signal: this.#closing.signal }).catch(() => undefined);
        if (socket.destroyed) return;
        break;
    }
    if (fault?.kind === 'error') {
      reply = {
        RequestUID: requestUid,
        Function: fn,
        ErrorMessage: fault.message ?? sandboxMessages.internalError(),
      };
    } else if ('invalid' in decoded) {
      reply = {
        RequestUID: '',
        Function: '',
        ErrorMessage: sandboxMessages.malformedRequest(decoded.invalid),
      };
    } else {
      reply = this.#integration.answer(decoded.root, decoded.body);
    }
    if ('ErrorMessage' in reply) {
      call.outcome = 'error';
      call.errorMessage = reply.ErrorMessage;
    } else {
      call.outcome = 'response';
    }

    const bytes = encodeDocument(RESPONSE_ROOT, reply);
    if (fault?.kind !== 'chunked') {
      socket.write(bytes);
      return;
    }
    for (let offset = 0; offset < bytes.length && !socket.destroyed; offset += fault.chunkBytes) {
      socket.write(bytes.subarray(offset, offset + fault.chunkBytes));
      await sleep(fault.gapMs ?? 5, undefined, { signal: this.#closing.signal }).catch(() => undefined);
    }
  }
}

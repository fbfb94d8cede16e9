import FetchAdapter from '@pollyjs/adapter-fetch';
import { Polly } from '@pollyjs/core';
import FSPersister from '@pollyjs/persister-fs';
import { bypass, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import nock from 'nock';
import { setupRecorder } from '../src/index.ts';
import { pollyConfig } from './polly-config.ts';

// nock 14 intercepts as soon as it is imported; MSW and Polly must not run on top of it.
nock.restore();
// Both packages are CommonJS whose types declare an ES default export: under NodeNext, TypeScript
// types the default import as the whole module, while at run time it is the class itself.
Polly.register(FetchAdapter as unknown as typeof FetchAdapter.default);
Polly.register(FSPersister as unknown as typeof FSPersister.default);

// msw 2 names this option onUnhandledRequest, msw 3 onUnhandledFrame; each ignores the other's name.
// Not an object literal, so the types of either major accept the name they do not know.
const failUnhandled = { onUnhandledRequest: 'error', onUnhandledFrame: 'error' } as const;

/** One way of answering the openai SDK. Only one may be started at a time: they all patch globalThis.fetch. */
export interface Contender {
  name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export function aiVcr(name: string, mode: 'replay' | 'record', dir: string): Contender {
  let vcr: ReturnType<typeof setupRecorder> | undefined;
  return {
    name,
    start: () => {
      vcr = setupRecorder({ mode, dir });
    },
    stop: () => vcr?.close(),
  };
}

/** The least any MSW-based replay can do: no body read, no lookup, bytes encoded once up front. */
export function mswFloor(contentType: string, texts: string[]): Contender {
  const encoder = new TextEncoder();
  const parts = texts.map((text) => encoder.encode(text));
  const server = setupServer(
    http.post('*/chat/completions', () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      return new HttpResponse(body, { headers: { 'content-type': contentType } });
    }),
  );
  return {
    name: 'MSW handler (floor)',
    start: () => server.listen(failUnhandled),
    stop: () => server.close(),
  };
}

/** The least an MSW handler that records can do: call the upstream around MSW and hand its response on. */
export function mswBypassFloor(): Contender {
  const server = setupServer(http.post('*/chat/completions', ({ request }) => fetch(bypass(request))));
  return {
    name: 'MSW handler, fetch(bypass()) (floor)',
    start: () => server.listen(failUnhandled),
    stop: () => server.close(),
  };
}

export async function recordWithPolly(dir: string, name: string, call: () => Promise<unknown>): Promise<void> {
  const polly = new Polly(name, pollyConfig(dir, 'record'));
  await call();
  await polly.stop();
}

export function pollyReplay(dir: string, name: string): Contender {
  let polly: Polly | undefined;
  return {
    name: 'Polly.JS',
    start: () => {
      polly = new Polly(name, pollyConfig(dir, 'replay'));
    },
    stop: () => polly?.stop(),
  };
}

function stopNock(): void {
  nock.restore();
  nock.cleanAll();
  nock.enableNetConnect();
}

export async function recordWithNock(dir: string, name: string, call: () => Promise<unknown>): Promise<void> {
  nock.back.fixtures = dir;
  nock.back.setMode('record');
  const { nockDone } = await nock.back(`${name}.json`);
  await call();
  nockDone();
  stopNock();
}

export function nockBackReplay(dir: string, name: string): Contender {
  let done: (() => void) | undefined;
  return {
    name: 'nock back',
    start: async () => {
      nock.back.fixtures = dir;
      // lockdown refuses any request the fixture does not cover, so a miss cannot reach the upstream.
      nock.back.setMode('lockdown');
      // Recorded scopes answer once each by default; persist() lets one answer every repeat.
      const { nockDone } = await nock.back(`${name}.json`, { after: (scope) => scope.persist() });
      done = nockDone;
    },
    stop: () => {
      done?.();
      stopNock();
    },
  };
}

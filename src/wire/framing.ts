/** One event of a stream as it travelled: its name (SSE `event:`, eventstream `:event-type`), its payload text, and when it arrived. */
export interface WireEvent {
  event?: string;
  data: string;
  at: number;
}

export interface Framing {
  /** As `response.stream.framing` names it in a recording. */
  name: 'sse' | 'ndjson' | 'eventstream';
  /** The content-type a replayed stream is sent with. */
  contentType: string;
  /** Whether an upstream response's content-type is this framing. */
  matches(contentType: string): boolean;
  /** Every event of a body, with arrival times in ms since startedAt (performance.now()); a body that fails midway yields the events before the failure and the error. */
  read(body: ReadableStream<Uint8Array>, startedAt: number): Promise<{ events: WireEvent[]; error: Error | undefined }>;
  /** One event as the wire carries it. */
  encode(event: { event?: string; data: string }): Uint8Array;
}

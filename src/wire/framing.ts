/**
 * One event of a stream as it travelled: its name (SSE `event:`, eventstream `:event-type`), its
 * payload text, and when it arrived.
 */
export interface WireEvent {
  event?: string;
  data: string;
  /** Milliseconds from the start of the call to this event's arrival. */
  at: number;
  /**
   * Set only for AWS eventstream frames that are not events, so replay re-encodes the frame the
   * upstream sent and the SDK throws what it threw: `exception` is a modeled exception frame
   * (`event` = its `:exception-type`, `data` = its JSON body), `error` an unmodeled error frame
   * (`event` = its `:error-code`, `data` = its `:error-message`; such frames carry no body).
   */
  kind?: 'exception' | 'error';
}

/** A stream framing: how one API's streamed answers are cut into events on the wire. */
export interface Framing {
  /** As `response.stream.framing` names it in a recording. */
  name: 'sse' | 'ndjson' | 'eventstream';
  /** The content-type a replayed stream is sent with. */
  contentType: string;
  /** Whether an upstream response's content-type is this framing. */
  matches(contentType: string): boolean;
  /**
   * Every event of a body, with arrival times in ms since startedAt (performance.now()); a body
   * that fails midway yields the events before the failure and the error.
   */
  read(body: ReadableStream<Uint8Array>, startedAt: number): Promise<{ events: WireEvent[]; error: Error | undefined }>;
  /** One event as the wire carries it. */
  encode(event: Omit<WireEvent, 'at'>): Uint8Array;
}

/** The media type of a content-type header, without parameters, lower-cased. */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

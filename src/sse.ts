const encoder = new TextEncoder();

/** One Server-Sent Event as OpenAI-compatible servers send it: an optional name and one data line. */
export function encodeEvent(data: string, event?: string): Uint8Array {
  return encoder.encode(event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
}

/** The sentinel chat and text completion streams end with. */
export const DONE = '[DONE]';

type CompressionStreamCtor = new (format: 'gzip') => TransformStream<Uint8Array, Uint8Array>;
type GzipSync = (data: Uint8Array) => Uint8Array;
/** Bytes over a plain ArrayBuffer: what fetch accepts as a body under the DOM's types too. */
export type GzipBytes = Uint8Array<ArrayBuffer>;

/**
 * gzip with the platform's own CompressionStream (browsers, Node 18+, Deno, Bun). Only where it is
 * missing does it fall back to node:zlib, reached through process.getBuiltinModule so that bundlers
 * never see a Node import. Resolves to undefined when neither exists: the body then goes uncompressed.
 */
export async function gzip(text: string): Promise<GzipBytes | undefined> {
  const bytes = new TextEncoder().encode(text);
  const Compression = (globalThis as { CompressionStream?: CompressionStreamCtor }).CompressionStream;
  if (Compression !== undefined) {
    const stream = new Blob([bytes]).stream().pipeThrough(new Compression('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  const nodeProcess = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const zlib = nodeProcess?.getBuiltinModule?.('node:zlib') as { gzipSync?: GzipSync } | undefined;
  const compressed = zlib?.gzipSync?.(bytes);
  return compressed === undefined ? undefined : new Uint8Array(compressed);
}

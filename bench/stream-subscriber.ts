/**
 * A live-stream subscriber for the ingest cost table, in its own process so that reading and parsing the stream
 * does not slow the load generator: reads `URL` with the API key in `API_KEY` until SIGTERM, then prints one JSON
 * line with the number of `activity` events it read.
 */
const { URL: url, API_KEY: key } = process.env;
const abort = new AbortController();
let events = 0;

process.once('SIGTERM', () => abort.abort());

async function main(): Promise<void> {
  const res = await fetch(url!, { headers: { 'x-api-key': key! }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`the stream answered ${res.status}`);
  process.stdout.write('open\n');
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  let partial = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    const lines = (partial + decoder.decode(chunk.value, { stream: true })).split('\n');
    partial = lines.pop()!;
    events += lines.filter((line) => line === 'event: activity').length;
  }
}

main()
  .catch((err: unknown) => {
    if (!abort.signal.aborted) {
      console.error(err);
      process.exitCode = 1;
    }
  })
  .finally(() => process.stdout.write(`${JSON.stringify({ events })}\n`));

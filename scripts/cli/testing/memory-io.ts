import type { CliIo } from '../cli-io';

/** A CliIo that keeps what was written: stdout lines in `out`, stderr lines (progress included) in `err`. */
export function memoryIo(tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    progress: { tty, show: (line) => err.push(line), end: () => undefined },
  };
  return { io, out, err, stdout: () => out.join('\n'), stderr: () => err.join('\n') };
}

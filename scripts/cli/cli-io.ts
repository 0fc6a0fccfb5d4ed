/** Where a CLI writes: results on stdout; notes, errors and progress on stderr, so a pipe gets only results. */
export interface CliIo {
  /** Results, a line at a time (stdout): text or one JSON document. */
  out(line: string): void;
  /** Notes and errors, a line at a time (stderr). */
  err(line: string): void;
  progress: Progress;
}

/** A progress line on stderr: redrawn in place on a terminal; in a pipe or a log, one line per show(). */
export interface Progress {
  readonly tty: boolean;
  show(line: string): void;
  /** Ends a line drawn in place, so that what is written next starts on a line of its own. */
  end(): void;
}

export class StderrProgress implements Progress {
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    readonly tty: boolean,
  ) {}

  show(line: string): void {
    if (!this.tty) {
      this.write(`${line}\n`);
      return;
    }
    this.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) this.write('\n');
    this.drawn = false;
  }
}

export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: new StderrProgress((text) => process.stderr.write(text), process.stderr.isTTY === true),
  };
}

/** Pads or cuts to exactly `width` characters, on one line; `…` marks a cut. For columns that line up. */
export function cell(value: string, width: number): string {
  const flat = value.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat.padEnd(width);
}

import { cell, StderrProgress } from './cli-io';

function progress(tty: boolean) {
  const written: string[] = [];
  return { written, progress: new StderrProgress((text) => written.push(text), tty) };
}

describe('StderrProgress', () => {
  it('when on a terminal, then each line is redrawn in place and end() moves to a new line', () => {
    const { written, progress: line } = progress(true);
    line.show('1 row');
    line.show('2 rows');
    line.end();
    line.end();
    expect(written).toEqual(['\r\x1b[2K1 row', '\r\x1b[2K2 rows', '\n']);
  });

  it('when in a pipe or a log, then each line is a line of its own and end() adds nothing', () => {
    const { written, progress: line } = progress(false);
    line.show('1 row');
    line.end();
    expect(written).toEqual(['1 row\n']);
  });
});

describe('cell', () => {
  it('when a value is longer than its column, then it is cut with an ellipsis; shorter, padded', () => {
    expect(cell('schema-violation', 8)).toBe('schema-…');
    expect(cell('dead', 8)).toBe('dead    ');
    expect(cell('line\nbreak', 12)).toBe('line break  ');
  });
});

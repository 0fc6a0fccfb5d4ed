import { CSV_HEADER, csvCell, csvRecord } from './csv.format';

describe('csvCell', () => {
  it.each([
    ['=1+2', `"'=1+2"`],
    ['+41 79 000', `"'+41 79 000"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
    ['\t=cmd', `"'\t=cmd"`],
    ['\r=cmd', `"'\r=cmd"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
  ])('when a cell starts like a formula (%j), then it gets a leading quote mark and is quoted', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('when a cell is %j, then it is written per RFC 4180 (%j)', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('when a cell is an object, a number or absent, then it is JSON text, digits or empty', () => {
    expect(csvCell({ q: 'a,"b"' })).toBe('"{""q"":""a,\\""b\\""""}"');
    expect(csvCell(1)).toBe('1');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(null)).toBe('');
  });
});

describe('csvRecord', () => {
  it('when given a row, then it writes the fixed columns in order, CRLF-terminated, empty where absent', () => {
    expect(CSV_HEADER).toBe(
      'eventId,userId,type,occurredAt,receivedAt,persistedAt,sessionId,schemaVersion,metadata,context\r\n',
    );
    expect(
      csvRecord({
        eventId: 'e1',
        userId: '=evil',
        type: 'LOGIN',
        occurredAt: '2026-01-01T00:00:00.000Z',
        receivedAt: '2026-01-01T00:00:00.100Z',
        schemaVersion: 1,
        metadata: { formula: '=1' },
        context: {},
      }),
    ).toBe(`e1,"'=evil",LOGIN,2026-01-01T00:00:00.000Z,2026-01-01T00:00:00.100Z,,,1,"{""formula"":""=1""}",{}\r\n`);
  });
});

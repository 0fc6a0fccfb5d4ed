import { parseTypesArgs } from './types-options';

const NO_ENV = {};
const LOCAL = 'http://localhost:3000';

describe('types options', () => {
  it('when only a command is given, then the url defaults to localhost:3000 and no key is sent', () => {
    expect(parseTypesArgs(['list'], NO_ENV)).toEqual({
      help: false,
      options: { url: LOCAL, json: false, command: { name: 'list' } },
    });
  });

  it('when UAP_API_URL and UAP_API_KEY are set, then they apply unless the flags say otherwise', () => {
    const env = { UAP_API_URL: 'http://api:8080', UAP_API_KEY: 'from-env' };
    expect(parseTypesArgs(['list'], env)).toMatchObject({ options: { url: 'http://api:8080', key: 'from-env' } });
    expect(parseTypesArgs(['list', '--url', 'https://x.test', '--key', 'k'], env)).toMatchObject({
      options: { url: 'https://x.test', key: 'k' },
    });
  });

  it('when show, retire or apply name their argument, then it is the command argument', () => {
    expect(parseTypesArgs(['show', 'SEARCH', '--json'], NO_ENV)).toEqual({
      help: false,
      options: { url: LOCAL, json: true, command: { name: 'show', type: 'SEARCH' } },
    });
    expect(parseTypesArgs(['retire', 'VIDEO_PLAY'], NO_ENV)).toMatchObject({
      options: { command: { name: 'retire', type: 'VIDEO_PLAY' } },
    });
    expect(parseTypesArgs(['apply', 'plan.json', '--breaking'], NO_ENV)).toMatchObject({
      options: { json: false, command: { name: 'apply', file: 'plan.json', breaking: true } },
    });
    expect(parseTypesArgs(['apply', 'plan.json'], NO_ENV)).toMatchObject({
      options: { command: { name: 'apply', file: 'plan.json', breaking: false } },
    });
  });

  it('when policy has no flags, then it reads; with one or both, then it sets what was given', () => {
    expect(parseTypesArgs(['policy'], NO_ENV)).toMatchObject({ options: { command: { name: 'policy' } } });
    expect(parseTypesArgs(['policy', '--unknown-types', 'dead-letter'], NO_ENV)).toMatchObject({
      options: { command: { name: 'policy', set: { unknownTypes: 'dead-letter' } } },
    });
    expect(
      parseTypesArgs(['policy', '--unknown-types', 'accept', '--invalid-metadata', 'accept-and-flag'], NO_ENV),
    ).toMatchObject({
      options: { command: { name: 'policy', set: { unknownTypes: 'accept', invalidMetadata: 'accept-and-flag' } } },
    });
  });

  it('when codegen has --out, then it writes there; without it or with "-", then to stdout', () => {
    expect(parseTypesArgs(['codegen', '--out', 'client-types.ts'], NO_ENV)).toMatchObject({
      options: { command: { name: 'codegen', out: 'client-types.ts' } },
    });
    expect(parseTypesArgs(['codegen'], NO_ENV)).toMatchObject({ options: { command: { name: 'codegen' } } });
    expect(parseTypesArgs(['codegen', '-o', '-'], NO_ENV)).toEqual({
      help: false,
      options: { url: LOCAL, json: false, command: { name: 'codegen' } },
    });
  });

  it.each([
    [[], 'a command is needed'],
    [['drop'], 'unknown command "drop"'],
    [['show'], 'show takes one type name'],
    [['show', 'SEARCH', 'LOGIN'], 'show takes one type name'],
    [['show', 'search'], '"search" is not a type name'],
    [['retire', 'VIDEO-PLAY'], '"VIDEO-PLAY" is not a type name'],
    [['apply'], 'apply takes one file'],
    [['list', 'extra'], 'list takes no arguments'],
    [['list', '--breaking'], '--breaking is not an option of list'],
    [['show', 'SEARCH', '--out', 'x.ts'], '--out is not an option of show'],
    [['codegen', '--json'], '--json is not an option of codegen'],
    [['retire', 'SEARCH', '--breaking'], '--breaking is not an option of retire'],
    [['policy', '--unknown-types', 'drop'], '--unknown-types'],
    [['policy', '--invalid-metadata', 'reject-all'], '--invalid-metadata'],
    [['codegen', '--out', ''], '--out: must name a file'],
    [['list', '--url', 'ftp://x'], '--url'],
    [['list', '--bogus'], 'bogus'],
  ])('when the arguments are %j, then the error says %s', (argv, message) => {
    expect(parseTypesArgs(argv, NO_ENV)).toEqual({ help: false, error: expect.stringContaining(message) });
  });

  it('when --help is given, then help is asked for whatever else is there', () => {
    expect(parseTypesArgs(['apply', '--help'], NO_ENV)).toEqual({ help: true });
    expect(parseTypesArgs(['-h'], NO_ENV)).toEqual({ help: true });
  });
});

import { UapHttpError } from '@uap/client';
import { apiTransport, failureLines } from '../cli/cli-api';
import type { CliIo } from '../cli/cli-io';
import { EXIT } from '../cli/exit-codes';
import { KeysClient } from './keys-client';
import {
  createdLines,
  formatKey,
  formatKeyList,
  formatSourceList,
  keysRefusalLines,
  revokedLine,
  rotatedLines,
  sourceChangedLine,
  sourceCreatedLine,
  type RefusalContext,
} from './keys-format';
import type { KeysCommand, KeysOptions } from './keys-options';

/**
 * Runs one command against the API; resolves to the process exit code. A new key goes to stdout alone (or in
 * the --json document), once; what is said about it goes to stderr, so that a pipe or $(…) takes the key only.
 */
export async function runKeys(options: KeysOptions, io: CliIo): Promise<number> {
  const client = new KeysClient(apiTransport(options, { requestTimeoutMs: 30_000 }));
  const { command, json } = options;
  const print = (document: unknown, text: string) => io.out(json ? JSON.stringify(document, null, 2) : text);
  try {
    switch (command.name) {
      case 'list': {
        const { keys } = await client.listKeys(command);
        print({ keys }, formatKeyList(keys));
        return EXIT.ok;
      }
      case 'show': {
        const key = await client.key(command.id);
        print(key, formatKey(key));
        return EXIT.ok;
      }
      case 'create': {
        const created = await client.createKey(command.request);
        print(created, created.secret);
        if (!json) io.err(createdLines(created).join('\n'));
        return EXIT.ok;
      }
      case 'rotate': {
        const rotated = await client.rotateKey(command.id, command.request);
        print(rotated, rotated.secret);
        if (!json) io.err(rotatedLines(rotated, command.request.graceSeconds).join('\n'));
        return EXIT.ok;
      }
      case 'revoke': {
        const revoked = await client.revokeKey(command.id);
        print(revoked, revokedLine(revoked));
        return EXIT.ok;
      }
      case 'sources list': {
        const { sources } = await client.listSources();
        print({ sources }, formatSourceList(sources));
        return EXIT.ok;
      }
      case 'sources create': {
        const created = await client.createSource(command.request);
        print(created, sourceCreatedLine(created.source));
        return EXIT.ok;
      }
      case 'sources update':
      case 'sources pause':
      case 'sources resume': {
        const change =
          command.name === 'sources update'
            ? command.change
            : { status: command.name === 'sources pause' ? ('paused' as const) : ('active' as const) };
        const changed = await client.changeSource(command.id, change);
        print(changed, sourceChangedLine(changed.source, change, changed.inForceBy));
        return EXIT.ok;
      }
    }
  } catch (err) {
    const lines =
      err instanceof UapHttpError ? keysRefusalLines(err, contextOf(command)) : failureLines('keys', err, options);
    if (lines === undefined) throw err;
    io.err(lines.join('\n'));
    return EXIT.error;
  }
}

function contextOf(command: KeysCommand): RefusalContext {
  if (command.name.startsWith('sources ')) {
    return 'id' in command ? { kind: 'source', id: command.id } : { kind: 'source' };
  }
  return 'id' in command ? { kind: 'key', id: command.id } : { kind: 'key' };
}

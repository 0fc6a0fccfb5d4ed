import { hashApiKey } from '../api-key';
import { generateRuntimeKey, parseRuntimeKey, runtimeKeyPrefix } from './runtime-key';

describe('runtime keys', () => {
  it('when a key is generated, then it is uapk_<16 hex>_<43 base64url>, its hash is the SHA-256 of the whole key', () => {
    const key = generateRuntimeKey();
    expect(key.secret).toMatch(/^uapk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.secret.startsWith(`${key.prefix}_`)).toBe(true);
    expect(key.prefix).toBe(runtimeKeyPrefix(key.keyId));
    expect(key.hash).toBe(hashApiKey(key.secret));
    expect(parseRuntimeKey(key.secret)).toEqual({ keyId: key.keyId });
  });

  it('when two keys are generated, then they share neither id nor secret', () => {
    const [a, b] = [generateRuntimeKey(), generateRuntimeKey()];
    expect(a.keyId).not.toBe(b.keyId);
    expect(a.secret).not.toBe(b.secret);
  });

  it('when the random source is fixed, then the key follows from it (8 bytes of id, 32 of secret)', () => {
    const sizes: number[] = [];
    const key = generateRuntimeKey((size) => (sizes.push(size), Buffer.alloc(size, 0xab)));
    expect(sizes).toEqual([8, 32]);
    expect(key.keyId).toBe('abababababababab');
    expect(key.secret).toBe(`uapk_abababababababab_${Buffer.alloc(32, 0xab).toString('base64url')}`);
  });

  it.each([
    ['a bootstrap-style key', 'my-long-random-bootstrap-key'],
    ['an upper-case id', `uapk_ABABABABABABABAB_${'a'.repeat(43)}`],
    ['a short id', `uapk_abab_${'a'.repeat(43)}`],
    ['a short secret', `uapk_abababababababab_${'a'.repeat(42)}`],
    ['a long secret', `uapk_abababababababab_${'a'.repeat(44)}`],
    ['padding in the secret', `uapk_abababababababab_${'a'.repeat(42)}=`],
    ['the prefix alone', 'uapk_abababababababab'],
    ['a trailing newline', `uapk_abababababababab_${'a'.repeat(43)}\n`],
    ['an empty value', ''],
  ])('when %s is presented, then it does not parse as a runtime key', (_what, presented) => {
    expect(parseRuntimeKey(presented)).toBeUndefined();
  });
});

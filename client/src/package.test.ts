import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Packs the SDK as `npm publish` would (prepack builds it and bundles the contract's types) and reads the
// tarball: what a user installs must need nothing from the server side.
describe('the packed @uap/client', () => {
  const work = mkdtempSync(join(tmpdir(), 'uap-client-pack-'));
  let files: Map<string, string>;

  beforeAll(() => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
        cwd: join(__dirname, '..'),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    ) as { filename: string }[];
    execFileSync('tar', ['-xzf', join(work, packed!.filename), '-C', work]);
    const root = join(work, 'package');
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
      );
    files = new Map(walk(root).map((file) => [file.slice(root.length + 1), readFileSync(file, 'utf8')]));
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('when packed, then its manifest declares no runtime dependencies', () => {
    const manifest = JSON.parse(files.get('package.json')!) as Record<string, unknown>;
    expect(manifest['dependencies']).toBeUndefined();
    expect(manifest['peerDependencies']).toBeUndefined();
    expect(manifest['optionalDependencies']).toBeUndefined();
  });

  it('when packed, then no file requires or names @uap/shared, zod, kafkajs or pino', () => {
    const specifiers = [...files]
      .filter(([name]) => /\.(js|d\.ts)$/.test(name))
      .flatMap(([name, text]) =>
        [...text.matchAll(/(?:from\s+|require\()\s*['"]([^'"]+)['"]/g)].map((match) => `${name} → ${match[1]}`),
      );
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((entry) => !/ → (\.\.?\/|node:)/.test(entry))).toEqual([]);
  });

  it('when packed, then the declarations carry the contract types the SDK exports', () => {
    expect(files.get('dist/types.d.ts')).toContain("from './contract'");
    expect(files.get('dist/contract.d.ts')).toMatch(/export interface ActivityInput\b/);
    expect(files.get('dist/contract.d.ts')).toMatch(/export type ActivityType\b/);
  });
});

// Makes the SDK's declarations self-contained. The SDK imports the event contract's types from
// @uap/shared/contract as types only, so its JavaScript never loads @uap/shared; its .d.ts files still name
// it. This copies the contract's zod-free types file (shared/src/contract/activity/activity.types.ts, which
// imports nothing) into dist/contract.d.ts and points the declarations there, so the published package
// needs neither @uap/shared nor zod, kafkajs or pino. It fails when the SDK starts using a name that file
// does not declare.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const contractEntry = createRequire(import.meta.url).resolve('@uap/shared/contract');
const typesFile = join(dirname(contractEntry), 'activity', 'activity.types.d.ts');
const types = readFileSync(typesFile, 'utf8');
if (/^\s*import\b|\bfrom\s+['"]/m.test(types)) {
  throw new Error(`${typesFile} must import nothing to be bundled into the SDK's declarations`);
}
const declared = new Set([...types.matchAll(/^export (?:declare )?(?:type|interface|const) (\w+)/gm)].map((m) => m[1]));
writeFileSync(join(dist, 'contract.d.ts'), types.replace(/^\/\/# sourceMappingURL=.*$/m, ''));

const SPECIFIER = /(['"])@uap\/shared\/contract\1/g;
for (const file of walk(dist).filter((name) => name.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8');
  if (!SPECIFIER.test(text)) continue;
  for (const [, names] of text.matchAll(/import type \{([^}]*)\} from ['"]@uap\/shared\/contract['"]/g)) {
    for (const name of names
      .split(',')
      .map((item) => item.trim().split(/\s+as\s+/)[0])
      .filter(Boolean)) {
      if (!declared.has(name))
        throw new Error(`${relative(dist, file)} uses ${name}, which ${typesFile} does not declare`);
    }
  }
  const target = relative(dirname(file), join(dist, 'contract')).replace(/^(?!\.)/, './');
  writeFileSync(file, text.replace(SPECIFIER, `$1${target}$1`));
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

// Fails when a TypeScript module imports itself through others (an import cycle), type-only imports
// included: a cycle is a design knot even when the compiler erases it. Modules are resolved with the
// repo's tsconfig.test.json (the one that sees every package's sources, scripts, bench and tests).
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const configPath = join(root, 'tsconfig.test.json');
const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath);
const host = ts.createCompilerHost(parsed.options);
const files = parsed.fileNames.filter((file) => !file.includes('/node_modules/'));

const edges = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = importedFiles
    .map(({ fileName }) => ts.resolveModuleName(fileName, file, parsed.options, host).resolvedModule)
    .filter((resolved) => resolved && !resolved.isExternalLibraryImport && !resolved.resolvedFileName.endsWith('.d.ts'))
    .map((resolved) => resolved.resolvedFileName);
  edges.set(file, targets);
}

// Tarjan's strongly connected components: every component of more than one module (or a self-import) is a cycle.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
let counter = 0;
function visit(node) {
  index.set(node, counter);
  low.set(node, counter++);
  stack.push(node);
  onStack.add(node);
  for (const next of edges.get(node) ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(node, Math.min(low.get(node), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(node, Math.min(low.get(node), index.get(next)));
    }
  }
  if (low.get(node) !== index.get(node)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== node);
  if (component.length > 1 || (edges.get(node) ?? []).includes(node)) cycles.push(component);
}
for (const file of edges.keys()) if (!index.has(file)) visit(file);

if (cycles.length > 0) {
  console.error(`import cycles (${cycles.length}):`);
  for (const cycle of cycles) console.error(`  ${cycle.map((file) => relative(root, file)).join(' ↔ ')}`);
  process.exit(1);
}
console.log(`no import cycles among ${edges.size} modules`);
